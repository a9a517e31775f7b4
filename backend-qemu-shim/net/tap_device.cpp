// tap_device.cpp: TUNSETIFF / TUNSETVNETHDRSZ / TUNSETOFFLOAD, link up and bridge attach.
#include "tap_device.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <thread>

namespace pvisor::backend {

namespace {

Errc log_errno(const char* what, const std::string& name) {
    std::fprintf(stderr, "pvisor-netback: %s %s: %s\n", what, name.c_str(), std::strerror(errno));
    return Errc::system_error;
}

ifreq ifreq_for(const std::string& name) {
    ifreq ifr{};
    std::memcpy(ifr.ifr_name, name.data(), std::min(name.size(), std::size_t{IFNAMSIZ - 1}));
    return ifr;
}

// TUNSETIFF; EBUSY while a queue of a previous owner is still attached is waited out: a
// backend that died leaves its TAP fds to its io_urings, which the kernel releases
// asynchronously after the process is gone (bounded: kBusyTries x kBusyWait).
int attach_tap(int fd, ifreq& ifr, const std::string& name) {
    constexpr int kBusyTries = 100;
    constexpr auto kBusyWait = std::chrono::milliseconds(20);
    for (int i = 0;; ++i) {
        ifreq attempt = ifr;
        if (::ioctl(fd, TUNSETIFF, &attempt) == 0) {
            ifr = attempt;
            return 0;
        }
        if (errno != EBUSY || i + 1 == kBusyTries)
            return -1;
        if (i == 0)
            std::fprintf(stderr,
                         "pvisor-netback: TAP %s busy (a previous queue is closing): "
                         "waiting\n",
                         name.c_str());
        std::this_thread::sleep_for(kBusyWait);
    }
}

Result<UniqueFd> open_queue(std::string& name, bool multi) {
    UniqueFd fd(::open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC));
    if (!fd.valid())
        return log_errno("open /dev/net/tun for", name);
    ifreq ifr = ifreq_for(name);
    ifr.ifr_flags =
        static_cast<short>(IFF_TAP | IFF_NO_PI | IFF_VNET_HDR | (multi ? IFF_MULTI_QUEUE : 0));
    if (attach_tap(fd.get(), ifr, name) != 0)
        return log_errno("TUNSETIFF", name);
    name.assign(ifr.ifr_name, ::strnlen(ifr.ifr_name, IFNAMSIZ)); // a "%d" name is resolved
    int hdr = static_cast<int>(kVnetHdrLen);
    if (::ioctl(fd.get(), TUNSETVNETHDRSZ, &hdr) != 0)
        return log_errno("TUNSETVNETHDRSZ", name);
    // Until the frontend's features are known, rx frames carry no offloads.
    if (::ioctl(fd.get(), TUNSETOFFLOAD, 0UL) != 0)
        return log_errno("TUNSETOFFLOAD", name);
    return fd;
}

Status link_up_and_bridge(const std::string& name, const std::string& bridge, int& ifindex) {
    UniqueFd sock(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (!sock.valid())
        return log_errno("socket for", name);
    ifreq ifr = ifreq_for(name);
    if (::ioctl(sock.get(), SIOCGIFINDEX, &ifr) != 0)
        return log_errno("SIOCGIFINDEX", name);
    ifindex = ifr.ifr_ifindex;
    ifr = ifreq_for(name);
    if (::ioctl(sock.get(), SIOCGIFFLAGS, &ifr) != 0)
        return log_errno("SIOCGIFFLAGS", name);
    ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
    if (::ioctl(sock.get(), SIOCSIFFLAGS, &ifr) != 0)
        return log_errno("SIOCSIFFLAGS up", name);
    if (bridge.empty())
        return {};
    ifreq br = ifreq_for(bridge);
    br.ifr_ifindex = ifindex;
    if (::ioctl(sock.get(), SIOCBRADDIF, &br) != 0)
        return log_errno("SIOCBRADDIF to bridge", bridge);
    return {};
}

} // namespace

Status TapQueue::set_offloads(const NetOffloads& o) {
    unsigned long f = 0;
    f |= o.csum ? TUN_F_CSUM : 0U;
    // The kernel refuses TSO without checksum offload.
    f |= o.csum && o.tso4 ? TUN_F_TSO4 : 0U;
    f |= o.csum && o.tso6 ? TUN_F_TSO6 : 0U;
    if (::ioctl(m_fd.get(), TUNSETOFFLOAD, f) != 0)
        return log_errno("TUNSETOFFLOAD", "queue");
    return {};
}

Status TapQueue::set_enabled(bool on) {
    if (!m_multi || on == m_enabled)
        return {};
    ifreq ifr{};
    ifr.ifr_flags = static_cast<short>(on ? IFF_ATTACH_QUEUE : IFF_DETACH_QUEUE);
    if (::ioctl(m_fd.get(), TUNSETQUEUE, &ifr) != 0)
        return log_errno("TUNSETQUEUE", "queue");
    m_enabled = on;
    return {};
}

Result<TapDevice> TapDevice::open(const std::string& name, std::uint32_t queues,
                                  const std::string& bridge) {
    if (name.empty() || name.size() >= IFNAMSIZ || queues == 0)
        return Errc::invalid_argument;
    TapDevice dev;
    dev.m_name = name;
    for (std::uint32_t i = 0; i < queues; ++i) {
        PV_TRY_ASSIGN(fd, open_queue(dev.m_name, queues > 1));
        dev.m_queues.push_back(std::make_unique<TapQueue>(std::move(fd), queues > 1));
    }
    PV_TRY(link_up_and_bridge(dev.m_name, bridge, dev.m_ifindex));
    return dev;
}

std::vector<std::unique_ptr<NetPort>> TapDevice::take_queues() {
    return std::move(m_queues);
}

bool tap_available() {
    UniqueFd fd(::open("/dev/net/tun", O_RDWR | O_CLOEXEC));
    if (!fd.valid())
        return false;
    ifreq ifr{};
    ifr.ifr_flags = static_cast<short>(IFF_TAP | IFF_NO_PI | IFF_VNET_HDR);
    std::memcpy(ifr.ifr_name, "pvprobe%d", 10);
    return ::ioctl(fd.get(), TUNSETIFF, &ifr) == 0; // gone again when fd closes
}

} // namespace pvisor::backend
