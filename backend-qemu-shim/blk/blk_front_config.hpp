// blk_front_config.hpp: the frontend's blkif store keys (rings, event channels) parsed and bounded.
#pragma once

#include "result.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <pv/grant_table.h>
#include <string>
#include <vector>

namespace pvisor::backend {

// One queue as the frontend published it: 2^ring_order ring pages and one event channel.
struct BlkFrontQueue {
    std::vector<pv_grant_ref> ring_refs;
    std::uint32_t evtchn = 0;
};

// Everything the backend needs from device/vbd/<devid>/ to connect. Values are only
// well-formed here; the grants and ports themselves are checked when they are pinned/bound.
struct BlkFrontConfig {
    std::vector<BlkFrontQueue> queues; // 1..max_queues
    std::uint32_t ring_order = 0;      // 0..PV_BLKIF_MAX_RING_PAGE_ORDER
    bool persistent = false;           // the frontend wrote feature-persistent = 1
};

// Reads one key relative to the frontend directory; nullopt if the node does not exist.
using BlkFrontReader = std::function<std::optional<std::string>(const std::string& key)>;

// Trust boundary: every value comes from the guest. Numbers are decimal digits only (at
// most 10), each within its documented range (pv/blkif.h "Frontend nodes"); a missing
// required key, a protocol other than x86_64-abi, more queues than `max_queues`, a port 0 or
// a port shared by two queues is refused with Errc::invalid_argument and a reason in *why.
[[nodiscard]] Result<BlkFrontConfig> parse_blk_front_config(const BlkFrontReader& read,
                                                            std::uint32_t max_queues,
                                                            std::string* why = nullptr);

} // namespace pvisor::backend
