// blk_device.hpp: one PV disk's part of a BackendDevice: its image, keys and data path.
#pragma once

#include "backend_device.hpp"
#include "backend_watcher.hpp"
#include "blk_backend.hpp"
#include "blk_disk.hpp"
#include "blk_front_config.hpp"

#include <memory>
#include <string>
#include <vector>

namespace pvisor::backend {

// A vbd: the image named by `params`, its blkif keys (blk_backend_keys), and at each connect
// the frontend's rings served by a BlkBackend (a thread per queue) on a fresh open of the
// image. Counters add up over every connection.
class BlkDevice final : public DeviceDriver {
  public:
    // Failed connects in a row after which the device stays Closed.
    static constexpr unsigned kMaxFailedConnects = 3;

    // How the watcher makes BlkDevices: type "vbd", named after `dev` (xvda), configured by
    // read_blk_config; an image that does not open is refused as
    //   params: cannot open '<path>' (<error>)
    [[nodiscard]] static DeviceKind kind();
    // Opens the image once to check it and to learn its geometry (the keys).
    static Result<std::unique_ptr<BlkDevice>> open(const BlkDiskConfig& cfg, std::string name,
                                                   DeviceLog log, std::string& why);
    ~BlkDevice() override;

    [[nodiscard]] StoreKeys backend_keys() override;
    [[nodiscard]] std::string describe() const override;
    [[nodiscard]] Status connect(const KeyReader& front, GrantTableView& grants, PortBinder& ports,
                                 std::string& why) override;
    [[nodiscard]] bool front_moved(const KeyReader& front) override;
    void disconnect() override;
    [[nodiscard]] bool connected() const override { return m_backend != nullptr; }
    [[nodiscard]] std::string format_counters() const override;

  private:
    BlkDevice(BlkDisk probe, std::string name, DeviceLog log)
        : m_probe(std::move(probe)), m_name(std::move(name)), m_log(std::move(log)) {}
    [[nodiscard]] Result<BlkFrontConfig> read_front(const KeyReader& front, std::string* why);

    BlkDisk m_probe; // the check-time open: its limits are the published geometry
    std::string m_name;
    DeviceLog m_log;
    BlkCounters m_totals;                // finished connections
    std::vector<BlkFrontQueue> m_served; // what the running backend was started with
    std::unique_ptr<BlkBackend> m_backend;
};

} // namespace pvisor::backend
