// blk_front_config.cpp: bounded parsing of the frontend's ring-ref/event-channel/queue keys.
#include "blk_front_config.hpp"

#include "device_keys.hpp"

#include <algorithm>
#include <pv/blkif.h>

namespace pvisor::backend {

namespace {

Errc fail(std::string* why, std::string msg) {
    if (why != nullptr)
        *why = std::move(msg);
    return Errc::invalid_argument;
}

// An optional unsigned key: `def` when absent, refused when present and malformed.
Result<std::uint32_t> optional_uint(const BlkFrontReader& read, const std::string& key,
                                    std::uint32_t def, std::uint32_t max, std::string* why) {
    const auto text = read(key);
    if (!text)
        return def;
    const auto v = parse_decimal(*text, max);
    if (!v)
        return fail(why, key + ": not a number in 0.." + std::to_string(max));
    return *v;
}

Result<std::uint32_t> required_uint(const BlkFrontReader& read, const std::string& key,
                                    std::uint32_t max, std::string* why) {
    const auto text = read(key);
    if (!text)
        return fail(why, key + ": missing");
    const auto v = parse_decimal(*text, max);
    if (!v)
        return fail(why, key + ": not a number in 0.." + std::to_string(max));
    return *v;
}

Result<BlkFrontQueue> parse_queue(const BlkFrontReader& read, const std::string& prefix,
                                  std::uint32_t order, std::string* why) {
    BlkFrontQueue q;
    const std::uint32_t pages = 1U << order;
    for (std::uint32_t i = 0; i < pages; ++i) {
        const std::string key =
            prefix + BLKIF_KEY_RING_REF + (order == 0 ? std::string() : std::to_string(i));
        PV_TRY_ASSIGN(ref, required_uint(read, key, UINT32_MAX, why));
        q.ring_refs.push_back(ref);
    }
    PV_TRY_ASSIGN(port, required_uint(read, prefix + BLKIF_KEY_EVENT_CHANNEL, UINT32_MAX, why));
    if (port == 0)
        return fail(why, prefix + BLKIF_KEY_EVENT_CHANNEL + ": port 0 is never valid");
    q.evtchn = port;
    return q;
}

} // namespace

Result<BlkFrontConfig> parse_blk_front_config(const BlkFrontReader& read, std::uint32_t max_queues,
                                              std::string* why) {
    BlkFrontConfig cfg;
    if (const auto proto = read(BLKIF_KEY_PROTOCOL); proto && *proto != BLKIF_PROTOCOL_X86_64)
        return fail(why, std::string(BLKIF_KEY_PROTOCOL) + ": only " BLKIF_PROTOCOL_X86_64 +
                             " is served");
    PV_TRY_ASSIGN(nr, optional_uint(read, BLKIF_KEY_MQ_NUM_QUEUES, 1, max_queues, why));
    if (nr == 0)
        return fail(why, std::string(BLKIF_KEY_MQ_NUM_QUEUES) + ": 0 queues");
    PV_TRY_ASSIGN(order, optional_uint(read, BLKIF_KEY_RING_PAGE_ORDER, 0,
                                       PV_BLKIF_MAX_RING_PAGE_ORDER, why));
    PV_TRY_ASSIGN(persistent, optional_uint(read, BLKIF_KEY_FEATURE_PERSISTENT, 0, 1, why));
    cfg.ring_order = order;
    cfg.persistent = persistent == 1;
    for (std::uint32_t i = 0; i < nr; ++i) {
        // One queue: top-level keys; several: each under queue-<i>/ (pv/blkif.h).
        const std::string prefix = nr == 1 ? std::string() : "queue-" + std::to_string(i) + "/";
        PV_TRY_ASSIGN(q, parse_queue(read, prefix, order, why));
        const bool shared =
            std::any_of(cfg.queues.begin(), cfg.queues.end(),
                        [&](const BlkFrontQueue& o) { return o.evtchn == q.evtchn; });
        if (shared)
            return fail(why, prefix + BLKIF_KEY_EVENT_CHANNEL + ": port " +
                                 std::to_string(q.evtchn) + " used by another queue");
        cfg.queues.push_back(std::move(q));
    }
    return cfg;
}

} // namespace pvisor::backend
