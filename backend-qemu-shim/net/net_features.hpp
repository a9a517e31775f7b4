// net_features.hpp: what the backend offers, what the frontend asked for, and the keys of both.
#pragma once

#include "device_keys.hpp"
#include "net_port.hpp"

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pvisor::backend {

// Backend side (guest tx): what a pvisor backend accepts from the frontend.
struct NetOffer {
    bool sg = true;        // feature-sg
    bool gso_tcpv4 = true; // feature-gso-tcpv4
    bool gso_tcpv6 = true; // feature-gso-tcpv6
    bool ipv6_csum = true; // feature-ipv6-csum-offload (IPv4 csum_blank is always accepted)
};

// Frontend side (guest rx): what the frontend accepts from the backend (its device/vif keys).
struct NetFrontFeatures {
    bool rx_copy = false;   // request-rx-copy: required
    bool rx_notify = false; // feature-rx-notify
    bool sg = false;        // feature-sg: rx packets may span several pages
    bool gso_tcpv4 = false; // feature-gso-tcpv4 (needs sg)
    bool gso_tcpv6 = false; // feature-gso-tcpv6 (needs sg)
    bool csum = true;       // !feature-no-csum-offload: NETRXF_csum_blank for IPv4
    bool ipv6_csum = false; // feature-ipv6-csum-offload: NETRXF_csum_blank for IPv6
};

// Reads one frontend key; nullopt if absent.
using NetKeyReader = std::function<std::optional<std::string>(std::string_view key)>;

// Frontend features from its keys (absent keys take the pv/netif.h defaults; a value other
// than "0"/"1" counts as absent). GSO without sg is ignored, as netback does.
[[nodiscard]] NetFrontFeatures read_front_features(const NetKeyReader& read);

// What rx frames from the host may carry so that the frontend can take them unchanged.
// IPv6 partial checksums the frontend cannot take are completed in software.
[[nodiscard]] NetOffloads rx_offloads(const NetFrontFeatures& f);

// Key/value pairs relative to backend/vif/<frontend-domid>/<handle>/ (pv/netif.h).
[[nodiscard]] std::vector<std::pair<std::string, std::string>>
net_backend_keys(const MacAddress& guest_mac, const NetOffer& offer, std::uint32_t max_queues);

} // namespace pvisor::backend
