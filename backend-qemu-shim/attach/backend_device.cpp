// backend_device.cpp: the XenbusState handshake (backend side) shared by every device kind.
#include "backend_device.hpp"

#include "device_keys.hpp"

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

std::string xs_text(store::XsErr e) {
    return std::string(store::xs_err_name(e));
}

// Refusals caused by what the frontend wrote (its keys, grants, ports), not by the host.
bool frontend_fault(Errc e) {
    return e == Errc::permission_denied || e == Errc::bad_address || e == Errc::invalid_argument ||
           e == Errc::protocol_error;
}

// Transactions that keep conflicting (the toolstack rewriting the directory) are given up.
constexpr int kTransactionTries = 8;

} // namespace

void for_each_line(std::string_view text, const std::function<void(std::string_view)>& fn) {
    while (!text.empty()) {
        const std::size_t nl = text.find('\n');
        fn(text.substr(0, nl));
        text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    }
}

store::XsStatus write_backend_nodes(store::StoreClient& store, const std::string& dir,
                                    const StoreKeys& keys) {
    store::XsStatus st = store::XsErr::eagain;
    for (int i = 0; i < kTransactionTries && !st.ok() && st.error() == store::XsErr::eagain; ++i) {
        auto tx = store.transaction_start();
        if (!tx.ok())
            return tx.error();
        // Read inside the transaction: if the directory goes meanwhile, the commit conflicts.
        if (auto present = store.read(dir + "/state", *tx); !present.ok()) {
            (void)store.transaction_end(*tx, false);
            return present.error();
        }
        st = {};
        for (const auto& [key, value] : keys)
            st = st.ok() ? store.write(dir + "/" + key, value, *tx) : st;
        if (!st.ok()) {
            (void)store.transaction_end(*tx, false);
            return st;
        }
        st = store.transaction_end(*tx, true);
    }
    return st;
}

Result<BoundPort> PortBinder::bind(std::uint32_t port, std::string& why) {
    auto bound = m_control.bind(port);
    if (!bound.ok()) {
        why = "event channel " + std::to_string(port) + " refused by pvisor (" +
              std::to_string(m_control.last_status()) + ")";
        return bound.error();
    }
    m_bound.push_back(bound->port);
    return bound;
}

Result<std::unique_ptr<BackendDevice>> BackendDevice::create(Config cfg,
                                                             std::unique_ptr<DeviceDriver> driver,
                                                             store::StoreClient& store,
                                                             std::string& why) {
    auto control = ControlClient::connect(cfg.control_socket);
    if (!control.ok()) {
        why = "cannot connect to the control socket " + cfg.control_socket + " (" +
              errc_text(control.error()) + ")";
        return control.error();
    }
    // ATTACH names the directory relative to the control domain's home (backend/vbd/1/51712).
    constexpr std::string_view kHome = "/local/domain/0/";
    std::string_view device = cfg.site.back_dir;
    if (device.starts_with(kHome))
        device.remove_prefix(kHome.size());
    auto att = control->attach(std::string(device));
    if (!att.ok()) {
        why = "attach to " + cfg.control_socket + " refused (" + errc_text(att.error()) + ")";
        return att.error();
    }
    if (att->domid != cfg.site.domid) {
        why = "the control socket " + cfg.control_socket + " serves domain " +
              std::to_string(att->domid) + ", not " + std::to_string(cfg.site.domid);
        return Errc::invalid_argument;
    }
    std::unique_ptr<BackendDevice> dev(new BackendDevice(std::move(cfg), std::move(driver), store,
                                                         std::move(control).value(),
                                                         std::move(att).value()));
    PV_TRY(dev->publish(why));
    return dev;
}

BackendDevice::BackendDevice(Config cfg, std::unique_ptr<DeviceDriver> driver,
                             store::StoreClient& store, ControlClient control, Attachment att)
    : m_cfg(std::move(cfg)), m_token("front:" + std::to_string(m_cfg.site.devid)), m_store(store),
      m_control(std::move(control)), m_attachment(std::move(att)), m_driver(std::move(driver)) {}

BackendDevice::~BackendDevice() {
    disconnect("device dropped");
    (void)m_store.unwatch(m_cfg.site.front_dir + "/state", m_token);
}

// The driver's keys and hotplug-status = connected (what Xen's hotplug scripts write once the
// device is ready), the watch on the frontend's state (its first event arrives at once), then
// InitWait: a frontend that sees InitWait finds the device whole.
Status BackendDevice::publish(std::string& why) {
    StoreKeys keys = m_driver->backend_keys();
    keys.emplace_back("hotplug-status", "connected");
    if (const auto w = write_backend_nodes(m_store, m_cfg.site.back_dir, keys); !w.ok()) {
        why = "cannot write " + m_cfg.site.back_dir + " (" + xs_text(w.error()) + ")";
        return Errc::io_error;
    }
    (void)m_store.rm(m_cfg.site.back_dir + "/hotplug-error"); // left by an earlier failure
    if (const auto w = m_store.watch(m_cfg.site.front_dir + "/state", m_token); !w.ok()) {
        why = "cannot watch " + m_cfg.site.front_dir + "/state (" + xs_text(w.error()) + ")";
        return Errc::io_error;
    }
    m_cfg.log(name() + ": " + m_driver->describe());
    set_state(XenbusStateInitWait);
    if (m_state != XenbusStateInitWait) {
        why = "cannot write " + m_cfg.site.back_dir + "/state";
        return Errc::io_error;
    }
    return {};
}

