// net_offload.cpp: header parsing for checksum/GSO offsets, and the software checksum.
#include "net_offload.hpp"

namespace pvisor::backend {

namespace {

constexpr std::uint16_t kEthIpv4 = 0x0800;
constexpr std::uint16_t kEthIpv6 = 0x86DD;
constexpr std::uint16_t kEthVlan = 0x8100;
constexpr std::uint16_t kEthQinQ = 0x88A8;
constexpr std::uint8_t kProtoTcp = 6;
constexpr std::uint8_t kProtoUdp = 17;
constexpr int kMaxIpv6Ext = 8;

std::uint8_t u8(std::span<const std::byte> b, std::size_t at) {
    return static_cast<std::uint8_t>(b[at]);
}
std::uint16_t be16(std::span<const std::byte> b, std::size_t at) {
    return static_cast<std::uint16_t>((u8(b, at) << 8) | u8(b, at + 1));
}

// IPv4 at l3: the L4 protocol and offset, or false (truncated, bad IHL, a fragment).
bool parse_ipv4(std::span<const std::byte> h, std::size_t l3, std::uint8_t& proto,
                std::size_t& l4) {
    if (h.size() < l3 + 20 || (u8(h, l3) >> 4) != 4)
        return false;
    const std::size_t ihl = static_cast<std::size_t>(u8(h, l3) & 0xFU) * 4;
    const std::uint16_t frag = be16(h, l3 + 6);
    if (ihl < 20 || (frag & 0x3FFFU) != 0) // MF set or a fragment offset: no L4 header here
        return false;
    proto = u8(h, l3 + 9);
    l4 = l3 + ihl;
    return true;
}

bool parse_ipv6(std::span<const std::byte> h, std::size_t l3, std::uint8_t& proto,
                std::size_t& l4) {
    if (h.size() < l3 + 40 || (u8(h, l3) >> 4) != 6)
        return false;
    std::uint8_t next = u8(h, l3 + 6);
    std::size_t at = l3 + 40;
    for (int i = 0; i < kMaxIpv6Ext; ++i) {
        if (next != 0 && next != 43 && next != 60) { // hop-by-hop, routing, dest options
            proto = next;
            l4 = at;
            return true;
        }
        if (h.size() < at + 8)
            return false;
        next = u8(h, at);
        at += (std::size_t{u8(h, at + 1)} + 1) * 8;
    }
    return false;
}

std::uint32_t sum16(std::span<const std::byte> b, std::size_t from, std::size_t to) {
    std::uint32_t s = 0;
    std::size_t i = from;
    for (; i + 1 < to; i += 2)
        s += static_cast<std::uint32_t>((u8(b, i) << 8) | u8(b, i + 1));
    if (i < to)
        s += std::uint32_t{u8(b, i)} << 8;
    return s;
}

} // namespace

std::optional<L4Location> locate_l4(std::span<const std::byte> head) {
    if (head.size() < 14)
        return std::nullopt;
    std::size_t l3 = 14;
    std::uint16_t type = be16(head, 12);
    if (type == kEthVlan || type == kEthQinQ) {
        if (head.size() < 18)
            return std::nullopt;
        type = be16(head, 16);
        l3 = 18;
    }
    L4Location loc;
    std::size_t l4 = 0;
    if (type == kEthIpv4) {
        if (!parse_ipv4(head, l3, loc.proto, l4))
            return std::nullopt;
    } else if (type == kEthIpv6) {
        loc.ipv6 = true;
        if (!parse_ipv6(head, l3, loc.proto, l4))
            return std::nullopt;
    } else {
        return std::nullopt;
    }
    std::size_t l4_len = 0;
    if (loc.proto == kProtoTcp) {
        if (head.size() < l4 + 20)
            return std::nullopt;
        l4_len = static_cast<std::size_t>(u8(head, l4 + 12) >> 4) * 4;
        if (l4_len < 20)
            return std::nullopt;
        loc.csum_field = 16;
    } else if (loc.proto == kProtoUdp) {
        l4_len = 8;
        loc.csum_field = 6;
    } else {
        return std::nullopt;
    }
    if (head.size() < l4 + l4_len || l4 + l4_len > 0xFFFF)
        return std::nullopt;
    loc.start = static_cast<std::uint16_t>(l4);
    loc.hdr_len = static_cast<std::uint16_t>(l4 + l4_len);
    return loc;
}

std::optional<NetInvalid> tx_vnet_hdr(const NetTxMeta& m, std::span<const std::byte> head,
                                      const NetOffer& offer, VnetHdr& out) {
    out = VnetHdr{};
    const bool gso = m.gso_type != XEN_NETIF_GSO_TYPE_NONE;
    if (!m.csum_blank && !gso) {
        out.flags = m.data_validated ? VIRTIO_NET_HDR_F_DATA_VALID : 0;
        return std::nullopt;
    }
    // GSO needs a partial checksum: each segment's checksum is completed from it.
    if (gso && !m.csum_blank)
        return NetInvalid::tx_bad_checksum;
    const auto loc = locate_l4(head);
    if (!loc)
        return NetInvalid::tx_bad_checksum;
    if (loc->ipv6 && !offer.ipv6_csum)
        return NetInvalid::tx_not_negotiated;
    out.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
    out.csum_start = loc->start;
    out.csum_offset = loc->csum_field;
    if (!gso)
        return std::nullopt;
    const bool v6 = m.gso_type == XEN_NETIF_GSO_TYPE_TCPV6;
    if (loc->proto != 6 || loc->ipv6 != v6)
        return NetInvalid::tx_bad_extra; // the GSO type contradicts the headers
    out.gso_type = v6 ? VIRTIO_NET_HDR_GSO_TCPV6 : VIRTIO_NET_HDR_GSO_TCPV4;
    out.gso_size = m.gso_size;
    out.hdr_len = loc->hdr_len;
    return std::nullopt;
}

bool complete_checksum(std::span<std::byte> frame, std::uint32_t start, std::uint32_t field) {
    const std::size_t at = std::size_t{start} + field;
    if (start > frame.size() || at + 2 > frame.size())
        return false;
    std::uint32_t s = sum16(frame, start, frame.size());
    while ((s >> 16) != 0)
        s = (s & 0xFFFFU) + (s >> 16);
    const auto c = static_cast<std::uint16_t>(~s & 0xFFFFU);
    frame[at] = static_cast<std::byte>(c >> 8);
    frame[at + 1] = static_cast<std::byte>(c & 0xFF);
    return true;
}

std::optional<NetRxMeta> rx_meta(const VnetHdr& h, std::span<std::byte> frame,
                                 const NetFrontFeatures& f) {
    NetRxMeta m;
    const std::uint8_t gso = h.gso_type & static_cast<std::uint8_t>(~VIRTIO_NET_HDR_GSO_ECN);
    if (gso == VIRTIO_NET_HDR_GSO_TCPV4 && f.gso_tcpv4) {
        m.gso_type = XEN_NETIF_GSO_TYPE_TCPV4;
    } else if (gso == VIRTIO_NET_HDR_GSO_TCPV6 && f.gso_tcpv6) {
        m.gso_type = XEN_NETIF_GSO_TYPE_TCPV6;
    } else if (gso != VIRTIO_NET_HDR_GSO_NONE) {
        return std::nullopt; // the host was told not to send it; it cannot be delivered
    }
    if (m.gso_type != 0) {
        if (h.gso_size == 0)
            return std::nullopt;
        m.gso_size = h.gso_size;
    }
    if ((h.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) != 0) {
        const auto loc = locate_l4(frame);
        const bool v6 = loc && loc->ipv6;
        if (m.gso_type != 0 || (v6 ? f.ipv6_csum : f.csum)) {
            m.flags = NETRXF_csum_blank | NETRXF_data_validated;
            return m;
        }
        if (!complete_checksum(frame, h.csum_start, h.csum_offset))
            return std::nullopt;
        m.sw_csum = true;
        m.flags = NETRXF_data_validated;
        return m;
    }
    if ((h.flags & VIRTIO_NET_HDR_F_DATA_VALID) != 0)
        m.flags = NETRXF_data_validated;
    return m;
}

} // namespace pvisor::backend
