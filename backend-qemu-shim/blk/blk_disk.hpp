// blk_disk.hpp: one backing image (file or block device), its limits and its counters.
#pragma once

#include "blk_counters.hpp"
#include "blk_request.hpp"
#include "result.hpp"
#include "unique_fd.hpp"

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

namespace pvisor::backend {

// A vbd's configuration as the toolstack wrote it into its backend directory (blk_config.hpp).
struct BlkDiskConfig {
    std::string path;
    bool read_only = false;
    std::uint32_t queues = 1;
    bool direct = false; // O_DIRECT: data moves between the disk and guest pages, no page cache
};

class BlkDisk {
  public:
    static Result<BlkDisk> open(const BlkDiskConfig& cfg);

    [[nodiscard]] int fd() const noexcept { return m_fd.get(); }
    [[nodiscard]] const BlkDiskConfig& config() const noexcept { return m_cfg; }
    [[nodiscard]] const BlkDiskLimits& limits() const noexcept { return m_limits; }
    [[nodiscard]] BlkCounters& counters() noexcept { return *m_counters; }
    [[nodiscard]] const BlkCounters& counters() const noexcept { return *m_counters; }

  private:
    BlkDisk(UniqueFd fd, BlkDiskConfig cfg, BlkDiskLimits lim)
        : m_fd(std::move(fd)), m_cfg(std::move(cfg)), m_limits(lim),
          m_counters(std::make_unique<BlkCounters>()) {}

    UniqueFd m_fd;
    BlkDiskConfig m_cfg;
    BlkDiskLimits m_limits;
    std::unique_ptr<BlkCounters> m_counters; // stable address: queues hold a pointer
};

} // namespace pvisor::backend
