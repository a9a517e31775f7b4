// vif_front.hpp: a vif frontend's ring references and event channels, parsed with bounds.
#pragma once

#include "net_features.hpp"
#include "result.hpp"

#include <cstdint>
#include <optional>
#include <pv/grant_table.h>
#include <string>
#include <string_view>
#include <vector>

namespace pvisor::backend {

// One queue's ring pair and its event channel (one channel serves both rings).
struct VifQueueKeys {
    pv_grant_ref tx_ring_ref = 0;
    pv_grant_ref rx_ring_ref = 0;
    std::uint32_t event_channel = 0;
};

// Everything the backend needs from device/vif/<handle>/ to connect.
struct VifFront {
    std::vector<VifQueueKeys> queues; // 1..max_queues
    NetFrontFeatures features;
};

// Reads the frontend's keys through `read` (key relative to the frontend directory). Trust:
// every value is guest-written; this is the one place they are parsed. multi-queue-num-queues
// absent means 1 queue with its keys at the top level; with N > 1 they are under queue-<i>/.
// Refused (Errc::invalid_argument, reason in *why): request-rx-copy not 1, a queue count
// outside 1..max_queues, a missing or non-decimal ring ref, a reserved ring ref (0..7), an
// event channel outside 1..4095, or one event channel named for two queues.
[[nodiscard]] Result<VifFront> read_vif_front(const NetKeyReader& read, std::uint32_t max_queues,
                                              std::string* why = nullptr);

} // namespace pvisor::backend
