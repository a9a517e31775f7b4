// blk_counters.hpp: per-disk counters, updated by every queue, readable from the host.
#pragma once

#include "blk_request.hpp"

#include <array>
#include <atomic>
#include <cstdint>
#include <string>

namespace pvisor::backend {

struct BlkCounters {
    std::atomic<std::uint64_t> requests{0}; // responses pushed (any status)
    std::atomic<std::uint64_t> bytes_read{0};
    std::atomic<std::uint64_t> bytes_written{0};
    std::atomic<std::uint64_t> flushes{0};
    std::atomic<std::uint64_t> discards{0};
    std::atomic<std::uint64_t> io_errors{0}; // the host I/O failed (BLKIF_RSP_ERROR)
    std::atomic<std::uint64_t> rings_broken{0};
    std::array<std::atomic<std::uint64_t>, kBlkInvalidCount> invalid{};

    [[nodiscard]] std::uint64_t invalid_count(BlkInvalid r) const noexcept {
        return invalid[static_cast<std::size_t>(r)].load(std::memory_order_relaxed);
    }
    [[nodiscard]] std::uint64_t invalid_total() const noexcept;
    // Adds every counter of `o` (e.g. a finished connection's) into this one.
    void add(const BlkCounters& o) noexcept;
    // "name value" lines (invalid requests as "invalid.<reason>"), for the host CLI.
    [[nodiscard]] std::string format() const;
};

} // namespace pvisor::backend
