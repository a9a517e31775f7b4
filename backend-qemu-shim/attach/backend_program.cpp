// backend_program.cpp: argument parsing, the stop signals on a signalfd, and the serve loop.
#include "backend_program.hpp"

#include "backend_args.hpp"
#include "unique_fd.hpp"

#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>
#include <sys/signalfd.h>
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
    return UniqueFd(::signalfd(-1, &set, SFD_CLOEXEC));
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
    if (!sigfd.valid()) {
        log(std::string("signalfd: ") + std::strerror(errno));
        return 1;
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
    auto on_signal = [&] {
        signalfd_siginfo si{};
        if (::read(sigfd.get(), &si, sizeof si) != static_cast<ssize_t>(sizeof si))
            return true;
        if (si.ssi_signo == SIGUSR1) {
            std::fputs((*watcher)->format_counters().c_str(), stderr);
            return true;
        }
        log(std::string("stopping on ") + ::strsignal(static_cast<int>(si.ssi_signo)));
        return false;
    };
    const Status served = (*watcher)->serve(sigfd.get(), on_signal);
    if (!served.ok())
        log("pvisor went away (store connection closed): stopping");
    (*watcher)->shutdown(served.ok());
    std::fputs((*watcher)->format_counters().c_str(), stderr);
    return 0;
}

} // namespace pvisor::backend
