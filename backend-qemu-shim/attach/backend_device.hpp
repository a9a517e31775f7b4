// backend_device.hpp: one device a backend serves to one frontend: attach, the XenbusState
// handshake, the frontend's keys, grant pins and ports. The device kind plugs in its data path.
#pragma once

#include "control_client.hpp"
#include "grant_table_view.hpp"
#include "store_client.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pvisor::backend {

// Reads one key relative to a store directory; nullopt if the node does not exist.
using KeyReader = std::function<std::optional<std::string>(std::string_view key)>;
// Key/value pairs relative to a store directory.
using StoreKeys = std::vector<std::pair<std::string, std::string>>;
// One line per step, without the program's prefix or a trailing newline.
using DeviceLog = std::function<void(const std::string& line)>;

// Where a device lives: the backend directory the toolstack wrote (trusted: dom0 owns it) and
// the frontend directory it names (guest-written: every value read there is untrusted).
struct DeviceSite {
    std::uint16_t domid = 0;
    std::uint32_t devid = 0;
    std::string back_dir;  // /local/domain/0/backend/<type>/<domid>/<devid>
    std::string front_dir; // /local/domain/<domid>/device/<type>/<devid>
    std::string name;      // "xvda", "vif1.0": in log lines and counter names
};

struct DeviceStats {
    std::uint64_t connects = 0;
    std::uint64_t disconnects = 0;
    std::uint64_t bad_frontend = 0;   // connects refused for the frontend's values (-> Closing)
    std::uint64_t bad_state = 0;      // frontend state values that are no XenbusState (ignored)
    std::uint64_t connect_errors = 0; // connects that failed on the host side (-> Closing)
};

// Calls `fn` with each line of `text` (without its '\n'; a last line without one counts too).
void for_each_line(std::string_view text, const std::function<void(std::string_view)>& fn);

// Writes `keys` under `dir` in one store transaction, only while `dir`/state exists: a device
// the toolstack is removing is never brought back by a late write (Linux's
// xenbus_switch_state does the same). XsErr::enoent: the directory is gone.
[[nodiscard]] store::XsStatus write_backend_nodes(store::StoreClient& store, const std::string& dir,
                                                  const StoreKeys& keys);

// Binds the frontend's event channels through the device's control connection. Every port
// bound through it is unbound when the device disconnects.
class PortBinder {
  public:
    PortBinder(ControlClient& control, std::vector<std::uint32_t>& bound)
        : m_control(control), m_bound(bound) {}
    // `port`: a guest port the frontend allocated for domain 0. Refused: the error, and the
    // reason in `why`.
    [[nodiscard]] Result<BoundPort> bind(std::uint32_t port, std::string& why);

  private:
    ControlClient& m_control;
    std::vector<std::uint32_t>& m_bound;
};

// What a device kind adds to BackendDevice (blk: BlkDevice, net: VifSession). Every call
// comes from the thread that runs the device's BackendDevice.
class DeviceDriver {
  public:
    DeviceDriver() = default;
    DeviceDriver(const DeviceDriver&) = delete;
    DeviceDriver& operator=(const DeviceDriver&) = delete;
    virtual ~DeviceDriver() = default;

    // The backend keys written before InitWait (features, geometry, mac), and one line for
    // the log that says what is served.
    [[nodiscard]] virtual StoreKeys backend_keys() = 0;
    [[nodiscard]] virtual std::string describe() const = 0;
    // Parses the frontend's keys through `front` (the trust boundary), binds its ports through
    // `ports` and starts the data path over `grants`. Refused: the error (invalid_argument,
    // permission_denied, bad_address and protocol_error blame the frontend) and the reason in
    // `why`; the caller then unbinds the ports and drops the grants.
    [[nodiscard]] virtual Status connect(const KeyReader& front, GrantTableView& grants,
                                         PortBinder& ports, std::string& why) = 0;
    // Connected, and the frontend now names other rings or ports (a reconnect seen only at
    // its end), or its keys no longer parse.
    [[nodiscard]] virtual bool front_moved(const KeyReader& front) = 0;
    // Stops the data path: requests in flight complete first, the ring pins are released.
    virtual void disconnect() = 0;
    [[nodiscard]] virtual bool connected() const = 0;
    // "counter value" lines over every connection so far (the caller prefixes the name).
    [[nodiscard]] virtual std::string format_counters() const = 0;
};

