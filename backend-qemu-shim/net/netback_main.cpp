// netback_main.cpp: pvisor-netback, the network backend process: one vif per --net, each a
// TAP device served for the guest's pvnet frontend through pvisor's control socket and store.
#include "netback_options.hpp"
#include "tap_device.hpp"
#include "vif_loop.hpp"
#include "vif_session.hpp"

#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>
#include <sys/signalfd.h>
#include <unistd.h>
#include <vector>

namespace {

using namespace pvisor;
using namespace pvisor::backend;

const char* const kUsage =
    "usage: pvisor-netback --control SOCKET --net tap=NAME[,bridge=BR][,mac=MAC][,queues=N]\n"
    "                      [--net ...]\n"
    "Serves the guest's network interfaces: the i-th --net is vif i (store directories\n"
    "backend/vif/<domid>/<i> and device/vif/<i>, created by pvisor beforehand). The TAP\n"
    "device NAME is created if missing, brought up and added to the existing bridge BR. MAC\n"
    "is the guest's address (default 02:50:56:<domid>:<i>); queues 1..8 (default 1).\n"
    "SIGTERM/SIGINT: clean stop; SIGUSR1: counters on stderr (also printed at exit).\n"
    "Exit status: 0 stopped (signal, or pvisor went away), 1 start-up failure, 2 usage.\n";

void log_line(const std::string& line) {
    std::fprintf(stderr, "pvisor-netback: %s\n", line.c_str());
}

void print_counters(const std::vector<std::unique_ptr<VifSession>>& sessions) {
    for (const auto& s : sessions)
        std::fputs(s->format_counters().c_str(), stderr);
}

// SIGINT/SIGTERM/SIGUSR1 arrive through a signalfd: blocked before any thread starts.
UniqueFd signal_fd() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGUSR1);
    if (::pthread_sigmask(SIG_BLOCK, &set, nullptr) != 0)
        return UniqueFd();
    std::signal(SIGPIPE, SIG_IGN);
    return UniqueFd(::signalfd(-1, &set, SFD_CLOEXEC));
}

Result<std::unique_ptr<VifSession>> start_vif(const std::string& control, const NetConfig& net,
                                              std::uint32_t handle) {
    auto tap = TapDevice::open(net.tap, net.queues, net.bridge);
    if (!tap.ok()) {
        log_line("vif handle " + std::to_string(handle) + ": cannot open TAP " + net.tap);
        return tap.error();
    }
    log_line("tap " + tap->name() + " up (" + std::to_string(net.queues) + " queue(s)" +
             (net.bridge.empty() ? std::string() : ", bridge " + net.bridge) + ")");
    VifSessionConfig cfg;
    cfg.control = control;
    cfg.net = net;
    cfg.handle = handle;
    return VifSession::create(std::move(cfg), tap->take_queues(), log_line);
}

} // namespace

int main(int argc, char** argv) {
    if (argc > 1 && (std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0)) {
        std::fputs(kUsage, stdout);
        return 0;
    }
    const std::vector<std::string_view> args(argv + 1, argv + argc);
    std::string why;
    auto opts = parse_netback_options(args, &why);
    if (!opts.ok()) {
        std::fprintf(stderr, "pvisor-netback: %s\n%s", why.c_str(), kUsage);
        return 2;
    }
    UniqueFd sigfd = signal_fd();
    if (!sigfd.valid()) {
        log_line("cannot set up signal handling");
        return 1;
    }
    std::vector<std::unique_ptr<VifSession>> sessions;
    for (std::size_t i = 0; i < opts->nets.size(); ++i) {
        auto s = start_vif(opts->control, opts->nets[i], static_cast<std::uint32_t>(i));
        if (!s.ok())
            return 1; // sessions already started close their devices on destruction
        sessions.push_back(std::move(*s));
    }
    std::vector<VifSession*> raw;
    for (const auto& s : sessions)
        raw.push_back(s.get());
    auto on_signal = [&] {
        signalfd_siginfo si{};
        if (::read(sigfd.get(), &si, sizeof si) != static_cast<ssize_t>(sizeof si))
            return true;
        if (si.ssi_signo == SIGUSR1) {
            print_counters(sessions);
            return true;
        }
        log_line(std::string("stopping on ") + ::strsignal(static_cast<int>(si.ssi_signo)));
        return false;
    };
    const Status served = serve_vifs(raw, sigfd.get(), on_signal);
    if (!served.ok())
        log_line("pvisor went away (store connection closed): stopping");
    for (const auto& s : sessions)
        s->shutdown(served.ok());
    print_counters(sessions);
    return 0;
}
