// blk_device.cpp: the blkif handshake of one disk (backend side), driven by store watch events.
#include "blk_device.hpp"

#include "blk_features.hpp"
#include "blk_vdev.hpp"

#include <cstdio>
#include <pv/blkif.h>
#include <pv/xen.h>
#include <pv/xs_wire.h>

namespace pvisor::backend {

namespace {

constexpr const char* kFrontStateToken = "front-state";

std::string errc_text(Errc e) {
    return std::string(errc_name(e));
}

Errc fail(std::string* why, std::string msg, Errc e = Errc::invalid_argument) {
    if (why != nullptr)
        *why = std::move(msg);
    return e;
}

// "name value" lines as "name=value ..." on one line; invalid.<reason> only when nonzero.
std::string one_line(const std::string& lines) {
    std::string out;
    std::size_t pos = 0;
    while (pos < lines.size()) {
        std::size_t end = lines.find('\n', pos);
        end = end == std::string::npos ? lines.size() : end;
        std::string line = lines.substr(pos, end - pos);
        pos = end + 1;
        const std::size_t sp = line.find(' ');
        if (sp == std::string::npos || (line.starts_with("invalid.") && line.ends_with(" 0")))
            continue;
        line[sp] = '=';
        out += (out.empty() ? "" : " ") + line;
    }
    return out;
}

} // namespace

BlkDevice::BlkDevice(BlkDiskConfig cfg, unsigned index, ControlClient control, Attachment att,
                     store::StoreClient store)
    : m_cfg(std::move(cfg)), m_name(blk_vdev_name(index)),
      m_back_dir(blk_backend_dir(att.domid, blk_devid(index))), m_control(std::move(control)),
      m_att(std::move(att)), m_store(std::move(store)) {}

BlkDevice::~BlkDevice() {
    stop();
}

Result<std::unique_ptr<BlkDevice>> BlkDevice::open(const BlkDiskConfig& disk, unsigned index,
                                                   const std::string& control_path,
                                                   std::string* why) {
    if (index >= kBlkMaxDisks)
        return fail(why, "more than " + std::to_string(kBlkMaxDisks) + " disks");
    // The disk is opened here once to check it and to learn its size (publish), and again
    // at each connect.
    if (auto d = BlkDisk::open(disk); !d.ok())
        return fail(why, disk.path + ": cannot open: " + errc_text(d.error()), d.error());
    auto control = ControlClient::connect(control_path);
    if (!control.ok())
        return fail(why, control_path + ": cannot connect: " + errc_text(control.error()),
                    control.error());
    // pvisor serves one guest, domain PV_DOMID_GUEST; the reply confirms it below.
    const std::string dir = blk_backend_dir(PV_DOMID_GUEST, blk_devid(index));
    auto att = control->attach(dir);
    if (!att.ok())
        return fail(why, "attach " + dir + ": " + errc_text(att.error()), att.error());
    if (att->domid != PV_DOMID_GUEST)
        return fail(why, "pvisor serves domain " + std::to_string(att->domid), Errc::not_supported);
    auto store = store::StoreClient::connect(att->store_socket);
    if (!store.ok())
        return fail(why, att->store_socket + ": " + errc_text(store.error()), store.error());
    std::unique_ptr<BlkDevice> dev(new BlkDevice(disk, index, std::move(control).value(),
                                                 std::move(att).value(), std::move(store).value()));
    PV_TRY(dev->publish(why));
    return dev;
}

// Features and geometry, then InitWait, then the watch on the frontend's state (its first
// event arrives at once and tells where the frontend is).
Status BlkDevice::publish(std::string* why) {
    auto front = m_store.read(m_back_dir + "/frontend");
    if (!front.ok() || front->empty())
        return fail(why, m_back_dir + "/frontend: missing (did pvisor run get this --disk?)",
                    Errc::not_found);
    m_front_dir = *front;
    PV_TRY_ASSIGN(disk, BlkDisk::open(m_cfg));
    for (const auto& [key, value] : blk_backend_keys(disk)) {
        if (!m_store.write(m_back_dir + "/" + key, value).ok())
            return fail(why, m_back_dir + "/" + key + ": store write refused", Errc::io_error);
    }
    if (!switch_state(XenbusStateInitWait) ||
        !m_store.watch(m_front_dir + "/state", kFrontStateToken).ok())
        return fail(why, m_back_dir + ": store refused the state or the watch", Errc::io_error);
    std::fprintf(stderr,
                 "pvisor-blkback: %s: %s, %llu sectors%s, %u queue(s) offered; waiting "
                 "for the frontend (%s)\n",
                 m_name.c_str(), m_cfg.path.c_str(),
                 static_cast<unsigned long long>(disk.limits().capacity_sectors),
                 m_cfg.read_only ? ", read-only" : "", m_cfg.queues, m_front_dir.c_str());
    return {};
}

bool BlkDevice::switch_state(std::uint32_t state) {
    m_state = state;
    return m_store.write(m_back_dir + "/state", std::to_string(state)).ok();
}

std::optional<std::string> BlkDevice::read_front(const std::string& key) {
    auto v = m_store.read(m_front_dir + "/" + key);
    if (!v.ok())
        return std::nullopt;
    return std::move(v).value();
}

Status BlkDevice::on_store_readable() {
    auto ev = m_store.wait_event();
    if (!ev.ok())
        return Errc::io_error;
    PV_TRY(handle(*ev));
    // Requests made while handling may have queued more events.
    while (auto queued = m_store.take_queued_event())
        PV_TRY(handle(*queued));
    return {};
}

Status BlkDevice::handle(const store::WatchEvent& ev) {
    if (ev.token != kFrontStateToken)
        return {};
    auto text = m_store.read(m_front_dir + "/state");
    if (!text.ok()) {
        // Removed (the guest unplugged the device), or the store is gone.
        if (text.error() == store::XsErr::eio)
            return Errc::io_error;
        on_front_state(XenbusStateUnknown);
        return {};
    }
    const auto state = parse_store_uint(*text, XenbusStateReconfigured);
    if (!state) {
        ++m_stats.front_errors;
        refuse("frontend state '" + text->substr(0, 16) + "' is not a XenbusState");
        return {};
    }
    on_front_state(*state);
    return {};
}

void BlkDevice::on_front_state(std::uint32_t state) {
    switch (state) {
    case XenbusStateInitialised:
        if (m_state != XenbusStateInitWait)
            return;
        if (std::string why; !connect(&why).ok())
            refuse(why);
        return;
    case XenbusStateClosing:
    case XenbusStateClosed:
    case XenbusStateUnknown:
        if (connected()) {
            disconnect();
            std::fprintf(stderr, "pvisor-blkback: %s: frontend closing: disconnected\n",
                         m_name.c_str());
        }
        if (m_state != XenbusStateClosed)
            (void)switch_state(XenbusStateClosed);
        // Frontend Closed: offer the device again (online = 1), unless it failed too often.
        if (state == XenbusStateClosed && m_failed_connects < kMaxFailedConnects) {
            (void)switch_state(XenbusStateInitWait);
            std::fprintf(stderr, "pvisor-blkback: %s: InitWait again for a reconnect\n",
                         m_name.c_str());
        }
        return;
    default:
        return; // Initialising, InitWait, Connected, Reconfiguring: nothing to do here
    }
}

// Frontend Initialised: its keys parsed (trust boundary), rings pinned, ports bound, queues
// started, then Connected.
Status BlkDevice::connect(std::string* why) {
    std::string reason;
    auto front = parse_blk_front_config([this](const std::string& key) { return read_front(key); },
                                        m_cfg.queues, &reason);
    if (!front.ok()) {
        ++m_stats.front_errors;
        return fail(why, "frontend keys: " + reason);
    }
    // The guest places its grant frames when pvcore loads: ask now, not at attach.
    auto frames = m_control.grant_frames();
    if (!frames.ok() || frames->empty()) {
        ++m_stats.setup_errors;
        return fail(why, "no grant table frames from pvisor");
    }
    auto grants = GrantTableView::create(m_att.memory, std::move(frames).value());
    if (!grants.ok()) {
        ++m_stats.setup_errors;
        return fail(why, "grant table unusable: " + errc_text(grants.error()));
    }
    if (!m_journal_asked) {
        auto journal = m_control.pin_journal();
        if (!journal.ok() && journal.error() != Errc::not_supported) {
            ++m_stats.setup_errors;
            return fail(why, "pin journal from pvisor: " + errc_text(journal.error()));
        }
        m_journal_asked = true;
        if (journal.ok())
            m_journal = std::make_unique<PinJournal>(std::move(journal).value());
    }
    if (m_journal && !grants->use_journal(*m_journal).ok()) {
        ++m_stats.setup_errors;
        return fail(why, "pin journal smaller than the grant table");
    }
    m_grants = std::make_unique<GrantTableView>(std::move(grants).value());
    std::vector<BlkQueueBinding> bindings;
    if (!bind_queues(*front, bindings, why).ok()) {
        ++m_stats.setup_errors;
        unbind_all();
        m_grants.reset();
        return Errc::invalid_argument;
    }
    auto disk = BlkDisk::open(m_cfg);
    auto backend = disk.ok()
                       ? BlkBackend::create(std::move(disk).value(), *m_grants, std::move(bindings))
                       : Result<std::unique_ptr<BlkBackend>>(disk.error());
    if (!backend.ok()) {
        ++m_stats.setup_errors;
        unbind_all();
        m_grants.reset();
        return fail(why, "rings refused (" + errc_text(backend.error()) +
                             "): bad ring grants or ring layout");
    }
    m_backend = std::move(backend).value();
    m_backend->start();
    if (!switch_state(XenbusStateConnected)) {
        disconnect();
        return fail(why, "store refused the Connected state", Errc::io_error);
    }
    m_failed_connects = 0;
    ++m_stats.connects;
    std::fprintf(
        stderr, "pvisor-blkback: %s: connected, %zu queue(s), ring order %u, %s grants%s\n",
        m_name.c_str(), front->queues.size(), front->ring_order,
        front->persistent ? "persistent" : "per-request", m_cfg.direct ? ", O_DIRECT" : "");
    return {};
}

Status BlkDevice::bind_queues(const BlkFrontConfig& front, std::vector<BlkQueueBinding>& out,
                              std::string* why) {
    for (const BlkFrontQueue& q : front.queues) {
        auto port = m_control.bind(q.evtchn);
        if (!port.ok())
            return fail(why, "event channel " + std::to_string(q.evtchn) + " refused by pvisor (" +
                                 std::to_string(m_control.last_status()) + ")");
        m_bound_ports.push_back(port->port);
        BlkQueueBinding b;
        b.ring_refs = q.ring_refs;
        b.kick = std::move(port->notify);
        b.raise = std::move(port->raise);
        b.persistent_grants = front.persistent;
        out.push_back(std::move(b));
    }
    return {};
}

void BlkDevice::unbind_all() {
    for (const std::uint32_t port : m_bound_ports)
        (void)m_control.unbind(port); // refused only if pvisor already dropped it
    m_bound_ports.clear();
}

void BlkDevice::disconnect() {
    if (m_backend == nullptr)
        return;
    const std::string figures = one_line(m_backend->disk().counters().format());
    m_backend.reset(); // joins the queue threads; in-flight I/O completes first
    std::fprintf(stderr, "pvisor-blkback: %s: counters %s\n", m_name.c_str(), figures.c_str());
    unbind_all();
    m_grants.reset();
    ++m_stats.disconnects;
}

// The frontend cannot be served: Closing (the frontend then closes too, and its Closed
// brings InitWait back unless this happened kMaxFailedConnects times in a row).
void BlkDevice::refuse(const std::string& why) {
    ++m_failed_connects;
    disconnect();
    std::fprintf(stderr, "pvisor-blkback: %s: %s; device Closing%s\n", m_name.c_str(), why.c_str(),
                 m_failed_connects >= kMaxFailedConnects ? " (giving up on this frontend)" : "");
    (void)switch_state(XenbusStateClosing);
}

void BlkDevice::stop() {
    if (m_state == XenbusStateClosed && !connected())
        return;
    const bool was_connected = connected();
    disconnect();
    (void)switch_state(XenbusStateClosed);
    if (was_connected)
        std::fprintf(stderr, "pvisor-blkback: %s: stopped\n", m_name.c_str());
}

} // namespace pvisor::backend
