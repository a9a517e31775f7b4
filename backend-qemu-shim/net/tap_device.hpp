// tap_device.hpp: a host TAP interface with virtio-net headers, its queues, up and bridged.
#pragma once

#include "net_port.hpp"

#include <memory>
#include <string>
#include <vector>

namespace pvisor::backend {

// One queue of a TAP device: an fd from /dev/net/tun attached to the interface.
class TapQueue final : public NetPort {
  public:
    explicit TapQueue(UniqueFd fd, bool multi = false) : m_fd(std::move(fd)), m_multi(multi) {}
    [[nodiscard]] int fd() const noexcept override { return m_fd.get(); }
    // TUNSETOFFLOAD: TUN_F_CSUM / TUN_F_TSO4 / TUN_F_TSO6.
    [[nodiscard]] Status set_offloads(const NetOffloads& o) override;
    // TUNSETQUEUE IFF_ATTACH_QUEUE / IFF_DETACH_QUEUE (multi-queue TAPs; a no-op otherwise).
    [[nodiscard]] Status set_enabled(bool on) override;

  private:
    UniqueFd m_fd;
    bool m_multi;
    bool m_enabled = true; // the kernel refuses attaching an attached queue (and v.v.)
};

// Opens (creating if needed) TAP `name` with `queues` queues (IFF_TAP | IFF_NO_PI |
// IFF_VNET_HDR, IFF_MULTI_QUEUE when more than one), sets the 12-byte vnet header, brings the
// link up and, if `bridge` is not empty, attaches it to that existing bridge (SIOCBRADDIF).
// The fds are O_NONBLOCK: io_uring polls them instead of parking a worker in a read. The
// interface goes away when the last queue fd closes (it is not persistent).
class TapDevice {
  public:
    static Result<TapDevice> open(const std::string& name, std::uint32_t queues,
                                  const std::string& bridge = {});

    [[nodiscard]] const std::string& name() const noexcept { return m_name; }
    [[nodiscard]] int ifindex() const noexcept { return m_ifindex; }
    // Hands the queues over (each to its NetQueue); the device keeps the name only.
    [[nodiscard]] std::vector<std::unique_ptr<NetPort>> take_queues();

  private:
    TapDevice() = default;
    std::string m_name;
    int m_ifindex = 0;
    std::vector<std::unique_ptr<NetPort>> m_queues;
};

// True if /dev/net/tun can be opened and TUNSETIFF works in the caller's network namespace
// (for tests and benches; it creates a transient TAP, gone when the probe's fd closes).
[[nodiscard]] bool tap_available();

} // namespace pvisor::backend