// One device: its own control connection (ATTACH names the backend directory, so pvisor
// closes the device if this process dies), the guest-memory mapping, the grant view and pin
// journal of the current connection, and the driver. Driven by BackendWatcher's thread over
// the watcher's store connection.
//
// Backend state machine (our state / the frontend's state -> action):
//   InitWait  / Initialised, Connected -> read its keys, map rings, bind ports -> Connected;
//                                         refused values or a failed connect -> Closing
//   Connected / Connected, other rings  -> (a reconnect seen only at its end) stop, connect
//   any       / Closing                 -> stop queues, unbind -> Closed
//   not InitWait / Closed               -> stop queues, unbind -> Closed, then InitWait
//                                         (a reconnect; not after max_failures failed connects)
//   not InitWait / Initialising         -> (frontend restarted) stop, unbind -> InitWait
//   any       / Unknown or node gone    -> stop queues, unbind -> Closed
// A frontend state that is no XenbusState is counted, logged once and ignored.
class BackendDevice {
  public:
    struct Config {
        DeviceSite site;
        std::string control_socket;
        unsigned max_failures = 3; // failed connects in a row before staying Closed
        DeviceLog log;
    };

    // Attaches, publishes the driver's keys with hotplug-status = connected, switches to
    // InitWait and watches the frontend's state (token front_token()). Refused: the error and
    // the reason in `why` (the watcher writes it as hotplug-error).
    static Result<std::unique_ptr<BackendDevice>> create(Config cfg,
                                                         std::unique_ptr<DeviceDriver> driver,
                                                         store::StoreClient& store,
                                                         std::string& why);
    // Stops the data path and unbinds its ports. Writes nothing into the store: the device
    // may be gone from it.
    ~BackendDevice();
    BackendDevice(const BackendDevice&) = delete;
    BackendDevice& operator=(const BackendDevice&) = delete;

    // A watch event on the frontend's state: acts on the state as it is now.
    void on_front_event();
    // The toolstack's detach (online = 0): data path stopped, ports unbound, state Closed.
    void close();
    // The process stops: data path stopped, then Closing and Closed unless already Closed.
    void shutdown();

    [[nodiscard]] const DeviceSite& site() const noexcept { return m_cfg.site; }
    [[nodiscard]] const std::string& name() const noexcept { return m_cfg.site.name; }
    [[nodiscard]] const std::string& front_token() const noexcept { return m_token; }
    [[nodiscard]] int state() const noexcept { return m_state; }       // the state we last wrote
    [[nodiscard]] int front_state() const noexcept { return m_front; } // as last read
    [[nodiscard]] bool connected() const { return m_driver->connected(); }
    [[nodiscard]] const DeviceStats& stats() const noexcept { return m_stats; }
    // "<name>.<counter> <value>" lines: the driver's counters, then "<name>.session.*".
    [[nodiscard]] std::string format_counters() const;

  private:
    BackendDevice(Config cfg, std::unique_ptr<DeviceDriver> driver, store::StoreClient& store,
                  ControlClient control, Attachment att);
    [[nodiscard]] Status publish(std::string& why);
    void evaluate();
    void on_front_state(int front);
    void connect();
    [[nodiscard]] Status map_grants(std::string& why);
    void disconnect(const char* reason);
    void unbind_all();
    void set_state(int state);
    [[nodiscard]] std::optional<std::string> read_front(std::string_view key);

    Config m_cfg;
    std::string m_token;
    store::StoreClient& m_store; // the watcher's; outlives every device
    int m_state = 0;
    int m_front = 0;
    std::uint32_t m_failures = 0; // failed connects since the last good one
    std::string m_bad_state;      // the frontend's last unparsable state value
    DeviceStats m_stats;

    // Destruction order (reverse of declaration): the driver (its data path pins grants and
    // writes guest pages) goes before the grant view, the view before the guest-memory
    // mapping it points into.
    ControlClient m_control;
    Attachment m_attachment;
    std::vector<std::uint32_t> m_bound; // guest ports bound through m_control
    // From pvisor on the first connect, kept with m_control: records the grant flags the view
    // holds so that pvisor clears them if this process dies. Empty: an older pvisor.
    std::unique_ptr<PinJournal> m_journal; // a stable address: the view points to it
    bool m_journal_asked = false;
    std::unique_ptr<GrantTableView> m_grants;
    std::unique_ptr<DeviceDriver> m_driver;
};

} // namespace pvisor::backend
