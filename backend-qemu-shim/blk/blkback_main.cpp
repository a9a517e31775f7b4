// blkback_main.cpp: pvisor-blkback, the block backend process: one BlkDevice per --disk,
// driven by one poll loop over their store connections and a signalfd.
#include "blk_device.hpp"
#include "blk_vdev.hpp"
#include "blkback_options.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <poll.h>
#include <signal.h>
#include <string>
#include <sys/signalfd.h>
#include <unistd.h>
#include <vector>

namespace {

using pvisor::backend::BlkDevice;

const char* const kUsage =
    "usage: pvisor-blkback --control SOCKET --disk SPEC [--disk SPEC ...]\n"
    "Serves PV disks to the guest of a running `pvisor run` (normally started by it, once\n"
    "per guest, with the same --disk options).\n"
    "  --control SOCKET  pvisor's control socket (<control dir>/guest.ctl)\n"
    "  --disk SPEC       path[,ro][,queues=N][,direct=on|off]; the first is xvda\n"
    "                    (virtual-device 51712), the next xvdb (51728), ... up to 16\n"
    "pvisor must have written the store nodes backend/vbd/1/<devid> (pvisor run --disk).\n"
    "SIGTERM, SIGINT or SIGHUP: stop serving (state Closed) and exit 0.\n";

// The stop signals, blocked in every thread (the queue threads inherit the mask) and read
// from a signalfd in the poll loop.
pvisor::UniqueFd block_stop_signals() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    if (::pthread_sigmask(SIG_BLOCK, &set, nullptr) != 0)
        return pvisor::UniqueFd();
    return pvisor::UniqueFd(::signalfd(-1, &set, SFD_CLOEXEC));
}

// Serves until a stop signal (0) or until a store connection fails (1). fds[0] is the
// signalfd, fds[i + 1] device i's store connection.
int serve(std::vector<std::unique_ptr<BlkDevice>>& devices, std::vector<pollfd>& fds) {
    const int signal_fd = fds[0].fd;
    for (;;) {
        if (::poll(fds.data(), fds.size(), -1) < 0) {
            if (errno == EINTR)
                continue;
            std::perror("pvisor-blkback: poll");
            return 1;
        }
        if ((fds[0].revents & POLLIN) != 0) {
            signalfd_siginfo si{};
            const ssize_t n = ::read(signal_fd, &si, sizeof si);
            std::fprintf(stderr, "pvisor-blkback: stopping (%s)\n",
                         n == sizeof si ? ::sigabbrev_np(static_cast<int>(si.ssi_signo)) : "?");
            return 0;
        }
        for (std::size_t i = 0; i < devices.size(); ++i) {
            if (fds[i + 1].revents == 0)
                continue;
            if (!devices[i]->on_store_readable().ok()) {
                std::fprintf(stderr, "pvisor-blkback: %s: store connection lost (pvisor gone?)\n",
                             devices[i]->name().c_str());
                return 1;
            }
        }
    }
}

} // namespace

int main(int argc, char** argv) {
    std::vector<std::string_view> args(argv + 1, argv + argc);
    if (args.size() == 1 && (args[0] == "--help" || args[0] == "-h")) {
        std::fputs(kUsage, stdout);
        return 0;
    }
    std::string why;
    auto opts = pvisor::backend::parse_blkback_options(args, &why);
    if (!opts.ok()) {
        std::fprintf(stderr, "pvisor-blkback: %s\n%s", why.c_str(), kUsage);
        return 2;
    }
    // A closed store or control connection must be an error value, not a signal.
    ::signal(SIGPIPE, SIG_IGN);
    const pvisor::UniqueFd signal_fd = block_stop_signals();
    if (!signal_fd.valid()) {
        std::perror("pvisor-blkback: signalfd");
        return 1;
    }
    std::vector<std::unique_ptr<BlkDevice>> devices;
    std::vector<pollfd> fds{{signal_fd.get(), POLLIN, 0}};
    for (unsigned i = 0; i < opts->disks.size(); ++i) {
        auto dev = BlkDevice::open(opts->disks[i], i, opts->control, &why);
        if (!dev.ok()) {
            std::fprintf(stderr, "pvisor-blkback: %s: %s\n",
                         pvisor::backend::blk_vdev_name(i).c_str(), why.c_str());
            return 1;
        }
        fds.push_back({(*dev)->store_fd(), POLLIN, 0});
        devices.push_back(std::move(dev).value());
    }
    const int status = serve(devices, fds);
    for (auto& dev : devices) {
        dev->stop();
        const auto& s = dev->stats();
        std::fprintf(stderr,
                     "pvisor-blkback: %s: %llu connect(s), %llu frontend error(s), %llu setup "
                     "error(s)\n",
                     dev->name().c_str(), static_cast<unsigned long long>(s.connects),
                     static_cast<unsigned long long>(s.front_errors),
                     static_cast<unsigned long long>(s.setup_errors));
    }
    return status;
}
