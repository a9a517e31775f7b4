// vif_session.hpp: one guest network interface in pvisor-netback: attach, handshake, serve.
#pragma once

#include "control_client.hpp"
#include "grant_table_view.hpp"
#include "net_backend.hpp"
#include "net_option.hpp"
#include "store_client.hpp"
#include "vif_front.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <pv/xen.h>
#include <string>
#include <vector>

namespace pvisor::backend {

struct VifSessionConfig {
    std::string control;      // pvisor's control socket
    NetConfig net;            // the --net option (MAC, queues; the TAP is opened by the caller)
    std::uint32_t handle = 0; // the vif's devid: backend/vif/<domid>/<handle>
    std::uint16_t domid = PV_DOMID_GUEST; // the frontend's domain (pvisor runs one guest)
};

struct VifSessionStats {
    std::uint64_t connects = 0;
    std::uint64_t disconnects = 0;
    std::uint64_t bad_frontend = 0;   // connects refused for the frontend's values (-> Closing)
    std::uint64_t bad_state = 0;      // frontend state values that are no XenbusState (ignored)
    std::uint64_t connect_errors = 0; // connects that failed on the host side (-> Closing)
};

// One line per step, without a trailing newline.
using VifLog = std::function<void(const std::string& line)>;

// The backend half of one vif. Owns its control connection (ATTACH names the backend
// directory, so pvisor closes the device if this process dies), the guest-memory mapping, its
// store connection and the host ports. Single-threaded: every call comes from the thread that
// polls fd(); the NetBackend's queue threads touch only the rings, grants and ports.
//
// Backend state machine (our state / the frontend's state -> action):
//   InitWait  / Initialised, Connected -> read its keys, map rings, bind ports -> Connected;
//                                         refused values or a failed connect -> Closing
//   Connected / Connected, other rings  -> (a reconnect seen only at its end) stop, connect
//   any       / Closing                -> stop queues, unbind -> Closed
//   not InitWait / Closed              -> stop queues, unbind -> Closed, then InitWait
//                                         (reconnect; not after kMaxFailures failed connects)
//   not InitWait / Initialising        -> (frontend restarted) stop, unbind -> InitWait
//   any       / Unknown or node gone   -> stop queues, unbind -> Closed
class VifSession {
  public:
    static constexpr std::uint32_t kMaxFailures = 8;

    // Attaches through the control socket for backend/vif/<domid>/<handle>, opens the store
    // through the attachment, checks the nodes pvisor created (Store::add_device), publishes
    // the backend keys and InitWait, and watches the frontend's state. `ports`: the
    // interface's host queues (TAP queues; socketpair ends in tests), at least one, kept
    // open for the session's life across reconnects. Failures are logged.
    static Result<std::unique_ptr<VifSession>>
    create(VifSessionConfig cfg, std::vector<std::unique_ptr<NetPort>> ports, VifLog log);
    ~VifSession();
    VifSession(const VifSession&) = delete;
    VifSession& operator=(const VifSession&) = delete;

    // The store connection: readable when a watch event arrives. Check has_buffered() too
    // before sleeping: events read during a request are not visible to poll().
    [[nodiscard]] int fd() const { return m_store.fd(); }
    [[nodiscard]] bool has_buffered() const { return m_store.has_buffered(); }
    // Takes the watch events that arrived (blocking only for a message already arriving) and
    // acts on the frontend's current state. Errc::io_error: the store connection is gone.
    [[nodiscard]] Status on_readable();
    // Clean stop: queues stopped, ports unbound, state Closing then Closed (skipped when
    // `store_alive` is false: pvisor is gone).
    void shutdown(bool store_alive = true);

    [[nodiscard]] const std::string& name() const { return m_name; }
    [[nodiscard]] int state() const { return m_state; } // the XenbusState we last wrote
    [[nodiscard]] bool connected() const { return m_backend != nullptr; }
    [[nodiscard]] const VifSessionStats& stats() const { return m_stats; }
    // "<name>.<counter> <value>" lines: the interface's packet counters over every
    // connection so far, then the session's.
    [[nodiscard]] std::string format_counters() const;

  private:
    VifSession(VifSessionConfig cfg, ControlClient control, Attachment att,
               store::StoreClient store, std::vector<std::unique_ptr<NetPort>> ports, VifLog log);
    [[nodiscard]] Status check_nodes();
    [[nodiscard]] Status publish();
    void evaluate();
    void on_front_state(int front);
    void connect();
    [[nodiscard]] bool front_moved();
    [[nodiscard]] Status start_backend(const VifFront& front, std::string& why);
    void disconnect(const char* reason);
    void unbind_all();
    void set_state(int state);
    [[nodiscard]] std::optional<std::string> read_front(std::string_view key);

    VifSessionConfig m_cfg;
    VifLog m_log;
    std::string m_name;     // "vif<domid>.<handle>", as Xen names the backend interface
    std::string m_back_dir; // /local/domain/0/backend/vif/<domid>/<handle>
    std::string m_front_dir;
    int m_state = 0;
    std::uint32_t m_failures = 0; // failed connects since the last good one
    std::string m_bad_state;      // the frontend's last unparsable state value
    VifSessionStats m_stats;
    NetCounters m_totals; // packet counters of finished connections

    // Destruction order (reverse of declaration): the backend (queue threads joined, ring
    // pins released) goes before the grant view, the view before the guest-memory mapping
    // it points into, the ports after the backend that borrowed them.
    ControlClient m_control;
    Attachment m_attachment;
    store::StoreClient m_store;
    std::vector<std::unique_ptr<NetPort>> m_ports;
    std::vector<std::uint32_t> m_bound; // guest ports bound through m_control
    std::vector<VifQueueKeys> m_served; // what the running backend was started with
    // From pvisor on the first start, kept with m_control: records the grant flags the view
    // holds so that pvisor clears them if this process dies. Empty: an older pvisor.
    std::unique_ptr<PinJournal> m_journal; // a stable address: the view points to it
    bool m_journal_asked = false;
    std::unique_ptr<GrantTableView> m_grants;
    std::unique_ptr<NetBackend> m_backend;
};

} // namespace pvisor::backend
