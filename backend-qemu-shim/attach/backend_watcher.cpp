// backend_watcher.cpp: the backend directory watch, the device set and the serve loop.
#include "backend_watcher.hpp"

#include "device_keys.hpp"

#include <cerrno>
#include <poll.h>
#include <pv/xs_wire.h>
#include <vector>

namespace pvisor::backend {

namespace {

constexpr const char* kBackendToken = "backend";
constexpr std::string_view kFrontTokenPrefix = "front:";

} // namespace

Result<std::unique_ptr<BackendWatcher>> BackendWatcher::create(Config cfg, std::string& why) {
    auto store = store::StoreClient::connect(cfg.store_socket);
    if (!store.ok()) {
        why = "cannot connect to the store at " + cfg.store_socket + " (" +
              std::string(errc_name(store.error())) + ")";
        return store.error();
    }
    std::unique_ptr<BackendWatcher> w(new BackendWatcher(std::move(cfg), std::move(*store)));
    if (const auto st = w->m_store.watch(w->m_base, kBackendToken); !st.ok()) {
        why =
            "cannot watch " + w->m_base + " (" + std::string(store::xs_err_name(st.error())) + ")";
        return Errc::io_error;
    }
    return w;
}

BackendWatcher::BackendWatcher(Config cfg, store::StoreClient store)
    : m_cfg(std::move(cfg)),
      m_base("/local/domain/0/backend/" + m_cfg.kind.type + "/" + std::to_string(m_cfg.domid)),
      m_store(std::move(store)) {}

BackendWatcher::~BackendWatcher() {
    m_devices.clear(); // before m_store: each device unwatches through it
}

std::string BackendWatcher::dir_of(std::uint32_t devid) const {
    return m_base + "/" + std::to_string(devid);
}

std::optional<std::string> BackendWatcher::read(const std::string& path) {
    auto v = m_store.read(path);
    if (!v.ok())
        return std::nullopt;
    return std::move(*v);
}

std::size_t BackendWatcher::served() const {
    std::size_t n = 0;
    for (const auto& [devid, e] : m_devices)
        n += e.slot == Slot::served ? 1 : 0;
    return n;
}

const BackendDevice* BackendWatcher::find(std::uint32_t devid) const {
    const auto it = m_devices.find(devid);
    return it == m_devices.end() ? nullptr : it->second.device.get();
}

Status BackendWatcher::serve(int wake_fd, const std::function<bool()>& on_wake) {
    for (;;) {
        // Events read during a request sit in the client, invisible to poll(): take them first.
        while (auto queued = m_store.take_queued_event())
            handle(*queued);
        if (!m_store.has_buffered()) {
            pollfd fds[2] = {{wake_fd, POLLIN, 0}, {m_store.fd(), POLLIN, 0}};
            if (::poll(fds, 2, -1) < 0) {
                if (errno == EINTR)
                    continue;
                return Errc::system_error;
            }
            if ((fds[0].revents & POLLIN) != 0 && !on_wake())
                return {};
            if ((fds[1].revents & (POLLIN | POLLHUP | POLLERR)) == 0)
                continue;
        }
        auto ev = m_store.wait_event();
        if (!ev.ok()) {
            m_cfg.log("the store connection closed");
            return Errc::io_error;
        }
        handle(*ev);
    }
}

void BackendWatcher::handle(const store::WatchEvent& ev) {
    if (ev.token == kBackendToken) {
        if (!ev.path.starts_with(m_base + "/")) {
            rescan(); // the directory itself (first event, created, removed)
            return;
        }
        const std::string_view rest = std::string_view(ev.path).substr(m_base.size() + 1);
        if (const auto devid = parse_decimal(rest.substr(0, rest.find('/'))))
            sync(*devid);
        return;
    }
    if (!ev.token.starts_with(kFrontTokenPrefix))
        return;
    const auto devid = parse_decimal(std::string_view(ev.token).substr(kFrontTokenPrefix.size()));
    if (!devid)
        return;
    const auto it = m_devices.find(*devid);
    if (it == m_devices.end() || it->second.slot != Slot::served)
        return; // a device closed or dropped since the event was queued
    it->second.device->on_front_event();
    sync(*devid); // a detach waiting for the frontend to close
}

// Every device directory against the device set.
void BackendWatcher::rescan() {
    auto names = m_store.directory(m_base);
    if (!names.ok() && names.error() != store::XsErr::enoent)
        return; // the store is gone: the serve loop notices
    std::set<std::uint32_t> present;
    if (names.ok()) {
        for (const std::string& n : *names) {
            const auto devid = parse_decimal(n);
            if (!devid) {
                if (m_bad_names.insert(n).second)
                    m_cfg.log(m_base + "/" + n.substr(0, 32) + ": not a device id: ignored");
                continue;
            }
            present.insert(*devid);
        }
    }
    if (!m_scanned) {
        m_scanned = true;
        m_cfg.log("watching " + m_base + ": " + std::to_string(present.size()) + " device(s)");
    }
    std::vector<std::uint32_t> gone;
    for (const auto& [devid, e] : m_devices) {
        if (!present.contains(devid))
            gone.push_back(devid);
    }
    for (const std::uint32_t devid : gone)
        drop(devid);
    for (const std::uint32_t devid : present)
        sync(devid);
}

// One device directory as it is now against what the watcher does with it.
void BackendWatcher::sync(std::uint32_t devid) {
    const std::string dir = dir_of(devid);
    if (const auto listing = m_store.directory(dir); !listing.ok()) {
        if (listing.error() == store::XsErr::enoent)
            drop(devid);
        return; // other errors: the store is gone, and the serve loop notices
    }
    const bool offline = read(dir + "/online") == "0";
    const auto it = m_devices.find(devid);
    if (it == m_devices.end()) {
        if (!offline) {
            add(devid);
            return;
        }
        // Being detached, and no process finished it: say Closed so the toolstack goes on.
        m_devices[devid] = Entry{Slot::closed, nullptr};
        if (read(dir + "/state") != std::to_string(XenbusStateClosed))
            (void)write_backend_nodes(m_store, dir, {{"state", std::to_string(XenbusStateClosed)}});
        return;
    }
    if (it->second.slot != Slot::served || !offline)
        return;
    const BackendDevice& d = *it->second.device;
    const bool closing = read(dir + "/state") == std::to_string(XenbusStateClosing);
    const bool front_done =
        d.front_state() == XenbusStateClosed || d.front_state() == XenbusStateUnknown;
    if (closing || front_done)
        close(it->second);
}

void BackendWatcher::add(std::uint32_t devid) {
    const std::string dir = dir_of(devid);
    const KeyReader back = [this, &dir](std::string_view key) {
        return read(dir + "/" + std::string(key));
    };
    DeviceSite site;
    site.domid = m_cfg.domid;
    site.devid = devid;
    site.back_dir = dir;
    site.front_dir = "/local/domain/" + std::to_string(m_cfg.domid) + "/device/" + m_cfg.kind.type +
                     "/" + std::to_string(devid);
    site.name = m_cfg.kind.name(back, m_cfg.domid, devid);
    if (served() >= m_cfg.kind.max_devices)
        return refuse(devid, site.name,
                      "more than " + std::to_string(m_cfg.kind.max_devices) + " devices");
    const auto front = back("frontend");
    if (!front)
        return refuse(devid, site.name, "frontend: missing");
    if (*front != site.front_dir)
        return refuse(devid, site.name,
                      "frontend: '" + front->substr(0, 64) + "' is not " + site.front_dir);
    std::string why;
    auto driver = m_cfg.kind.open(back, site, m_cfg.log, why);
    if (!driver.ok())
        return refuse(devid, site.name, why);
    BackendDevice::Config dc;
    dc.site = site;
    dc.control_socket = m_cfg.control_socket;
    dc.max_failures = m_cfg.kind.max_failures;
    dc.log = m_cfg.log;
    auto dev = BackendDevice::create(std::move(dc), std::move(*driver), m_store, why);
    if (!dev.ok())
        return refuse(devid, site.name, why);
    m_devices[devid] = Entry{Slot::served, std::move(*dev)};
    ++m_stats.added;
}

void BackendWatcher::refuse(std::uint32_t devid, const std::string& name, const std::string& why) {
    m_devices[devid] = Entry{Slot::broken, nullptr};
    ++m_stats.broken;
    const auto w = write_backend_nodes(m_store, dir_of(devid),
                                       {{"hotplug-error", why},
                                        {"hotplug-status", "error"},
                                        {"state", std::to_string(XenbusStateClosed)}});
    m_cfg.log(name + ": " + why + "; not served (" +
              (w.ok() ? "hotplug-error written" : std::string(store::xs_err_name(w.error()))) +
              ")");
}

void BackendWatcher::close(Entry& e) {
    e.device->close();
    for_each_line(e.device->format_counters(),
                  [this](std::string_view line) { m_cfg.log(std::string(line)); });
    m_cfg.log(e.device->name() + ": detached");
    e.device.reset(); // its control connection closes: pvisor forgets its ports
    e.slot = Slot::closed;
    ++m_stats.closed;
}

void BackendWatcher::drop(std::uint32_t devid) {
    const auto it = m_devices.find(devid);
    if (it == m_devices.end())
        return;
    if (it->second.slot == Slot::served) {
        m_cfg.log(it->second.device->name() + ": directory removed: dropped");
        ++m_stats.dropped;
    }
    m_devices.erase(it);
}

void BackendWatcher::shutdown(bool store_alive) {
    for (auto& [devid, e] : m_devices) {
        if (e.slot == Slot::served && store_alive)
            e.device->shutdown();
    }
}

std::string BackendWatcher::format_counters() const {
    std::string out;
    for (const auto& [devid, e] : m_devices) {
        if (e.slot == Slot::served)
            out += e.device->format_counters();
    }
    const std::string prefix = m_cfg.kind.type + std::to_string(m_cfg.domid) + ".devices.";
    auto line = [&](const char* n, std::uint64_t v) {
        out += prefix + n + ' ' + std::to_string(v) + '\n';
    };
    line("added", m_stats.added);
    line("closed", m_stats.closed);
    line("dropped", m_stats.dropped);
    line("broken", m_stats.broken);
    return out;
}

std::string BackendWatcher::metrics() const {
    std::string out;
    const std::string type = m_cfg.kind.type + ".";
    for (const auto& [devid, e] : m_devices) {
        if (e.slot != Slot::served)
            continue;
        const std::string prefix = type + std::to_string(devid) + ".";
        for_each_line(e.device->format_counters(), [&](std::string_view line) {
            out += prefix;
            out += line;
            out += '\n';
        });
    }
    auto line = [&](const char* n, std::uint64_t v) {
        out += type + "devices." + n + ' ' + std::to_string(v) + '\n';
    };
    line("served", served());
    line("added", m_stats.added);
    line("closed", m_stats.closed);
    line("dropped", m_stats.dropped);
    line("broken", m_stats.broken);
    return out;
}

} // namespace pvisor::backend
