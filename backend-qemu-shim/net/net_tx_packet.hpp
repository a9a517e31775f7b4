// net_tx_packet.hpp: one guest tx packet's slots, as copied out of the ring, validated.
#pragma once

#include "net_counters.hpp"
#include "net_features.hpp"
#include "net_offload.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <pv/netif.h>

namespace pvisor::backend {

inline constexpr std::uint32_t kNetMaxDataSlots = XEN_NETBK_LEGACY_SLOTS_MAX;
inline constexpr std::uint32_t kNetFatalDataSlots = PV_NETIF_FATAL_TX_SLOTS;

// The slots of one packet, private copies (the chain's length rules that break the ring are
// enforced while copying, by the tx path: at most kNetFatalDataSlots data slots and
// PV_NETIF_MAX_EXTRAS extra slots, all published).
struct NetTxChain {
    std::array<netif_tx_request, kNetFatalDataSlots> data{};
    std::uint32_t nr_data = 0; // >= 1: slot 0 is data slot 0
    std::array<netif_extra_info, PV_NETIF_MAX_EXTRAS> extras{};
    std::uint32_t nr_extras = 0;
};

// A piece of the packet inside one granted page: [offset, offset + len) <= 4096.
struct NetTxPiece {
    pv_grant_ref gref = 0;
    std::uint16_t offset = 0;
    std::uint16_t len = 0; // 0 only for slot 0's own piece
};

// A validated packet: pieces in order, their lengths summing to total.
struct NetTxPacket {
    std::uint32_t total = 0; // PV_NETIF_ETH_HLEN..XEN_NETIF_MAX_TX_SIZE
    std::uint32_t nr_pieces = 0;
    std::array<NetTxPiece, kNetMaxDataSlots> piece{};
    NetTxMeta meta;
};

// Checks the slot rules of pv/netif.h on a copied chain: slot count, sizes, page bounds,
// extra types (GSO only as offered). nullopt: valid and `out` is filled; otherwise the
// reason the packet is dropped. Grants and headers are checked later (they need guest data).
[[nodiscard]] std::optional<NetInvalid> validate_tx_chain(const NetTxChain& c,
                                                          const NetOffer& offer, NetTxPacket& out);

} // namespace pvisor::backend
