// blk_device.hpp: one PV disk served to one frontend: the store handshake and its lifecycle.
#pragma once

#include "blk_backend.hpp"
#include "blk_disk.hpp"
#include "blk_front_config.hpp"
#include "control_client.hpp"
#include "grant_table_view.hpp"
#include "store_client.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace pvisor::backend {

// Counted per device, printed at each disconnect and at exit.
struct BlkDeviceStats {
    std::uint64_t connects = 0;
    std::uint64_t disconnects = 0;
    std::uint64_t front_errors = 0; // the frontend's keys or state were nonsense
    std::uint64_t setup_errors = 0; // well-formed keys that did not work (grants, ports)
};

// Serves backend/vbd/<domid>/<devid> (written by pvisor before it started us) over its own
// control connection and store connection. Backend states follow pv/blkif.h:
//   start: features published, InitWait
//   frontend Initialised: rings pinned, ports bound, queues running, Connected
//   frontend Closing/Closed: queues stopped, ports unbound, Closed; frontend Closed: InitWait
//   again for a reconnect
// A frontend whose keys or state make no sense gets Closing and a logged reason; after
// kMaxFailedConnects failed attempts in a row the device stays Closed.
// Single-threaded: driven by the owner's poll loop (store_fd readable -> on_store_readable).
class BlkDevice {
  public:
    static constexpr unsigned kMaxFailedConnects = 3;

    // Opens the disk, attaches to pvisor, publishes the backend keys and switches to
    // InitWait. `index` is the --disk position (xvda = 0). A message in *why on failure.
    static Result<std::unique_ptr<BlkDevice>> open(const BlkDiskConfig& disk, unsigned index,
                                                   const std::string& control_path,
                                                   std::string* why);
    ~BlkDevice();
    BlkDevice(const BlkDevice&) = delete;
    BlkDevice& operator=(const BlkDevice&) = delete;

    // The store connection: readable when a watch event arrives.
    [[nodiscard]] int store_fd() const { return m_store.fd(); }
    // Handles the watch events that arrived (blocks only to finish a partial message).
    // Errc::io_error: the store connection is gone (pvisor exited).
    [[nodiscard]] Status on_store_readable();
    // Clean stop: queues stopped, ports unbound, state Closed.
    void stop();

    [[nodiscard]] const std::string& name() const noexcept { return m_name; }
    [[nodiscard]] const BlkDeviceStats& stats() const noexcept { return m_stats; }
    [[nodiscard]] bool connected() const noexcept { return m_backend != nullptr; }

  private:
    BlkDevice(BlkDiskConfig cfg, unsigned index, ControlClient control, Attachment att,
              store::StoreClient store);

    [[nodiscard]] Status publish(std::string* why);
    [[nodiscard]] Status handle(const store::WatchEvent& ev);
    void on_front_state(std::uint32_t state);
    [[nodiscard]] Status connect(std::string* why);
    [[nodiscard]] Status bind_queues(const BlkFrontConfig& front, std::vector<BlkQueueBinding>& out,
                                     std::string* why);
    void disconnect();
    void refuse(const std::string& why);
    void unbind_all();
    [[nodiscard]] bool switch_state(std::uint32_t state);
    [[nodiscard]] std::optional<std::string> read_front(const std::string& key);

    BlkDiskConfig m_cfg;
    std::string m_name;      // xvda, for messages
    std::string m_back_dir;  // backend/vbd/<domid>/<devid> (relative to /local/domain/0)
    std::string m_front_dir; // from our own "frontend" node (written by pvisor: trusted)
    ControlClient m_control;
    // Destruction order matters: the backend (queues pin grants and write guest pages) goes
    // first, then the grant view it uses, then the guest memory the view points into.
    Attachment m_att;
    store::StoreClient m_store;
    // From pvisor on the first connect, kept with m_control: records the grant flags the
    // view holds so that pvisor clears them if this process dies. Empty: an older pvisor.
    std::unique_ptr<PinJournal> m_journal; // a stable address: the view points to it
    bool m_journal_asked = false;
    std::unique_ptr<GrantTableView> m_grants;
    std::unique_ptr<BlkBackend> m_backend;
    std::vector<std::uint32_t> m_bound_ports;
    std::uint32_t m_state = 0;      // the backend state we last wrote
    unsigned m_failed_connects = 0; // in a row
    BlkDeviceStats m_stats;
};

} // namespace pvisor::backend
