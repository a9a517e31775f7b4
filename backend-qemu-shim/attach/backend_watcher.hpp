// backend_watcher.hpp: a backend process's device set, kept by a store watch on
// backend/<type>/<domid>: devices found or hotplugged, detached (online = 0), dropped
// (directory gone) and broken (a configuration that cannot be served: hotplug-error).
#pragma once

#include "backend_device.hpp"
#include "store_client.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>

namespace pvisor::backend {

// What a device kind tells the watcher (blk_kind(), net_kind()).
struct DeviceKind {
    std::string type;          // "vbd", "vif": the store's device type
    unsigned max_devices = 64; // served at once; more are broken ("more than N devices")
    unsigned max_failures = 3; // BackendDevice::Config::max_failures
    // The device's name in logs and counters ("xvda" from dev=, "vif1.0"), from its backend
    // directory (`back` reads a key relative to it).
    std::function<std::string(const KeyReader& back, std::uint16_t domid, std::uint32_t devid)>
        name;
    // Reads the configuration the toolstack wrote into the backend directory and opens what
    // the device serves (the image, the TAP). Refused: the reason in `why`, a sentence that
    // names the node ("mode: 'x' is not r or w"); it becomes the device's hotplug-error.
    std::function<Result<std::unique_ptr<DeviceDriver>>(
        const KeyReader& back, const DeviceSite& site, const DeviceLog& log, std::string& why)>
        open;
};

struct WatcherStats {
    std::uint64_t added = 0;   // devices served (found at start or hotplugged)
    std::uint64_t closed = 0;  // detached by the toolstack (online = 0, Closing)
    std::uint64_t dropped = 0; // served devices whose directory disappeared
    std::uint64_t broken = 0;  // refused with a hotplug-error
};

// Owns the process's one store connection (as the control domain) and every device. Rules,
// each applied level-triggered to the store as it is when an event arrives:
//   - a directory backend/<type>/<domid>/<devid> with online != 0 that is not served yet is
//     opened (DeviceKind::open), attached and offered (InitWait); the toolstack writes a
//     device's directory whole (one transaction, as libxl does), so a missing key is an error;
//   - a device that cannot be served gets hotplug-error = <reason>, hotplug-status = error and
//     state = Closed (Xen's hotplug convention), is counted and logged once, and stays
//     refused until its directory goes; the other devices go on;
//   - online = 0 with state = Closing (xl block-detach / network-detach), or online = 0 once
//     the frontend is Closed or gone: the data path finishes its requests, the ports are
//     released, state = Closed, and the device is forgotten (the toolstack removes it);
//   - a served device whose directory disappears is dropped without writing anything.
// A restarted backend finds every device its predecessor served and offers each again.
class BackendWatcher {
  public:
    struct Config {
        std::string store_socket;
        std::uint16_t domid = 0;
        std::string control_socket;
        DeviceKind kind;
        DeviceLog log;
    };

    // Connects to the store and watches the domain's backend directory (its first event,
    // queued at once, brings the devices that exist). Refused: the reason in `why`.
    static Result<std::unique_ptr<BackendWatcher>> create(Config cfg, std::string& why);
    ~BackendWatcher();
    BackendWatcher(const BackendWatcher&) = delete;
    BackendWatcher& operator=(const BackendWatcher&) = delete;

    // Serves watch events until `on_wake` (called when `wake_fd` is readable: a signalfd in the
    // backends, an eventfd in tests; it must consume what made the fd readable) returns false:
    // ok. Errc::io_error: the store connection closed (the toolstack is gone).
    [[nodiscard]] Status serve(int wake_fd, const std::function<bool()>& on_wake);
    // Clean stop: every served device stopped and, if the store is alive, Closed.
    void shutdown(bool store_alive);

    [[nodiscard]] const WatcherStats& stats() const noexcept { return m_stats; }
    [[nodiscard]] std::size_t served() const;
    // Device `devid` while it is served; null otherwise. Not thread-safe: for the thread that
    // runs serve(), or after it returned.
    [[nodiscard]] const BackendDevice* find(std::uint32_t devid) const;
    // Every served device's counters, then "<type><domid>.devices.<stat> <value>" lines.
    [[nodiscard]] std::string format_counters() const;
    // The same figures as "name value" lines for a metrics file, each device's under its own
    // prefix: "<type>.<devid>.<device counter> <value>", then "<type>.devices.<stat> <value>".
    [[nodiscard]] std::string metrics() const;

  private:
    enum class Slot : std::uint8_t { served, closed, broken };
    struct Entry {
        Slot slot = Slot::served;
        std::unique_ptr<BackendDevice> device; // only while served
    };

    BackendWatcher(Config cfg, store::StoreClient store);
    void handle(const store::WatchEvent& ev);
    void rescan();
    void sync(std::uint32_t devid);
    void add(std::uint32_t devid);
    void refuse(std::uint32_t devid, const std::string& name, const std::string& why);
    void close(Entry& e);
    void drop(std::uint32_t devid);
    [[nodiscard]] std::string dir_of(std::uint32_t devid) const;
    [[nodiscard]] std::optional<std::string> read(const std::string& path);

    Config m_cfg;
    std::string m_base; // /local/domain/0/backend/<type>/<domid>
    WatcherStats m_stats;
    std::set<std::string> m_bad_names; // directory names that are no device id, logged once
    bool m_scanned = false;            // the first scan (the watch's first event) is logged
    // Destruction order: the devices (which unwatch through it) before the store connection.
    store::StoreClient m_store;
    std::map<std::uint32_t, Entry> m_devices;
};

} // namespace pvisor::backend
