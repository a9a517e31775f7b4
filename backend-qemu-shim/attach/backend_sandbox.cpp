// backend_sandbox.cpp: the backends' system call list.
#include "backend_sandbox.hpp"

#include <cerrno>
#include <linux/capability.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/syscall.h>

namespace pvisor::backend {

namespace {

constexpr SyscallRule allow(int nr) { return SyscallRule{.nr = nr}; }

constexpr SyscallRule kRules[] = {
    // I/O on disks, TAPs, sockets and eventfds
    allow(SYS_read), allow(SYS_write), allow(SYS_readv), allow(SYS_writev),
    allow(SYS_pread64), allow(SYS_pwrite64), allow(SYS_preadv), allow(SYS_pwritev),
    allow(SYS_preadv2), allow(SYS_pwritev2), allow(SYS_lseek), allow(SYS_close),
    allow(SYS_fsync), allow(SYS_fdatasync), allow(SYS_fallocate), allow(SYS_ioctl),
    allow(SYS_fcntl), allow(SYS_dup), allow(SYS_dup3),
    allow(SYS_io_uring_setup), allow(SYS_io_uring_enter), allow(SYS_io_uring_register),
    // files: a hotplugged disk image, /dev/net/tun, the metrics file (temporary + rename)
    allow(SYS_openat), allow(SYS_newfstatat), allow(SYS_fstat), allow(SYS_statx),
    allow(SYS_access), allow(SYS_rename), allow(SYS_renameat), allow(SYS_renameat2),
    allow(SYS_unlink), allow(SYS_unlinkat),
    // the store and control sockets (AF_UNIX), a socket for the bridge ioctls (AF_INET)
    SyscallRule{.nr = SYS_socket, .arg = 0, .mask = 0xFFFFU, .values = {AF_UNIX, AF_INET},
                .nvalues = 2},
    allow(SYS_connect), allow(SYS_sendto), allow(SYS_recvfrom), allow(SYS_sendmsg),
    allow(SYS_recvmsg), allow(SYS_shutdown), allow(SYS_getsockopt), allow(SYS_setsockopt),
    // waiting and waking
    allow(SYS_poll), allow(SYS_ppoll), allow(SYS_epoll_create1), allow(SYS_epoll_ctl),
    allow(SYS_epoll_wait), allow(SYS_epoll_pwait), allow(SYS_eventfd2),
    allow(SYS_timerfd_create), allow(SYS_timerfd_settime), allow(SYS_timerfd_gettime),
    allow(SYS_signalfd4), allow(SYS_futex), allow(SYS_nanosleep), allow(SYS_clock_nanosleep),
    allow(SYS_clock_gettime), allow(SYS_gettimeofday), allow(SYS_sched_yield),
    // signals (the stop signals through a signalfd, SIGSYS's own return, abort)
    allow(SYS_rt_sigaction), allow(SYS_rt_sigprocmask), allow(SYS_rt_sigreturn),
    allow(SYS_sigaltstack), allow(SYS_tgkill), allow(SYS_getpid), allow(SYS_gettid),
    // memory
    allow(SYS_mmap), allow(SYS_munmap), allow(SYS_mprotect), allow(SYS_madvise),
    allow(SYS_mremap), allow(SYS_brk),
    // threads only: a clone without CLONE_THREAD (a new process) is refused
    SyscallRule{.nr = SYS_clone, .arg = 0, .mask = CLONE_THREAD, .values = {CLONE_THREAD},
                .nvalues = 1},
    SyscallRule{.nr = SYS_clone3, .fail_errno = ENOSYS},
    allow(SYS_set_robust_list), allow(SYS_rseq), allow(SYS_sched_getaffinity),
    allow(SYS_getrandom), allow(SYS_prlimit64), allow(SYS_exit), allow(SYS_exit_group),
};

} // namespace

std::span<const SyscallRule> backend_syscalls() { return kRules; }

std::span<const int> backend_capabilities(std::string_view type) {
    static constexpr int kNet[] = {CAP_NET_ADMIN};
    if (type == "vif")
        return kNet;
    return {};
}

} // namespace pvisor::backend
