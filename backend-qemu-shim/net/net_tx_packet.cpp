// net_tx_packet.cpp: the tx slot rules (sizes, page bounds, extra info) on a copied chain.
#include "net_tx_packet.hpp"

namespace pvisor::backend {

namespace {

std::optional<NetInvalid> check_gso(const netif_extra_info& e, const NetOffer& offer,
                                    NetTxMeta& meta) {
    const auto& g = e.u.gso;
    if (g.size == 0 || g.features != 0 || g.pad != 0)
        return NetInvalid::tx_bad_extra;
    if (g.type == XEN_NETIF_GSO_TYPE_TCPV4) {
        if (!offer.sg || !offer.gso_tcpv4)
            return NetInvalid::tx_not_negotiated;
    } else if (g.type == XEN_NETIF_GSO_TYPE_TCPV6) {
        if (!offer.sg || !offer.gso_tcpv6)
            return NetInvalid::tx_not_negotiated;
    } else {
        return NetInvalid::tx_bad_extra;
    }
    meta.gso_type = g.type;
    meta.gso_size = g.size;
    return std::nullopt;
}

// Each type at most once; GSO checked; multicast and hash accepted and ignored (the TAP
// passes every multicast address; the host computes its own hash); XDP is rx-only.
std::optional<NetInvalid> check_extras(const NetTxChain& c, const NetOffer& offer,
                                       NetTxMeta& meta) {
    unsigned seen = 0;
    for (std::uint32_t i = 0; i < c.nr_extras; ++i) {
        const netif_extra_info& e = c.extras[i];
        if (e.type == XEN_NETIF_EXTRA_TYPE_NONE || e.type >= XEN_NETIF_EXTRA_TYPE_MAX ||
            e.type == XEN_NETIF_EXTRA_TYPE_XDP || (seen & (1U << e.type)) != 0)
            return NetInvalid::tx_bad_extra;
        seen |= 1U << e.type;
        if (e.type == XEN_NETIF_EXTRA_TYPE_GSO) {
            if (auto bad = check_gso(e, offer, meta))
                return bad;
        }
    }
    return std::nullopt;
}

} // namespace

std::optional<NetInvalid> validate_tx_chain(const NetTxChain& c, const NetOffer& offer,
                                            NetTxPacket& out) {
    if (c.nr_data > kNetMaxDataSlots)
        return NetInvalid::tx_too_many_slots;
    if (c.nr_data > 1 && !offer.sg)
        return NetInvalid::tx_not_negotiated;
    const netif_tx_request& first = c.data[0];
    const std::uint32_t total = first.size;
    if (total < PV_NETIF_ETH_HLEN)
        return NetInvalid::tx_bad_size;
    // Slot 0's own piece is what the following pieces leave of the total (checked: no
    // following piece may be empty and their sum may not exceed the total).
    std::uint32_t rest = 0;
    for (std::uint32_t i = 1; i < c.nr_data; ++i) {
        if (c.data[i].size == 0)
            return NetInvalid::tx_bad_size;
        rest += c.data[i].size; // <= 17 * 65535: no overflow
    }
    if (rest > total)
        return NetInvalid::tx_bad_size;
    out.total = total;
    out.nr_pieces = c.nr_data;
    for (std::uint32_t i = 0; i < c.nr_data; ++i) {
        const netif_tx_request& s = c.data[i];
        const std::uint32_t len = i == 0 ? total - rest : s.size;
        if (std::uint32_t{s.offset} + len > PV_NETIF_PAGE_SIZE)
            return NetInvalid::tx_crosses_page;
        out.piece[i] = {s.gref, s.offset, static_cast<std::uint16_t>(len)};
    }
    out.meta = NetTxMeta{};
    out.meta.csum_blank = (first.flags & NETTXF_csum_blank) != 0;
    out.meta.data_validated = (first.flags & NETTXF_data_validated) != 0;
    return check_extras(c, offer, out.meta);
}

} // namespace pvisor::backend
