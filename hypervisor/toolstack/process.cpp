// process.cpp: detached spawning and pidfd supervision.
#include "process.hpp"

#include "run_dir.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace pvisor::toolstack {
namespace {

int pidfd_open(pid_t pid) {
    return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
}

// In the child between fork and exec: only async-signal-safe calls.
[[noreturn]] void exec_child(const std::vector<char*>& argv, int log_fd, int null_fd) {
    ::setsid();
    ::dup2(null_fd, STDIN_FILENO);
    ::dup2(log_fd, STDOUT_FILENO);
    ::dup2(log_fd, STDERR_FILENO);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    for (int s = 1; s < NSIG; ++s)
        ::signal(s, SIG_DFL);
    ::syscall(SYS_close_range, 3U, ~0U, 0U);
    ::execv(argv[0], argv.data());
    const char msg[] = "pvisor daemon: exec failed\n";
    [[maybe_unused]] const auto n = ::write(STDERR_FILENO, msg, sizeof msg - 1);
    ::_exit(127);
}

} // namespace

std::optional<std::uint64_t> process_start_time(pid_t pid) {
    std::string stat;
    if (!read_small_file("/proc/" + std::to_string(pid) + "/stat", stat, 4096))
        return std::nullopt;
    // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
    const auto close = stat.rfind(')');
    if (close == std::string::npos)
        return std::nullopt;
    std::size_t pos = close + 2;
    for (int field = 3; field < 22 && pos < stat.size(); ++field) {
        pos = stat.find(' ', pos);
        if (pos == std::string::npos)
            return std::nullopt;
        ++pos;
    }
    return std::strtoull(stat.c_str() + pos, nullptr, 10);
}

Result<Process> spawn_detached(const std::vector<std::string>& args, const std::string& log_path,
                               std::string& why) {
    UniqueFd log(::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
    UniqueFd null(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    if (!log.valid() || !null.valid()) {
        why = log_path + ": " + std::strerror(errno);
        return Errc::io_error;
    }
    std::vector<char*> argv;
    for (const std::string& a : args)
        argv.push_back(const_cast<char*>(a.c_str())); // NOLINT: execv's signature
    argv.push_back(nullptr);
    const pid_t pid = ::fork();
    if (pid < 0) {
        why = std::string("fork: ") + std::strerror(errno);
        return Errc::system_error;
    }
    if (pid == 0)
        exec_child(argv, log.get(), null.get());
    Process p;
    p.pid = pid;
    p.pidfd.reset(pidfd_open(pid));
    p.start_time = process_start_time(pid).value_or(0);
    if (!p.pidfd.valid()) {
        why = std::string("pidfd_open: ") + std::strerror(errno);
        ::kill(pid, SIGKILL);
        ::waitpid(pid, nullptr, 0);
        return Errc::system_error;
    }
    return p;
}

Result<Process> adopt_process(pid_t pid, std::uint64_t start_time) {
    if (pid <= 0)
        return Errc::not_found;
    Process p;
    p.pid = pid;
    p.pidfd.reset(pidfd_open(pid));
    if (!p.pidfd.valid())
        return Errc::not_found;
    // Checked after the pidfd exists: a pid reused before pidfd_open shows another start.
    const auto now = process_start_time(pid);
    if (!now || *now != start_time)
        return Errc::not_found;
    p.start_time = start_time;
    return p;
}

bool signal_process(const Process& p, int sig) {
    return p.pidfd.valid() &&
           ::syscall(SYS_pidfd_send_signal, p.pidfd.get(), sig, nullptr, 0U) == 0;
}

std::optional<int> reap_child(const Process& p) {
    siginfo_t info{};
    if (::waitid(P_PIDFD, static_cast<id_t>(p.pidfd.get()), &info, WEXITED | WNOHANG) != 0 ||
        info.si_pid == 0)
        return std::nullopt;
    if (info.si_code == CLD_EXITED)
        return info.si_status;
    return 128 + info.si_status;
}

std::uint64_t process_rss_kb(pid_t pid) {
    std::string status;
    if (!read_small_file("/proc/" + std::to_string(pid) + "/status", status, 1 << 16))
        return 0;
    const auto at = status.find("VmRSS:");
    return at == std::string::npos ? 0 : std::strtoull(status.c_str() + at + 6, nullptr, 10);
}

std::string self_exe() {
    char buf[4096];
    const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
    return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string("pvisor");
}

} // namespace pvisor::toolstack
