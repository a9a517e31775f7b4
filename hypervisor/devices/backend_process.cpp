// backend_process.cpp: posix_spawn of a backend process, a pidfd watcher, stop and reap.
#include "backend_process.hpp"

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace pvisor {

namespace {

int pidfd_open(pid_t pid) {
    return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
}

bool pidfd_signal(int pidfd, int sig) {
    return ::syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0) == 0;
}

// Spawn attributes: own process group, nothing blocked (pvisor blocks its stop signals in
// every thread), default dispositions for the signals that stop it.
struct SpawnAttr {
    posix_spawnattr_t attr{};
    posix_spawn_file_actions_t actions{};
    SpawnAttr() {
        posix_spawnattr_init(&attr);
        posix_spawn_file_actions_init(&actions);
        sigset_t none;
        sigset_t dfl;
        sigemptyset(&none);
        sigemptyset(&dfl);
        for (const int s : {SIGTERM, SIGINT, SIGHUP, SIGPIPE})
            sigaddset(&dfl, s);
        posix_spawnattr_setsigmask(&attr, &none);
        posix_spawnattr_setsigdefault(&attr, &dfl);
        posix_spawnattr_setpgroup(&attr, 0);
        posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
                                            POSIX_SPAWN_SETPGROUP);
        posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    }
    ~SpawnAttr() {
        posix_spawn_file_actions_destroy(&actions);
        posix_spawnattr_destroy(&attr);
    }
    SpawnAttr(const SpawnAttr&) = delete;
    SpawnAttr& operator=(const SpawnAttr&) = delete;
};

std::string status_text(const siginfo_t& si) {
    if (si.si_code == CLD_EXITED)
        return "exit status " + std::to_string(si.si_status);
    const char* name = ::sigabbrev_np(si.si_status);
    return std::string("killed by SIG") + (name != nullptr ? name : "?");
}

} // namespace

std::string BackendProcess::locate(const BackendKind& kind, const std::string& given) {
    if (!given.empty())
        return given;
    char self[PATH_MAX];
    const ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
    if (n > 0) {
        std::string dir(self, static_cast<std::size_t>(n));
        dir.resize(dir.rfind('/') + 1);
        const std::string beside = dir + kind.name;
        if (::access(beside.c_str(), X_OK) == 0)
            return beside;
    }
    return kind.name; // posix_spawnp searches $PATH
}

std::vector<std::string> backend_args(const std::string& store_socket, unsigned domid,
                                      const std::string& control_socket) {
    return {"--store", store_socket, "--domid", std::to_string(domid), "--control",
            control_socket};
}

Result<std::unique_ptr<BackendProcess>> BackendProcess::spawn(const BackendKind& kind,
                                                              const std::string& exe,
                                                              const std::vector<std::string>& args,
                                                              std::string& why) {
    std::vector<std::string> all{exe};
    all.insert(all.end(), args.begin(), args.end());
    std::vector<char*> argv;
    std::string line;
    for (std::string& a : all) {
        argv.push_back(a.data());
        line += (line.empty() ? "" : " ") + a;
    }
    argv.push_back(nullptr);
    UniqueFd stop(::eventfd(0, EFD_CLOEXEC));
    if (!stop.valid()) {
        why = std::strerror(errno);
        return Errc::system_error;
    }
    const SpawnAttr sa;
    pid_t pid = 0;
    const bool search = exe.find('/') == std::string::npos;
    const int err =
        search ? ::posix_spawnp(&pid, exe.c_str(), &sa.actions, &sa.attr, argv.data(), environ)
               : ::posix_spawn(&pid, exe.c_str(), &sa.actions, &sa.attr, argv.data(), environ);
    if (err != 0) {
        why =
            exe + ": " + std::strerror(err) + (search ? " (not next to pvisor nor on $PATH)" : "");
        return Errc::not_found;
    }
    UniqueFd pidfd(pidfd_open(pid));
    if (!pidfd.valid()) {
        why = std::string("pidfd_open: ") + std::strerror(errno);
        ::kill(pid, SIGKILL);
        ::waitpid(pid, nullptr, 0);
        return Errc::system_error;
    }
    std::fprintf(stderr, "pvisor: started %s (pid %d): %s\n", kind.name, pid, line.c_str());
    return std::unique_ptr<BackendProcess>(
        new BackendProcess(kind, pid, std::move(pidfd), std::move(stop)));
}

BackendProcess::BackendProcess(const BackendKind& kind, pid_t pid, UniqueFd pidfd, UniqueFd stop)
    : m_kind(kind), m_pid(pid), m_pidfd(std::move(pidfd)), m_stop(std::move(stop)),
      m_watcher([this] { watch(); }) {}

std::string BackendProcess::reap() {
    siginfo_t si{};
    while (::waitid(P_PID, static_cast<id_t>(m_pid), &si, WEXITED) != 0 && errno == EINTR) {
    }
    m_reaped.store(true);
    return status_text(si);
}

// Waits for the process to end (reported: the guest loses its devices) or for the destructor.
void BackendProcess::watch() {
    pollfd fds[2] = {{m_pidfd.get(), POLLIN, 0}, {m_stop.get(), POLLIN, 0}};
    while (::poll(fds, 2, -1) < 0 && errno == EINTR) {
    }
    if ((fds[0].revents & POLLIN) == 0)
        return;
    const std::string how = reap();
    std::fprintf(stderr, "pvisor: %s (pid %d) ended: %s; the guest's %s have no backend\n",
                 m_kind.name, m_pid, how.c_str(), m_kind.serves);
}

BackendProcess::~BackendProcess() {
    const std::uint64_t one = 1;
    (void)!::write(m_stop.get(), &one, sizeof one);
    m_watcher.join();
    if (m_reaped.load())
        return;
    pidfd_signal(m_pidfd.get(), SIGTERM);
    pollfd pfd{m_pidfd.get(), POLLIN, 0};
    if (::poll(&pfd, 1, kStopGraceMs) <= 0) {
        std::fprintf(stderr, "pvisor: %s did not stop within %d ms: SIGKILL\n", m_kind.name,
                     kStopGraceMs);
        pidfd_signal(m_pidfd.get(), SIGKILL);
    }
    const std::string how = reap();
    std::fprintf(stderr, "pvisor: %s stopped (%s)\n", m_kind.name, how.c_str());
}

} // namespace pvisor
