// vif_session.hpp: one guest network interface's part of a BackendDevice: its TAP, keys and
// data path.
#pragma once

#include "backend_device.hpp"
#include "backend_watcher.hpp"
#include "net_backend.hpp"
#include "vif_config.hpp"
#include "vif_front.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace pvisor::backend {

// Opens the host side of an interface: its TAP's queues in pvisor-netback (open_tap_ports),
// socketpair ends in tests. At least one port; refused: the reason in `why`.
using VifPortOpener = std::function<Result<std::vector<std::unique_ptr<NetPort>>>(
    const VifConfig& cfg, std::string& why)>;

// The TAP `cfg.tap` with cfg.queues queues, up and added to cfg.bridge. Refused as
//   vifname: cannot open TAP '<name>' (<error>)
[[nodiscard]] Result<std::vector<std::unique_ptr<NetPort>>> open_tap_ports(const VifConfig& cfg,
                                                                           std::string& why);

// A vif: the host ports (kept open across frontend reconnects), the netif keys with the
// guest's MAC, and at each connect a NetBackend (a thread per queue) over the rings the
// frontend names. Counters add up over every connection.
class VifSession final : public DeviceDriver {
  public:
    // Failed connects in a row after which the device stays Closed.
    static constexpr std::uint32_t kMaxFailures = 8;

    // How the watcher makes VifSessions: type "vif", named vif<domid>.<handle> as Xen names
    // the backend interface, configured by read_vif_config, its ports from `open_ports`.
    [[nodiscard]] static DeviceKind kind(VifPortOpener open_ports = open_tap_ports);
    // `ports`: 1..PV_NETIF_MAX_QUEUES host queues.
    static Result<std::unique_ptr<VifSession>> create(const VifConfig& cfg, std::uint32_t handle,
                                                      std::vector<std::unique_ptr<NetPort>> ports,
                                                      std::string name, DeviceLog log);
    ~VifSession() override;

    [[nodiscard]] StoreKeys backend_keys() override;
    [[nodiscard]] std::string describe() const override;
    [[nodiscard]] Status connect(const KeyReader& front, GrantTableView& grants, PortBinder& ports,
                                 std::string& why) override;
    [[nodiscard]] bool front_moved(const KeyReader& front) override;
    void disconnect() override;
    [[nodiscard]] bool connected() const override { return m_backend != nullptr; }
    [[nodiscard]] std::string format_counters() const override;

  private:
    VifSession(const VifConfig& cfg, std::uint32_t handle,
               std::vector<std::unique_ptr<NetPort>> ports, std::string name, DeviceLog log)
        : m_cfg(cfg), m_handle(handle), m_name(std::move(name)), m_log(std::move(log)),
          m_ports(std::move(ports)) {}

    VifConfig m_cfg;
    std::uint32_t m_handle;
    std::string m_name;
    DeviceLog m_log;
    NetCounters m_totals;               // packet counters of finished connections
    std::vector<VifQueueKeys> m_served; // what the running backend was started with
    // Destruction order: the backend (which borrows the ports) before the ports.
    std::vector<std::unique_ptr<NetPort>> m_ports;
    std::unique_ptr<NetBackend> m_backend;
};

} // namespace pvisor::backend