std::optional<std::string> BackendDevice::read_front(std::string_view key) {
    auto v = m_store.read(m_cfg.site.front_dir + "/" + std::string(key));
    if (!v.ok())
        return std::nullopt;
    return std::move(*v);
}

void BackendDevice::on_front_event() {
    evaluate();
}

// Level-triggered: whatever the events said, act on the frontend's state as it is now.
void BackendDevice::evaluate() {
    auto v = m_store.read(m_cfg.site.front_dir + "/state");
    if (!v.ok()) {
        if (v.error() == store::XsErr::enoent) {
            m_front = XenbusStateUnknown;
            on_front_state(XenbusStateUnknown);
        }
        return;
    }
    const auto n = parse_decimal(*v, XenbusStateReconfigured);
    if (!n) {
        if (*v != m_bad_state) { // counted and logged once per garbage value
            ++m_stats.bad_state;
            m_cfg.log(name() + ": frontend state '" + v->substr(0, 16) +
                      "' is no XenbusState: ignored");
            m_bad_state = std::move(*v);
        }
        return;
    }
    m_bad_state.clear();
    m_front = static_cast<int>(*n);
    on_front_state(m_front);
}

void BackendDevice::on_front_state(int front) {
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
        if (m_state == XenbusStateConnected &&
            m_driver->front_moved([this](std::string_view k) { return read_front(k); })) {
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
        if (m_failures < m_cfg.max_failures)
            set_state(XenbusStateInitWait);
        else
            m_cfg.log(name() + ": " + std::to_string(m_failures) +
                      " failed connects: staying Closed until the frontend reinitialises");
        break;
    case XenbusStateUnknown:
        disconnect("frontend gone");
        if (m_state != XenbusStateClosed)
            set_state(XenbusStateClosed);
        break;
    default:
        break; // Reconfiguring/Reconfigured: not used by blkif or netif
    }
}

void BackendDevice::connect() {
    std::string why;
    Status st = map_grants(why);
    if (st.ok()) {
        PortBinder ports(m_control, m_bound);
        st = m_driver->connect([this](std::string_view k) { return read_front(k); }, *m_grants,
                               ports, why);
    }
    if (st.ok()) {
        ++m_stats.connects;
        m_failures = 0;
        set_state(XenbusStateConnected);
        return;
    }
    unbind_all();
    ++m_failures;
    if (frontend_fault(st.error()))
        ++m_stats.bad_frontend;
    else
        ++m_stats.connect_errors;
    m_cfg.log(name() + ": cannot connect: " + why + "; closing");
    set_state(XenbusStateClosing);
}

// The guest places its grant frames when pvcore loads: asked at each connect, not at attach.
Status BackendDevice::map_grants(std::string& why) {
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
    return {};
}

void BackendDevice::disconnect(const char* reason) {
    if (m_driver->connected()) {
        m_driver->disconnect();
        ++m_stats.disconnects;
        m_cfg.log(name() + ": disconnected (" + reason + ")");
    }
    unbind_all();
}

void BackendDevice::unbind_all() {
    for (const std::uint32_t port : m_bound) {
        if (!m_control.unbind(port).ok())
            m_cfg.log(name() + ": unbind of port " + std::to_string(port) + " refused");
    }
    m_bound.clear();
    m_grants.reset();
}

void BackendDevice::set_state(int state) {
    const auto w =
        write_backend_nodes(m_store, m_cfg.site.back_dir, {{"state", std::to_string(state)}});
    if (!w.ok()) {
        m_cfg.log(name() + ": cannot write state " + state_name(state) + ": " + xs_text(w.error()));
        return;
    }
    m_state = state;
    m_cfg.log(name() + ": state " + state_name(state));
}

void BackendDevice::close() {
    disconnect("detached by the toolstack");
    if (m_state != XenbusStateClosed)
        set_state(XenbusStateClosed);
}

void BackendDevice::shutdown() {
    disconnect("stopping");
    if (m_state != XenbusStateClosed) {
        set_state(XenbusStateClosing);
        set_state(XenbusStateClosed);
    }
}

std::string BackendDevice::format_counters() const {
    std::string out;
    for_each_line(m_driver->format_counters(),
                  [&](std::string_view line) { out += name() + "." + std::string(line) + '\n'; });
    auto line = [&](const char* n, std::uint64_t v) {
        out += name() + ".session." + n + ' ' + std::to_string(v) + '\n';
    };
    line("connects", m_stats.connects);
    line("disconnects", m_stats.disconnects);
    line("bad_frontend", m_stats.bad_frontend);
    line("bad_state", m_stats.bad_state);
    line("connect_errors", m_stats.connect_errors);
    return out;
}

} // namespace pvisor::backend
