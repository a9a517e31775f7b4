// vif_session.cpp: the netif specifics of a vif: keys, frontend rings, the NetBackend.
#include "vif_session.hpp"

#include "tap_device.hpp"

#include <pv/netif.h>

namespace pvisor::backend {

namespace {

std::string errc_text(Errc e) {
    return std::string(errc_name(e));
}

std::string vif_name(const KeyReader&, std::uint16_t domid, std::uint32_t devid) {
    return "vif" + std::to_string(domid) + "." + std::to_string(devid);
}

} // namespace

Result<std::vector<std::unique_ptr<NetPort>>> open_tap_ports(const VifConfig& cfg,
                                                             std::string& why) {
    auto tap = TapDevice::open(cfg.tap, cfg.queues, cfg.bridge);
    if (!tap.ok()) {
        why = "vifname: cannot open TAP '" + cfg.tap + "' (" + errc_text(tap.error()) + ")";
        return tap.error();
    }
    return tap->take_queues();
}

DeviceKind VifSession::kind(VifPortOpener open_ports) {
    DeviceKind k;
    k.type = "vif";
    k.max_failures = kMaxFailures;
    k.name = vif_name;
    k.open = [open_ports = std::move(open_ports)](
                 const KeyReader& back, const DeviceSite& site, const DeviceLog& log,
                 std::string& why) -> Result<std::unique_ptr<DeviceDriver>> {
        PV_TRY_ASSIGN(cfg, read_vif_config(back, why));
        PV_TRY_ASSIGN(ports, open_ports(cfg, why));
        PV_TRY_ASSIGN(vif, VifSession::create(cfg, site.devid, std::move(ports), site.name, log));
        return std::unique_ptr<DeviceDriver>(std::move(vif));
    };
    return k;
}

Result<std::unique_ptr<VifSession>> VifSession::create(const VifConfig& cfg, std::uint32_t handle,
                                                       std::vector<std::unique_ptr<NetPort>> ports,
                                                       std::string name, DeviceLog log) {
    if (ports.empty() || ports.size() > PV_NETIF_MAX_QUEUES)
        return Errc::invalid_argument;
    return std::unique_ptr<VifSession>(
        new VifSession(cfg, handle, std::move(ports), std::move(name), std::move(log)));
}

VifSession::~VifSession() {
    disconnect();
}

StoreKeys VifSession::backend_keys() {
    StoreKeys keys =
        net_backend_keys(m_cfg.mac, NetOffer{}, static_cast<std::uint32_t>(m_ports.size()));
    keys.emplace_back("handle", std::to_string(m_handle));
    return keys;
}

std::string VifSession::describe() const {
    return "tap " + m_cfg.tap + (m_cfg.bridge.empty() ? "" : " on bridge " + m_cfg.bridge) +
           ", mac " + format_mac(m_cfg.mac) + ", " + std::to_string(m_ports.size()) +
           " queue(s) max";
}

// Connected, and the frontend names other rings or ports than the ones served (or its keys
// no longer parse): it reconnected while the device read its state only at the end.
bool VifSession::front_moved(const KeyReader& front) {
    auto now = read_vif_front(front, static_cast<std::uint32_t>(m_ports.size()));
    if (!now.ok() || now->queues.size() != m_served.size())
        return true;
    for (std::size_t i = 0; i < m_served.size(); ++i) {
        const VifQueueKeys& a = now->queues[i];
        const VifQueueKeys& b = m_served[i];
        if (a.tx_ring_ref != b.tx_ring_ref || a.rx_ring_ref != b.rx_ring_ref ||
            a.event_channel != b.event_channel)
            return true;
    }
    return false;
}

Status VifSession::connect(const KeyReader& front_keys, GrantTableView& grants, PortBinder& binder,
                           std::string& why) {
    PV_TRY_ASSIGN(front,
                  read_vif_front(front_keys, static_cast<std::uint32_t>(m_ports.size()), &why));
    for (std::size_t i = 0; i < m_ports.size(); ++i) {
        if (!m_ports[i]->set_enabled(i < front.queues.size()).ok())
            m_log(m_name + ": host queue " + std::to_string(i) + " not switched " +
                  (i < front.queues.size() ? "on" : "off"));
    }
    std::vector<NetQueueBinding> bindings;
    std::vector<std::unique_ptr<NetPort>> ports;
    for (std::size_t i = 0; i < front.queues.size(); ++i) {
        const VifQueueKeys& q = front.queues[i];
        PV_TRY_ASSIGN(port, binder.bind(q.event_channel, why));
        bindings.push_back(NetQueueBinding{q.tx_ring_ref, q.rx_ring_ref, std::move(port.notify),
                                           std::move(port.raise), front.features});
        ports.push_back(std::make_unique<BorrowedPort>(*m_ports[i]));
    }
    auto backend = NetBackend::create(m_name, grants, std::move(ports), std::move(bindings));
    if (!backend.ok()) {
        why = "rings not usable: " + errc_text(backend.error()) +
              " (grant refusals so far: " + std::to_string(grants.refused_total()) + ")";
        return backend.error();
    }
    m_backend = std::move(*backend);
    m_backend->start();
    m_served = front.queues;
    m_log(m_name + ": connected: " + std::to_string(front.queues.size()) +
          " queue(s), tx-ring-ref " + std::to_string(front.queues[0].tx_ring_ref) +
          ", rx-ring-ref " + std::to_string(front.queues[0].rx_ring_ref) + ", event-channel " +
          std::to_string(front.queues[0].event_channel));
    return {};
}

void VifSession::disconnect() {
    if (m_backend == nullptr)
        return;
    m_backend->stop();
    m_totals.add(m_backend->counters());
    m_backend.reset();
    m_served.clear();
}

std::string VifSession::format_counters() const {
    NetCounters sum;
    sum.add(m_totals);
    if (m_backend != nullptr)
        sum.add(m_backend->counters());
    return sum.format();
}

} // namespace pvisor::backend
