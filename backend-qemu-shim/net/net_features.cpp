// net_features.cpp: netif feature keys read from the frontend and written for it.
#include "net_features.hpp"

#include <pv/netif.h>

namespace pvisor::backend {

namespace {

std::optional<bool> flag(const NetKeyReader& read, const char* key) {
    const auto v = read(key);
    if (!v || (*v != "0" && *v != "1"))
        return std::nullopt;
    return *v == "1";
}

} // namespace

NetFrontFeatures read_front_features(const NetKeyReader& read) {
    NetFrontFeatures f;
    f.rx_copy = flag(read, NETIF_KEY_REQUEST_RX_COPY).value_or(false);
    f.rx_notify = flag(read, NETIF_KEY_FEATURE_RX_NOTIFY).value_or(false);
    f.sg = flag(read, NETIF_KEY_FEATURE_SG).value_or(false);
    f.gso_tcpv4 = f.sg && flag(read, NETIF_KEY_FEATURE_GSO_TCPV4).value_or(false);
    f.gso_tcpv6 = f.sg && flag(read, NETIF_KEY_FEATURE_GSO_TCPV6).value_or(false);
    f.csum = !flag(read, NETIF_KEY_FEATURE_NO_CSUM).value_or(false);
    f.ipv6_csum = flag(read, NETIF_KEY_FEATURE_IPV6_CSUM).value_or(false);
    return f;
}

NetOffloads rx_offloads(const NetFrontFeatures& f) {
    NetOffloads o;
    // TUN_F_CSUM covers both IP versions; IPv6 partials the frontend cannot take are
    // completed by the backend, so it is enough that IPv4 ones are accepted.
    o.csum = f.csum;
    o.tso4 = f.csum && f.gso_tcpv4;
    o.tso6 = f.csum && f.gso_tcpv6 && f.ipv6_csum;
    return o;
}

std::vector<std::pair<std::string, std::string>>
net_backend_keys(const MacAddress& guest_mac, const NetOffer& offer, std::uint32_t max_queues) {
    auto b = [](bool v) { return std::string(v ? "1" : "0"); };
    return {
        {NETIF_KEY_MAC, format_mac(guest_mac)},
        {NETIF_KEY_FEATURE_SG, b(offer.sg)},
        {NETIF_KEY_FEATURE_GSO_TCPV4, b(offer.sg && offer.gso_tcpv4)},
        {NETIF_KEY_FEATURE_GSO_TCPV6, b(offer.sg && offer.gso_tcpv6)},
        {NETIF_KEY_FEATURE_IPV6_CSUM, b(offer.ipv6_csum)},
        {NETIF_KEY_FEATURE_RX_COPY, "1"},
        {NETIF_KEY_FEATURE_RX_FLIP, "0"},
        {NETIF_KEY_FEATURE_SPLIT_EVTCHN, "0"},
        {NETIF_KEY_FEATURE_MCAST_CONTROL, "0"},
        {NETIF_KEY_FEATURE_CTRL_RING, "0"},
        {NETIF_KEY_MQ_MAX_QUEUES, std::to_string(max_queues)},
    };
}

} // namespace pvisor::backend
