// net_offload.hpp: checksum/GSO metadata between netif flags and the virtio-net header.
#pragma once

#include "net_counters.hpp"
#include "net_features.hpp"
#include "net_port.hpp"

#include <cstdint>
#include <optional>
#include <pv/netif.h>
#include <span>

namespace pvisor::backend {

// Where the L4 checksum of a frame lives, found by parsing its headers.
struct L4Location {
    bool ipv6 = false;
    std::uint8_t proto = 0;       // 6 TCP, 17 UDP
    std::uint16_t start = 0;      // first byte of the L4 header (checksum coverage start)
    std::uint16_t csum_field = 0; // offset of the checksum field from start
    std::uint16_t hdr_len = 0;    // start + TCP header length (TCP only; else start + 8)
};

// Parses Ethernet (one optional 802.1Q/802.1ad tag), IPv4 (not a fragment) or IPv6 (with
// hop-by-hop, routing, destination-options extension headers, at most 8), then TCP or UDP.
// Only `head` is read (a private copy); nullopt if the headers do not all lie in it or are
// not of these kinds.
[[nodiscard]] std::optional<L4Location> locate_l4(std::span<const std::byte> head);

// The tx metadata of a validated packet, as the netif flags and extras gave it.
struct NetTxMeta {
    bool csum_blank = false;
    bool data_validated = false;
    std::uint8_t gso_type = XEN_NETIF_GSO_TYPE_NONE; // XEN_NETIF_GSO_TYPE_*
    std::uint16_t gso_size = 0;                      // MSS, >= 1 with a GSO type
};

// Fills the virtio-net header for a guest tx packet whose first bytes are `head`. Refuses
// (with the reason) a partial checksum or GSO on headers it cannot locate, a GSO type that
// does not match the headers, and an IPv6 partial checksum or GSO type `offer` lacks.
[[nodiscard]] std::optional<NetInvalid> tx_vnet_hdr(const NetTxMeta& m,
                                                    std::span<const std::byte> head,
                                                    const NetOffer& offer, VnetHdr& out);

// The rx flags and GSO extra for a frame from the host.
struct NetRxMeta {
    std::uint16_t flags = 0;   // NETRXF_data_validated / NETRXF_csum_blank
    std::uint8_t gso_type = 0; // XEN_NETIF_GSO_TYPE_*; 0: no extra slot
    std::uint16_t gso_size = 0;
    bool sw_csum = false; // the checksum was completed here
};

// Translates the host's header for `frame` into what frontend `f` accepts; completes a
// partial checksum in software when the frontend cannot take it. nullopt: the frame must be
// dropped (GSO the frontend did not ask for, or a partial checksum outside the frame).
[[nodiscard]] std::optional<NetRxMeta> rx_meta(const VnetHdr& h, std::span<std::byte> frame,
                                               const NetFrontFeatures& f);

// Ones'-complement sum of [start, end) folded into the 16-bit field at start + field
// (which holds the pseudo-header sum on entry). False if the field is outside the frame.
[[nodiscard]] bool complete_checksum(std::span<std::byte> frame, std::uint32_t start,
                                     std::uint32_t field);

} // namespace pvisor::backend
