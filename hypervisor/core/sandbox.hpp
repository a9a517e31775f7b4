// sandbox.hpp: least privilege for pvisor's own processes: only the capabilities a process
// needs, no_new_privs, and a seccomp filter that lets through the system calls it listed; any
// other is refused with EPERM, counted and logged (never fatal: a refused call is an error the
// caller handles).
#pragma once

#include "result.hpp"

#include <array>
#include <cstdint>
#include <span>

namespace pvisor {

// One listed system call (x86-64 numbers). With `arg` >= 0 it passes only when
// (args[arg] & mask) equals one of `values` (the low 32 bits: flags and address families);
// otherwise it is refused like an unlisted call. With `fail_errno` it always fails with that
// errno, uncounted: for calls the C library probes and falls back from (clone3 -> clone).
struct SyscallRule {
    int nr = -1;
    int arg = -1;
    std::uint32_t mask = 0xFFFFFFFFU;
    std::array<std::uint32_t, 4> values{};
    unsigned nvalues = 0;
    int fail_errno = 0;
};

// Sets no_new_privs and installs the filter on every thread of the process (TSYNC). A refused
// call returns -1 with errno EPERM, adds one to sandbox_denied() and writes
// "<who>: system call N (name) refused by the sandbox" to stderr. Errc::invalid_argument: a
// rule list too long or malformed; Errc::system_error (errno set): the kernel refused.
[[nodiscard]] Status enter_sandbox(std::span<const SyscallRule> rules, const char* who);

// Drops every capability but `keep` (CAP_* numbers) from the bounding, permitted, effective
// and inheritable sets (and the ambient set), so a root process keeps only what its work
// needs. Errc::system_error (errno set) if the kernel refuses.
[[nodiscard]] Status keep_only_capabilities(std::span<const int> keep);

// The process's effective capability set, as a bit mask (from /proc/self/status CapEff).
[[nodiscard]] Result<std::uint64_t> effective_capabilities();

// System calls refused since enter_sandbox().
[[nodiscard]] std::uint64_t sandbox_denied() noexcept;

// The name of x86-64 system call `nr` for messages ("?" if this table lacks it).
[[nodiscard]] const char* syscall_name(long nr) noexcept;

} // namespace pvisor
