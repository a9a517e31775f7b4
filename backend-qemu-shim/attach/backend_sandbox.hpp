// backend_sandbox.hpp: the system calls a backend process may make once it runs (seccomp,
// hypervisor/core/sandbox.hpp): its I/O, its sockets to the store and the VMM, its threads.
#pragma once

#include "sandbox.hpp"

#include <span>
#include <string_view>

namespace pvisor::backend {

// Everything pvisor-blkback and pvisor-netback need: file and TAP I/O (pread/pwrite, io_uring,
// ioctl), the store and control sockets (AF_UNIX; AF_INET only for the bridge ioctls), fd
// passing, epoll/eventfd/timerfd/signalfd, memory, threads (clone with CLONE_THREAD only;
// clone3 answers ENOSYS so the C library falls back to clone) and the metrics file. Not
// listed, so refused: exec, fork, ptrace, mount and namespaces, module and kexec loading,
// bpf, perf, keyrings, other processes' memory, sockets of other families.
[[nodiscard]] std::span<const SyscallRule> backend_syscalls();

// The capabilities a backend of device type `type` keeps: none for "vbd" (its images are
// opened as their owner, root), CAP_NET_ADMIN for "vif" (TUNSETIFF, bringing the TAP up,
// adding it to a bridge).
[[nodiscard]] std::span<const int> backend_capabilities(std::string_view type);

} // namespace pvisor::backend
