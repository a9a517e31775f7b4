// net_tx.cpp: tx slot chains copied once, validated, pinned and written to the port.
#include "net_tx.hpp"

#include <algorithm>
#include <cstring>

namespace pvisor::backend {

NetTxPath::NetTxPath(NetBackRing ring, GrantTableView& grants, NetCounters& counters,
                     NetOffer offer)
    : m_ring(std::move(ring)), m_grants(&grants), m_counters(&counters), m_offer(offer),
      m_slots(kInFlight) {
    m_free.reserve(kInFlight);
    for (std::uint32_t i = kInFlight; i-- > 0;) {
        m_free.push_back(i);
        m_slots[i].pins.reserve(kNetMaxDataSlots);
    }
}

// Takes the next published slot; false (ring broken) if the packet's chain runs past req_prod
// (a frontend publishes whole packets) or req_prod is hostile.
bool NetTxPath::take_slot(netif_tx_request& out) {
    auto avail = m_ring.unconsumed();
    if (!avail.ok())
        return fail("tx request producer index overflow");
    if (*avail == 0)
        return fail("tx packet continues past req_prod");
    m_ring.copy_request(out);
    return true;
}

// Copies one packet's slots: slot 0, its extra slots, the following data slots. The chain
// is bounded (PV_NETIF_MAX_EXTRAS extras, kNetFatalDataSlots data slots); longer chains
// break the ring, since where the next packet starts can no longer be trusted.
bool NetTxPath::collect(NetTxChain& c) {
    c.nr_data = 0;
    c.nr_extras = 0;
    if (!take_slot(c.data[c.nr_data++]))
        return false;
    if ((c.data[0].flags & NETTXF_extra_info) != 0) {
        netif_extra_info* e = nullptr;
        do {
            if (c.nr_extras == PV_NETIF_MAX_EXTRAS)
                return fail("tx extra-info chain longer than PV_NETIF_MAX_EXTRAS");
            union netif_tx_sring_entry raw;
            if (!take_slot(raw.req))
                return false;
            e = &c.extras[c.nr_extras++];
            std::memcpy(e, &raw, sizeof *e); // an extra slot holds a netif_extra_info
        } while ((e->flags & XEN_NETIF_EXTRA_FLAG_MORE) != 0);
    }
    while ((c.data[c.nr_data - 1].flags & NETTXF_more_data) != 0) {
        if (c.nr_data == kNetFatalDataSlots)
            return fail("tx packet of more than PV_NETIF_FATAL_TX_SLOTS slots");
        if (!take_slot(c.data[c.nr_data++]))
            return false;
    }
    return true;
}

bool NetTxPath::consume(UringEngine& engine) {
    if (m_broken != nullptr)
        return false;
    NetTxChain chain;
    while (!full() && engine.sq_space() > 0) {
        auto avail = m_ring.unconsumed();
        if (!avail.ok())
            return fail("tx request producer index overflow");
        if (*avail == 0)
            return true;
        if (!collect(chain))
            return false;
        start(chain, engine);
    }
    return true;
}

void NetTxPath::respond(const std::uint16_t* ids, std::uint32_t nr_ids, std::uint32_t nr_extras,
                        std::int16_t status) {
    // Slot 0, its extra slots (NETIF_RSP_NULL), then the other data slots: one response per
    // consumed slot. Every byte is written: no stale host data reaches the guest.
    for (std::uint32_t i = 0; i < nr_ids; ++i) {
        m_ring.put_response(netif_tx_response{ids[i], status});
        for (std::uint32_t x = 0; i == 0 && x < nr_extras; ++x)
            m_ring.put_response(netif_tx_response{0, NETIF_RSP_NULL});
    }
}

void NetTxPath::drop(const NetTxChain& c, NetInvalid why) {
    std::array<std::uint16_t, kNetFatalDataSlots> ids{};
    for (std::uint32_t i = 0; i < c.nr_data; ++i)
        ids[i] = c.data[i].id;
    respond(ids.data(), c.nr_data, c.nr_extras, NETIF_RSP_ERROR);
    m_counters->count(why);
    m_counters->tx_dropped.fetch_add(1, std::memory_order_relaxed);
}

bool NetTxPath::pin_pieces(const NetTxPacket& p, InFlight& f) {
    for (std::uint32_t i = 0; i < p.nr_pieces; ++i) {
        if (p.piece[i].len == 0)
            continue; // slot 0 may carry nothing itself: its page is not touched
        auto pin = m_grants->pin(p.piece[i].gref, GrantUse::read);
        if (!pin.ok())
            return false;
        f.pins.push_back(std::move(pin).value());
    }
    return true;
}

// iov: [vnet header][private head copy][the rest of the frame from the pinned pages].
void NetTxPath::build_iov(const NetTxPacket& p, InFlight& f, std::uint32_t head_len) {
    f.iov[0] = {&f.hdr, kVnetHdrLen};
    f.iov[1] = {f.head.data(), head_len};
    f.nr_iov = 2;
    std::uint32_t skip = head_len;
    std::size_t pin = 0;
    for (std::uint32_t i = 0; i < p.nr_pieces; ++i) {
        const NetTxPiece& pc = p.piece[i];
        if (pc.len == 0)
            continue;
        std::byte* data = f.pins[pin++].page().data() + pc.offset;
        const std::uint32_t used = std::min<std::uint32_t>(skip, pc.len);
        skip -= used;
        if (used < pc.len)
            f.iov[f.nr_iov++] = {data + used, pc.len - used};
    }
}

void NetTxPath::start(const NetTxChain& c, UringEngine& engine) {
    NetTxPacket p;
    if (auto bad = validate_tx_chain(c, m_offer, p)) {
        drop(c, *bad);
        return;
    }
    const std::uint32_t slot = m_free.back();
    InFlight& f = m_slots[slot];
    f.pins.clear();
    if (!pin_pieces(p, f)) {
        f.pins.clear();
        drop(c, NetInvalid::tx_bad_grant);
        return;
    }
    // The private head: the first bytes of the frame, gathered from the pieces once.
    const std::uint32_t head_len = std::min(p.total, kHeadCopy);
    std::uint32_t copied = 0;
    std::size_t pin = 0;
    for (std::uint32_t i = 0; i < p.nr_pieces && copied < head_len; ++i) {
        if (p.piece[i].len == 0)
            continue;
        const std::uint32_t n = std::min<std::uint32_t>(head_len - copied, p.piece[i].len);
        std::memcpy(f.head.data() + copied, f.pins[pin++].page().data() + p.piece[i].offset, n);
        copied += n;
    }
    if (auto bad = tx_vnet_hdr(p.meta, {f.head.data(), head_len}, m_offer, f.hdr)) {
        f.pins.clear();
        drop(c, *bad);
        return;
    }
    build_iov(p, f, head_len);
    f.nr_ids = c.nr_data;
    f.nr_extras = c.nr_extras;
    for (std::uint32_t i = 0; i < c.nr_data; ++i)
        f.ids[i] = c.data[i].id;
    f.bytes = kVnetHdrLen + p.total;
    // consume() checked sq_space(): the prep cannot fail.
    [[maybe_unused]] const bool ok =
        engine.prep_writev(kTagBase | slot, 0, f.iov.data(), f.nr_iov, false);
    assert(ok);
    m_free.pop_back();
}

void NetTxPath::complete(std::uint32_t slot, int res) {
    InFlight& f = m_slots[slot];
    const bool sent = res >= 0 && static_cast<std::uint32_t>(res) == f.bytes;
    if (sent) {
        m_counters->tx_packets.fetch_add(1, std::memory_order_relaxed);
        m_counters->tx_bytes.fetch_add(f.bytes - kVnetHdrLen, std::memory_order_relaxed);
    } else {
        m_counters->tx_errors.fetch_add(1, std::memory_order_relaxed);
    }
    f.pins.clear(); // the guest may end access once the response is visible
    respond(f.ids.data(), f.nr_ids, f.nr_extras, sent ? NETIF_RSP_OKAY : NETIF_RSP_ERROR);
    m_free.push_back(slot);
}

} // namespace pvisor::backend
