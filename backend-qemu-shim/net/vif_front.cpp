// vif_front.cpp: bounded parsing of the frontend's vif keys (guest-written, untrusted).
#include "vif_front.hpp"

#include "device_keys.hpp"

#include <pv/netif.h>
#include <pv/shared_info.h>

namespace pvisor::backend {

namespace {

Errc refuse(std::string* why, std::string msg) {
    if (why != nullptr)
        *why = std::move(msg);
    return Errc::invalid_argument;
}

// The queue count: absent = 1 (a single-queue frontend does not write the key).
Result<std::uint32_t> read_queue_count(const NetKeyReader& read, std::uint32_t max_queues,
                                       std::string* why) {
    const auto v = read(NETIF_KEY_MQ_NUM_QUEUES);
    if (!v)
        return std::uint32_t{1};
    const auto n = parse_decimal(*v, max_queues);
    if (!n || *n == 0)
        return refuse(why, std::string(NETIF_KEY_MQ_NUM_QUEUES) + " must be 1.." +
                               std::to_string(max_queues));
    return *n;
}

Result<std::uint32_t> read_number(const NetKeyReader& read, const std::string& key,
                                  std::uint32_t min, std::uint32_t max, std::string* why) {
    const auto v = read(key);
    if (!v)
        return refuse(why, key + " missing");
    const auto n = parse_decimal(*v, max);
    if (!n || *n < min)
        return refuse(why, key + " is not a number in " + std::to_string(min) + ".." +
                               std::to_string(max));
    return *n;
}

Result<VifQueueKeys> read_queue(const NetKeyReader& read, const std::string& prefix,
                                std::string* why) {
    VifQueueKeys q;
    PV_TRY_ASSIGN(tx, read_number(read, prefix + NETIF_KEY_TX_RING_REF, PV_GNTTAB_NR_RESERVED,
                                  UINT32_MAX, why));
    PV_TRY_ASSIGN(rx, read_number(read, prefix + NETIF_KEY_RX_RING_REF, PV_GNTTAB_NR_RESERVED,
                                  UINT32_MAX, why));
    PV_TRY_ASSIGN(port, read_number(read, prefix + NETIF_KEY_EVENT_CHANNEL, 1,
                                    PV_EVTCHN_2L_NR_PORTS - 1, why));
    q.tx_ring_ref = tx;
    q.rx_ring_ref = rx;
    q.event_channel = port;
    return q;
}

} // namespace

Result<VifFront> read_vif_front(const NetKeyReader& read, std::uint32_t max_queues,
                                std::string* why) {
    VifFront f;
    f.features = read_front_features(read);
    if (!f.features.rx_copy)
        return refuse(why, std::string(NETIF_KEY_REQUEST_RX_COPY) + " is not 1");
    PV_TRY_ASSIGN(n, read_queue_count(read, max_queues, why));
    for (std::uint32_t i = 0; i < n; ++i) {
        const std::string prefix = n == 1 ? std::string() : "queue-" + std::to_string(i) + "/";
        PV_TRY_ASSIGN(q, read_queue(read, prefix, why));
        for (const VifQueueKeys& other : f.queues) {
            if (other.event_channel == q.event_channel)
                return refuse(why, "event channel " + std::to_string(q.event_channel) +
                                       " named by two queues");
        }
        f.queues.push_back(q);
    }
    return f;
}

} // namespace pvisor::backend
