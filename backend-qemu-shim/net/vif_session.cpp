// vif_session.cpp: the vif handshake (backend side) and the NetBackend it starts and stops.
#include "vif_session.hpp"

#include <pv/netif.h>
#include <pv/xs_wire.h>

namespace pvisor::backend {

namespace {

const char* state_name(int s) {
    static const char* const kNames[] = {"Unknown",     "Initialising",  "InitWait",
                                         "Initialised", "Connected",     "Closing",
                                         "Closed",      "Reconfiguring", "Reconfigured"};
    return s >= 0 && s <= XenbusStateReconfigured ? kNames[s] : "?";
}

std::string errc_text(Errc e) {
    return std::string(errc_name(e));
}

// Refusals caused by what the frontend wrote (its grants, its ports), as opposed to the host.
bool frontend_fault(Errc e) {
    return e == Errc::permission_denied || e == Errc::bad_address || e == Errc::invalid_argument ||
           e == Errc::protocol_error;
}

} // namespace

namespace {

// What a vif needs from pvisor: the control connection, the attachment and the store.
struct PvisorLinks {
    ControlClient control;
    Attachment attachment;
    store::StoreClient store;
};

Result<PvisorLinks> open_links(const VifSessionConfig& cfg, const std::string& name,
                               const VifLog& log) {
    auto control = ControlClient::connect(cfg.control);
    if (!control.ok()) {
        log(name + ": cannot connect to the control socket " + cfg.control + ": " +
            errc_text(control.error()));
        return control.error();
    }
    const std::string device =
        "backend/vif/" + std::to_string(cfg.domid) + "/" + std::to_string(cfg.handle);
    auto att = control->attach(device);
    if (!att.ok() || att->domid != cfg.domid) {
        log(name + ": attach for " + device + " refused: " +
            (att.ok() ? "guest is domain " + std::to_string(att->domid) : errc_text(att.error())));
        return att.ok() ? Errc::not_found : att.error();
    }
    auto store = store::StoreClient::connect(att->store_socket);
    if (!store.ok()) {
        log(name + ": cannot open the store at " + att->store_socket + ": " +
            errc_text(store.error()));
        return store.error();
    }
    log(name + ": attached to " + cfg.control + " (guest domain " + std::to_string(att->domid) +
        ", store " + att->store_socket + ")");
    return PvisorLinks{std::move(*control), std::move(*att), std::move(*store)};
}

} // namespace

Result<std::unique_ptr<VifSession>>
VifSession::create(VifSessionConfig cfg, std::vector<std::unique_ptr<NetPort>> ports, VifLog log) {
    if (ports.empty() || ports.size() > PV_NETIF_MAX_QUEUES)
        return Errc::invalid_argument;
    const std::string name = "vif" + std::to_string(cfg.domid) + "." + std::to_string(cfg.handle);
    PV_TRY_ASSIGN(links, open_links(cfg, name, log));
    std::unique_ptr<VifSession> s(
        new VifSession(std::move(cfg), std::move(links.control), std::move(links.attachment),
                       std::move(links.store), std::move(ports), std::move(log)));
    PV_TRY(s->check_nodes());
    PV_TRY(s->publish());
    if (const auto w = s->m_store.watch(s->m_front_dir + "/state", s->m_name); !w.ok()) {
        s->m_log(s->m_name + ": cannot watch " + s->m_front_dir +
                 "/state: " + std::string(store::xs_err_name(w.error())));
        return Errc::io_error;
    }
    s->set_state(XenbusStateInitWait);
    s->evaluate();
    return s;
}

VifSession::VifSession(VifSessionConfig cfg, ControlClient control, Attachment att,
                       store::StoreClient store, std::vector<std::unique_ptr<NetPort>> ports,
                       VifLog log)
    : m_cfg(std::move(cfg)), m_log(std::move(log)),
      m_name("vif" + std::to_string(m_cfg.domid) + "." + std::to_string(m_cfg.handle)),
      m_back_dir("/local/domain/0/backend/vif/" + std::to_string(m_cfg.domid) + "/" +
                 std::to_string(m_cfg.handle)),
      m_front_dir("/local/domain/" + std::to_string(m_cfg.domid) + "/device/vif/" +
                  std::to_string(m_cfg.handle)),
      m_control(std::move(control)), m_attachment(std::move(att)), m_store(std::move(store)),
      m_ports(std::move(ports)) {}

VifSession::~VifSession() {
    disconnect("session ends");
}

// pvisor (the toolstack) creates both directories before starting us; the backend directory
// is the control domain's, so its "frontend" link is trusted once it names the right place.
Status VifSession::check_nodes() {
    auto front = m_store.read(m_back_dir + "/frontend");
    if (!front.ok()) {
        m_log(m_name + ": " + m_back_dir +
              "/frontend: " + std::string(store::xs_err_name(front.error())) +
              "; pvisor must create the vif's nodes (Store::add_device) before pvisor-netback");
        return Errc::not_found;
    }
    if (*front != m_front_dir) {
        m_log(m_name + ": " + m_back_dir + "/frontend is '" + *front + "', expected " +
              m_front_dir);
        return Errc::invalid_argument;
    }
    return {};
}

Status VifSession::publish() {
    const MacAddress mac = m_cfg.net.mac.value_or(
        default_guest_mac(m_cfg.domid, static_cast<std::uint8_t>(m_cfg.handle)));
    auto keys = net_backend_keys(mac, NetOffer{}, static_cast<std::uint32_t>(m_ports.size()));
    keys.emplace_back("handle", std::to_string(m_cfg.handle));
    for (const auto& [key, value] : keys) {
        if (const auto w = m_store.write(m_back_dir + "/" + key, value); !w.ok()) {
            m_log(m_name + ": cannot write " + m_back_dir + "/" + key + ": " +
                  std::string(store::xs_err_name(w.error())));
            return Errc::io_error;
        }
    }
    m_log(m_name + ": published mac " + format_mac(mac) + ", " + std::to_string(m_ports.size()) +
          " queue(s) max");
    return {};
}

Status VifSession::on_readable() {
    do {
        if (!m_store.wait_event().ok()) {
            m_log(m_name + ": the store connection closed");
            return Errc::io_error;
        }
    } while (m_store.has_buffered());
    evaluate();
    return {};
}

std::optional<std::string> VifSession::read_front(std::string_view key) {
    auto v = m_store.read(m_front_dir + "/" + std::string(key));
    if (!v.ok())
        return std::nullopt;
    return std::move(*v);
}

// Level-triggered: whatever the events said, act on the frontend's state as it is now.
void VifSession::evaluate() {
    auto v = m_store.read(m_front_dir + "/state");
    if (!v.ok()) {
        if (v.error() == store::XsErr::enoent)
            on_front_state(XenbusStateUnknown);
        return;
    }
    const auto n = parse_store_u32(*v, XenbusStateReconfigured);
    if (!n) {
        if (*v != m_bad_state) { // counted and logged once per garbage value
            ++m_stats.bad_state;
            m_log(m_name + ": frontend state '" + v->substr(0, 16) +
                  "' is no XenbusState: ignored");
            m_bad_state = std::move(*v);
        }
        return;
    }
    m_bad_state.clear();
    on_front_state(static_cast<int>(*n));
}

void VifSession::on_front_state(int front) {
    switch (front) {
    case XenbusStateInitialising:
        if (m_state != XenbusStateInitWait) {
            disconnect("frontend restarted");
            m_failures = 0;
            set_state(XenbusStateInitWait);
        }
        break;
    case XenbusStateInitialised:
    case XenbusStateConnected:
        if (m_state == XenbusStateConnected && front_moved()) {
            // pvbus's reconnect (Initialising, new rings, Connected) seen only at its end.
            disconnect("frontend reconnected with new rings");
            connect();
        } else if (m_state == XenbusStateInitWait) {
            connect();
        }
        break;
    case XenbusStateClosing:
        disconnect("frontend closing");
        if (m_state != XenbusStateClosed)
            set_state(XenbusStateClosed);
        break;
    case XenbusStateClosed:
        if (m_state == XenbusStateInitWait)
            break; // it will see InitWait and reconnect
        disconnect("frontend closed");
        if (m_state != XenbusStateClosed)
            set_state(XenbusStateClosed);
        if (m_failures < kMaxFailures)
            set_state(XenbusStateInitWait);
        else
            m_log(m_name + ": " + std::to_string(m_failures) +
                  " failed connects: staying Closed until the frontend reinitialises");
        break;
    case XenbusStateUnknown:
        disconnect("frontend gone");
        if (m_state != XenbusStateClosed)
            set_state(XenbusStateClosed);
        break;
    default:
        break; // Reconfiguring/Reconfigured: not used by netif
    }
}

// Connected, and the frontend names other rings or ports than the ones served (or its keys
// no longer parse): it reconnected while this session read its state only at the end.
bool VifSession::front_moved() {
    auto now = read_vif_front([this](std::string_view k) { return read_front(k); },
                              static_cast<std::uint32_t>(m_ports.size()));
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

void VifSession::connect() {
    std::string why;
    auto front = read_vif_front([this](std::string_view k) { return read_front(k); },
                                static_cast<std::uint32_t>(m_ports.size()), &why);
    Status st = front.ok() ? start_backend(*front, why) : Status(front.error());
    if (st.ok()) {
        ++m_stats.connects;
        m_failures = 0;
        set_state(XenbusStateConnected);
        return;
    }
    ++m_failures;
    if (frontend_fault(st.error()))
        ++m_stats.bad_frontend;
    else
        ++m_stats.connect_errors;
    m_log(m_name + ": cannot connect: " + why + "; closing");
    set_state(XenbusStateClosing);
}

Status VifSession::start_backend(const VifFront& front, std::string& why) {
    auto frames = m_control.grant_frames();
    auto view = frames.ok() ? GrantTableView::create(m_attachment.memory, std::move(*frames))
                            : Result<GrantTableView>(frames.error());
    if (!view.ok()) {
        why = "guest grant table unusable: " + errc_text(view.error());
        return view.error() == Errc::invalid_argument ? Errc::protocol_error : view.error();
    }
    if (!m_journal_asked) {
        auto journal = m_control.pin_journal();
        if (!journal.ok() && journal.error() != Errc::not_supported) {
            why = "pin journal from pvisor: " + errc_text(journal.error());
            return journal.error();
        }
        m_journal_asked = true;
        if (journal.ok())
            m_journal = std::make_unique<PinJournal>(std::move(journal).value());
    }
    if (m_journal && !view->use_journal(*m_journal).ok()) {
        why = "pin journal smaller than the grant table";
        return Errc::protocol_error;
    }
    m_grants = std::make_unique<GrantTableView>(std::move(*view));
    for (std::size_t i = 0; i < m_ports.size(); ++i) {
        if (!m_ports[i]->set_enabled(i < front.queues.size()).ok())
            m_log(m_name + ": host queue " + std::to_string(i) + " not switched " +
                  (i < front.queues.size() ? "on" : "off"));
    }
    std::vector<NetQueueBinding> bindings;
    std::vector<std::unique_ptr<NetPort>> ports;
    for (std::size_t i = 0; i < front.queues.size(); ++i) {
        const VifQueueKeys& q = front.queues[i];
        auto port = m_control.bind(q.event_channel);
        if (!port.ok()) {
            why = "event channel " + std::to_string(q.event_channel) + " refused (" +
                  std::to_string(m_control.last_status()) + ")";
            unbind_all();
            return port.error();
        }
        m_bound.push_back(q.event_channel);
        bindings.push_back(NetQueueBinding{q.tx_ring_ref, q.rx_ring_ref, std::move(port->notify),
                                           std::move(port->raise), front.features});
        ports.push_back(std::make_unique<BorrowedPort>(*m_ports[i]));
    }
    auto backend = NetBackend::create(m_name, *m_grants, std::move(ports), std::move(bindings));
    if (!backend.ok()) {
        why = "rings not usable: " + errc_text(backend.error()) +
              " (grant refusals so far: " + std::to_string(m_grants->refused_total()) + ")";
        unbind_all();
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

void VifSession::disconnect(const char* reason) {
    if (m_backend != nullptr) {
        m_backend->stop();
        m_totals.add(m_backend->counters());
        m_backend.reset();
        ++m_stats.disconnects;
        m_served.clear();
        m_log(m_name + ": disconnected (" + reason + ")");
    }
    unbind_all();
}

void VifSession::unbind_all() {
    for (const std::uint32_t port : m_bound) {
        if (!m_control.unbind(port).ok())
            m_log(m_name + ": unbind of port " + std::to_string(port) + " refused");
    }
    m_bound.clear();
    m_grants.reset();
}

void VifSession::set_state(int state) {
    if (const auto w = m_store.write(m_back_dir + "/state", std::to_string(state)); !w.ok()) {
        m_log(m_name + ": cannot write state " + state_name(state) + ": " +
              std::string(store::xs_err_name(w.error())));
        return;
    }
    m_state = state;
    m_log(m_name + ": state " + state_name(state));
}

void VifSession::shutdown(bool store_alive) {
    disconnect("stopping");
    if (store_alive && m_state != XenbusStateClosed) {
        set_state(XenbusStateClosing);
        set_state(XenbusStateClosed);
    }
}

std::string VifSession::format_counters() const {
    NetCounters sum;
    sum.add(m_totals);
    if (m_backend != nullptr)
        sum.add(m_backend->counters());
    std::string out;
    std::string text = sum.format();
    for (std::size_t pos = 0; pos < text.size();) {
        const std::size_t nl = text.find('\n', pos);
        out += m_name + "." + text.substr(pos, nl - pos + 1);
        pos = nl + 1;
    }
    auto line = [&](const char* n, std::uint64_t v) {
        out += m_name + ".session." + n + ' ' + std::to_string(v) + '\n';
    };
    line("connects", m_stats.connects);
    line("disconnects", m_stats.disconnects);
    line("bad_frontend", m_stats.bad_frontend);
    line("bad_state", m_stats.bad_state);
    line("connect_errors", m_stats.connect_errors);
    return out;
}

} // namespace pvisor::backend
