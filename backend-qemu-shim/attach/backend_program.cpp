// backend_program.cpp: argument parsing, the stop signals on a signalfd, and the serve loop.
#include "backend_program.hpp"

#include "atomic_file.hpp"
#include "backend_args.hpp"
#include "backend_sandbox.hpp"
#include "unique_fd.hpp"

#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>
#include <vector>

namespace pvisor::backend {

namespace {

// SIGINT/SIGTERM/SIGHUP/SIGUSR1 arrive through a signalfd: blocked before any thread starts
// (the queue threads inherit the mask).
UniqueFd signal_fd() {
    sigset_t set;
    sigemptyset(&set);
    for (const int s : {SIGINT, SIGTERM, SIGHUP, SIGUSR1})
        sigaddset(&set, s);
    if (::pthread_sigmask(SIG_BLOCK, &set, nullptr) != 0)
        return UniqueFd();
    // A closed store or control connection must be an error value, not a signal.
    std::signal(SIGPIPE, SIG_IGN);
    return UniqueFd(::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK));
}

// The serve loop's one wake fd: an epoll set of the signalfd and, with a metrics file, a
// timer that fires every second to rewrite it.
struct Wake {
    UniqueFd epoll;
    UniqueFd timer;
};

bool make_wake(int sigfd, bool metrics, Wake& w) {
    w.epoll = UniqueFd(::epoll_create1(EPOLL_CLOEXEC));
    if (!w.epoll.valid())
        return false;
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = sigfd;
    if (::epoll_ctl(w.epoll.get(), EPOLL_CTL_ADD, sigfd, &ev) != 0)
        return false;
    if (!metrics)
        return true;
    w.timer = UniqueFd(::timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK));
    const itimerspec every_second{{1, 0}, {1, 0}};
    if (!w.timer.valid() || ::timerfd_settime(w.timer.get(), 0, &every_second, nullptr) != 0)
        return false;
    ev.data.fd = w.timer.get();
    return ::epoll_ctl(w.epoll.get(), EPOLL_CTL_ADD, w.timer.get(), &ev) == 0;
}

} // namespace

int backend_main(int argc, char** argv, const BackendProgram& p) {
    const std::vector<std::string_view> args(argv + 1, argv + argc);
    if (args.size() == 1 && (args[0] == "--help" || args[0] == "-h")) {
        std::fputs(p.usage, stdout);
        return 0;
    }
    const auto log = [&p](const std::string& line) {
        std::fprintf(stderr, "%s: %s\n", p.name, line.c_str());
    };
    std::string why;
    auto opts = parse_backend_args(args, &why);
    if (!opts.ok()) {
        std::fprintf(stderr, "%s: %s\n%s", p.name, why.c_str(), p.usage);
        return 2;
    }
    const UniqueFd sigfd = signal_fd();
    Wake wake;
    if (!sigfd.valid() || !make_wake(sigfd.get(), !opts->metrics.empty(), wake)) {
        log(std::string("signalfd/timerfd: ") + std::strerror(errno));
        return 1;
    }
    if (opts->sandbox) {
        if (!keep_only_capabilities(backend_capabilities(p.kind.type)).ok()) {
            log(std::string("cannot drop capabilities: ") + std::strerror(errno));
            return 1;
        }
        if (!enter_sandbox(backend_syscalls(), p.name).ok()) {
            log(std::string("cannot enter the sandbox (seccomp): ") + std::strerror(errno));
            return 1;
        }
    }
    BackendWatcher::Config cfg;
    cfg.store_socket = opts->store;
    cfg.domid = opts->domid;
    cfg.control_socket = opts->control;
    cfg.kind = p.kind;
    cfg.log = log;
    auto watcher = BackendWatcher::create(std::move(cfg), why);
    if (!watcher.ok()) {
        log(why);
        return 1;
    }
    log("serving domain " + std::to_string(opts->domid) + "'s " + p.kind.type + " devices (store " +
        opts->store + ", control " + opts->control + ")");
    bool metrics_failed = false;
    auto write_metrics = [&] {
        if (opts->metrics.empty())
            return;
        const std::string text = (*watcher)->metrics() + "sandbox.enabled " +
                                 (opts->sandbox ? "1" : "0") + "\nsandbox.denied " +
                                 std::to_string(sandbox_denied()) + "\n";
        const bool ok = write_file_atomic(opts->metrics, text).ok();
        if (!ok && !metrics_failed)
            log("cannot write " + opts->metrics + ": " + std::strerror(errno));
        metrics_failed = !ok;
    };
    write_metrics();
    auto on_wake = [&] {
        std::uint64_t ticks = 0;
        if (wake.timer.valid() && ::read(wake.timer.get(), &ticks, sizeof ticks) > 0)
            write_metrics();
        signalfd_siginfo si{};
        while (::read(sigfd.get(), &si, sizeof si) == static_cast<ssize_t>(sizeof si)) {
            if (si.ssi_signo == SIGUSR1) {
                std::fputs((*watcher)->format_counters().c_str(), stderr);
                continue;
            }
            log(std::string("stopping on ") + ::strsignal(static_cast<int>(si.ssi_signo)));
            return false;
        }
        return true;
    };
    const Status served = (*watcher)->serve(wake.epoll.get(), on_wake);
    if (!served.ok())
        log("pvisor went away (store connection closed): stopping");
    (*watcher)->shutdown(served.ok());
    write_metrics();
    std::fputs((*watcher)->format_counters().c_str(), stderr);
    return 0;
}

} // namespace pvisor::backend
