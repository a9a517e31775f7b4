// sandbox.cpp: the seccomp-BPF program built from a rule list, and the SIGSYS handler that
// turns a trapped call into EPERM, a count and a log line.
#include "sandbox.hpp"

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstddef>
#include <cstring>
#include <cstdio>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>
#include <optional>
#include <vector>

namespace pvisor {

namespace {

constexpr std::uint32_t kX32Bit = 0x40000000U;
constexpr std::size_t kMaxInsns = 4096; // BPF_MAXINSNS

std::atomic<std::uint64_t> g_denied{0};
const char* g_who = "pvisor";

constexpr std::uint32_t arg_low(int i) {
    return static_cast<std::uint32_t>(offsetof(seccomp_data, args) +
                                      static_cast<std::size_t>(i) * sizeof(std::uint64_t));
}

sock_filter stmt(std::uint16_t code, std::uint32_t k) { return BPF_STMT(code, k); }
sock_filter jump(std::uint16_t code, std::uint32_t k, std::uint8_t jt, std::uint8_t jf) {
    return BPF_JUMP(code, k, jt, jf);
}

// Decimal digits of v into buf (no terminator); returns their count. Signal-safe.
std::size_t put_decimal(char* buf, unsigned long v) {
    char tmp[24];
    std::size_t n = 0;
    do {
        tmp[n++] = static_cast<char>('0' + v % 10);
        v /= 10;
    } while (v != 0);
    for (std::size_t i = 0; i < n; ++i)
        buf[i] = tmp[n - 1 - i];
    return n;
}

// SIGSYS from SECCOMP_RET_TRAP: the call did not run; make it return -EPERM, count it, say it.
void on_sigsys(int, siginfo_t* info, void* uctx) {
    auto* ctx = static_cast<ucontext_t*>(uctx);
    ctx->uc_mcontext.gregs[REG_RAX] = -EPERM;
    g_denied.fetch_add(1, std::memory_order_relaxed);
    const int saved = errno;
    char line[160];
    std::size_t n = 0;
    const auto put = [&](const char* s) {
        for (; *s != '\0' && n < sizeof line - 1; ++s)
            line[n++] = *s;
    };
    put(g_who);
    put(": system call ");
    n += put_decimal(line + n, static_cast<unsigned long>(info->si_syscall));
    put(" (");
    put(syscall_name(info->si_syscall));
    put(") refused by the sandbox\n");
    [[maybe_unused]] const auto w = ::write(STDERR_FILENO, line, n);
    errno = saved;
}

// rule -> instructions; each rule's block ends in a return, or falls through to the next.
bool append_rule(std::vector<sock_filter>& prog, const SyscallRule& r) {
    if (r.nr < 0 || r.nvalues > r.values.size() || (r.arg >= 0 && (r.arg > 5 || r.nvalues == 0)))
        return false;
    const auto nr = static_cast<std::uint32_t>(r.nr);
    if (r.fail_errno != 0) {
        prog.push_back(jump(BPF_JMP | BPF_JEQ | BPF_K, nr, 0, 1));
        prog.push_back(stmt(BPF_RET | BPF_K,
                            SECCOMP_RET_ERRNO | (static_cast<std::uint32_t>(r.fail_errno) &
                                                 SECCOMP_RET_DATA)));
        return true;
    }
    if (r.arg < 0) {
        prog.push_back(jump(BPF_JMP | BPF_JEQ | BPF_K, nr, 0, 1));
        prog.push_back(stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
        return true;
    }
    // nr matches: load the argument, mask it, compare with each value; then allow or trap
    // (both ends return: the accumulator no longer holds nr). No match: on to the next rule.
    const auto body = static_cast<std::uint8_t>(2 + r.nvalues + 2);
    prog.push_back(jump(BPF_JMP | BPF_JEQ | BPF_K, nr, 0, body));
    prog.push_back(stmt(BPF_LD | BPF_W | BPF_ABS, arg_low(r.arg)));
    prog.push_back(stmt(BPF_ALU | BPF_AND | BPF_K, r.mask));
    for (unsigned i = 0; i < r.nvalues; ++i) // a match jumps to the RET ALLOW below
        prog.push_back(jump(BPF_JMP | BPF_JEQ | BPF_K, r.values[i],
                            static_cast<std::uint8_t>(r.nvalues - i), 0));
    prog.push_back(stmt(BPF_RET | BPF_K, SECCOMP_RET_TRAP));
    prog.push_back(stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
    return true;
}

} // namespace

Status enter_sandbox(std::span<const SyscallRule> rules, const char* who) {
    std::vector<sock_filter> prog = {
        stmt(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)),
        jump(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
        stmt(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
        stmt(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
        jump(BPF_JMP | BPF_JGE | BPF_K, kX32Bit, 0, 1), // the x32 ABI: never listed
        stmt(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
    };
    for (const SyscallRule& r : rules)
        if (!append_rule(prog, r))
            return Errc::invalid_argument;
    prog.push_back(stmt(BPF_RET | BPF_K, SECCOMP_RET_TRAP));
    if (prog.size() > kMaxInsns)
        return Errc::invalid_argument;

    g_who = who;
    struct sigaction sa {};
    sa.sa_sigaction = on_sigsys;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    sigset_t sys;
    sigemptyset(&sys);
    sigaddset(&sys, SIGSYS);
    if (::sigaction(SIGSYS, &sa, nullptr) != 0 ||
        ::pthread_sigmask(SIG_UNBLOCK, &sys, nullptr) != 0)
        return Errc::system_error;
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        return Errc::system_error;
    const sock_fprog fprog{static_cast<unsigned short>(prog.size()), prog.data()};
    if (::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &fprog) != 0)
        return Errc::system_error;
    return {};
}

Status keep_only_capabilities(std::span<const int> keep) {
    std::uint64_t mask = 0;
    for (const int c : keep) {
        if (c < 0 || c > 63)
            return Errc::invalid_argument;
        mask |= 1ULL << c;
    }
    // The bounding set first (that needs CAP_SETPCAP, dropped with the rest below).
    for (int c = 0; ::prctl(PR_CAPBSET_READ, c, 0, 0, 0) >= 0; ++c)
        if ((mask & (1ULL << c)) == 0 && ::prctl(PR_CAPBSET_DROP, c, 0, 0, 0) != 0)
            return Errc::system_error;
    if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL)
        return Errc::system_error;
    __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
    for (int i = 0; i < _LINUX_CAPABILITY_U32S_3; ++i) {
        const auto word = static_cast<std::uint32_t>(mask >> (32 * i));
        data[i].effective = word;
        data[i].permitted = word;
        data[i].inheritable = 0;
    }
    if (::syscall(SYS_capset, &hdr, data) != 0)
        return Errc::system_error;
    return {};
}

Result<std::uint64_t> effective_capabilities() {
    std::FILE* f = std::fopen("/proc/self/status", "re");
    if (f == nullptr)
        return Errc::system_error;
    char line[256];
    std::optional<std::uint64_t> eff;
    while (std::fgets(line, sizeof line, f) != nullptr) {
        unsigned long long v = 0;
        if (std::sscanf(line, "CapEff: %llx", &v) == 1)
            eff = v;
    }
    std::fclose(f);
    if (!eff)
        return Errc::not_found;
    return *eff;
}

std::uint64_t sandbox_denied() noexcept { return g_denied.load(std::memory_order_relaxed); }

const char* syscall_name(long nr) noexcept {
    struct Name {
        long nr;
        const char* name;
    };
    static constexpr Name kNames[] = {
        {SYS_read, "read"},
        {SYS_write, "write"},
        {SYS_open, "open"},
        {SYS_close, "close"},
        {SYS_mmap, "mmap"},
        {SYS_mprotect, "mprotect"},
        {SYS_ioctl, "ioctl"},
        {SYS_socket, "socket"},
        {SYS_connect, "connect"},
        {SYS_accept, "accept"},
        {SYS_bind, "bind"},
        {SYS_listen, "listen"},
        {SYS_clone, "clone"},
        {SYS_fork, "fork"},
        {SYS_vfork, "vfork"},
        {SYS_execve, "execve"},
        {SYS_kill, "kill"},
        {SYS_getppid, "getppid"},
        {SYS_ptrace, "ptrace"},
        {SYS_setuid, "setuid"},
        {SYS_setgid, "setgid"},
        {SYS_chroot, "chroot"},
        {SYS_mount, "mount"},
        {SYS_umount2, "umount2"},
        {SYS_pivot_root, "pivot_root"},
        {SYS_reboot, "reboot"},
        {SYS_init_module, "init_module"},
        {SYS_delete_module, "delete_module"},
        {SYS_chmod, "chmod"},
        {SYS_chown, "chown"},
        {SYS_mknod, "mknod"},
        {SYS_unshare, "unshare"},
        {SYS_setns, "setns"},
        {SYS_process_vm_readv, "process_vm_readv"},
        {SYS_process_vm_writev, "process_vm_writev"},
        {SYS_kexec_load, "kexec_load"},
        {SYS_finit_module, "finit_module"},
        {SYS_execveat, "execveat"},
        {SYS_bpf, "bpf"},
        {SYS_perf_event_open, "perf_event_open"},
        {SYS_userfaultfd, "userfaultfd"},
        {SYS_memfd_create, "memfd_create"},
        {SYS_pidfd_open, "pidfd_open"},
        {SYS_clone3, "clone3"},
        {SYS_openat, "openat"},
        {SYS_keyctl, "keyctl"},
        {SYS_add_key, "add_key"},
        {SYS_prctl, "prctl"},
        {SYS_seccomp, "seccomp"},
        {SYS_socketpair, "socketpair"},
        {SYS_mknodat, "mknodat"},
        {SYS_fchmodat, "fchmodat"},
        {SYS_fchownat, "fchownat"},
        {SYS_sysinfo, "sysinfo"},
        {SYS_uname, "uname"},
    };
    for (const Name& n : kNames)
        if (n.nr == nr)
            return n.name;
    return "?";
}

} // namespace pvisor
