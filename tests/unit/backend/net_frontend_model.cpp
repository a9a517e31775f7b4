// net_frontend_model.cpp: the netif frontend model: tx slot layout, rx posting and reassembly.
#include "net_frontend_model.hpp"

#include <algorithm>
#include <atomic>
#include <cassert>
#include <cstring>

namespace pvisor::backend::testing {

namespace {

void init_ring(FakeGuest& g, pv_front_ring& r, std::uint64_t gpa, std::uint32_t entry) {
    pv_sring_init(g.host(gpa), PV_RING_PAGE_SIZE);
    [[maybe_unused]] const int rc = pv_front_ring_attach(&r, g.host(gpa), PV_RING_PAGE_SIZE, entry);
    assert(rc == 0);
}

void pool(FakeGuest& g, std::uint32_t n, bool readonly, std::vector<std::uint64_t>& gpas,
          std::vector<pv_grant_ref>& refs, std::vector<std::uint16_t>& free,
          std::vector<bool>& busy) {
    for (std::uint32_t i = 0; i < n; ++i) {
        gpas.push_back(g.alloc_page());
        refs.push_back(g.grant(gpas.back(), readonly));
    }
    for (std::uint32_t i = n; i-- > 0;)
        free.push_back(static_cast<std::uint16_t>(i));
    busy.assign(n, false);
}

void set_prod(pv_front_ring& r, std::uint32_t v) {
    r.req_prod_pvt = v;
    std::atomic_ref<std::uint32_t>(r.sring->req_prod).store(v, std::memory_order_release);
}

} // namespace

NetFront::NetFront(FakeGuest& guest, std::uint32_t tx_pages, std::uint32_t rx_pages)
    : m_guest(&guest) {
    const std::uint64_t tx_gpa = guest.alloc_page();
    const std::uint64_t rx_gpa = guest.alloc_page();
    init_ring(guest, m_tx, tx_gpa, sizeof(union netif_tx_sring_entry));
    init_ring(guest, m_rx, rx_gpa, sizeof(union netif_rx_sring_entry));
    m_tx_ref = guest.grant(tx_gpa);
    m_rx_ref = guest.grant(rx_gpa);
    pool(guest, tx_pages, true, m_tx_pool, m_tx_grefs, m_tx_free, m_tx_busy);
    pool(guest, rx_pages, false, m_rx_pool, m_rx_grefs, m_rx_free, m_rx_busy);
}

void NetFront::put_tx(const netif_tx_request& r) {
    [[maybe_unused]] const int rc = pv_front_produce(&m_tx, &r, sizeof r);
    assert(rc == 0);
}

void NetFront::put_extra(const netif_extra_info& e) {
    union netif_tx_sring_entry slot {};
    std::memcpy(&slot, &e, sizeof e);
    [[maybe_unused]] const int rc = pv_front_produce(&m_tx, &slot, sizeof slot);
    assert(rc == 0);
}

bool NetFront::send(std::span<const std::byte> frame, const TxLayout& l) {
    const std::uint32_t total = static_cast<std::uint32_t>(frame.size());
    const std::uint32_t first = std::min(total, l.piece);
    const std::uint32_t n = 1 + (total - first + l.piece - 1) / l.piece;
    if (m_tx_free.size() < n || pv_front_free_slots(&m_tx) < n + (l.gso ? 1U : 0U))
        return false;
    std::uint32_t off = 0;
    for (std::uint32_t i = 0; i < n; ++i) {
        const std::uint16_t page = m_tx_free.back();
        m_tx_free.pop_back();
        m_tx_busy[page] = true;
        const std::uint32_t len = i == 0 ? first : std::min(l.piece, total - off);
        const std::uint16_t at = i == 0 ? l.first_offset : 0;
        if (l.copy)
            std::memcpy(m_guest->host(m_tx_pool[page]) + at, frame.data() + off, len);
        netif_tx_request r{};
        r.gref = m_tx_grefs[page];
        r.offset = at;
        r.id = page;
        r.size = static_cast<std::uint16_t>(i == 0 ? total : len);
        r.flags = static_cast<std::uint16_t>((i + 1 < n ? NETTXF_more_data : 0U) |
                                             (i == 0 ? l.flags : 0U) |
                                             (i == 0 && l.gso ? NETTXF_extra_info : 0U));
        put_tx(r);
        if (i == 0 && l.gso)
            put_extra(*l.gso);
        off += len;
    }
    return true;
}

void NetFront::fill_tx_pool(std::span<const std::byte> frame) {
    for (std::uint64_t gpa : m_tx_pool)
        std::memcpy(m_guest->host(gpa), frame.data(), std::min<std::size_t>(frame.size(), 4096));
}

bool NetFront::push_tx() {
    return pv_front_push_requests(&m_tx) != 0;
}

std::vector<netif_tx_response> NetFront::take_tx() {
    std::vector<netif_tx_response> out;
    for (;;) {
        netif_tx_response r;
        int n = 0;
        while ((n = pv_front_consume_response(&m_tx, &r, sizeof r)) == 1) {
            out.push_back(r);
            if (r.status != NETIF_RSP_NULL && r.id < m_tx_busy.size() && m_tx_busy[r.id]) {
                m_tx_busy[r.id] = false;
                m_tx_free.push_back(r.id);
            }
        }
        if (n < 0 || pv_front_final_check_for_responses(&m_tx) <= 0)
            return out;
    }
}

void NetFront::put_rx(const netif_rx_request& r) {
    [[maybe_unused]] const int rc = pv_front_produce(&m_rx, &r, sizeof r);
    assert(rc == 0);
}

bool NetFront::push_rx() {
    return pv_front_push_requests(&m_rx) != 0;
}

std::uint32_t NetFront::post_rx(std::uint32_t n, bool* notify) {
    std::uint32_t posted = 0;
    while (posted < n && !m_rx_free.empty() && pv_front_free_slots(&m_rx) > 0) {
        const std::uint16_t page = m_rx_free.back();
        m_rx_free.pop_back();
        m_rx_busy[page] = true;
        put_rx(netif_rx_request{page, 0, m_rx_grefs[page]});
        ++posted;
    }
    const bool kick = push_rx();
    if (notify != nullptr)
        *notify = kick;
    return posted;
}

std::vector<RxPacket> NetFront::take_rx() {
    std::vector<RxPacket> out;
    union netif_rx_sring_entry e;
    for (;;) {
        int n = 0;
        while ((n = pv_front_consume_response(&m_rx, &e, sizeof e)) == 1) {
            if (m_expect_extra) { // the slot after one with NETRXF_extra_info
                m_expect_extra = false;
                netif_extra_info x;
                std::memcpy(&x, &e, sizeof x);
                m_partial->extra = x;
                if (!m_more) {
                    out.push_back(std::move(*m_partial));
                    m_partial.reset();
                }
                continue;
            }
            const netif_rx_response& r = e.rsp;
            if (!m_partial) {
                m_partial.emplace();
                m_partial->flags = r.flags;
            }
            if (r.id < m_rx_busy.size() && m_rx_busy[r.id]) {
                if (r.status > 0 && r.offset + r.status <= 4096) {
                    const std::byte* p = m_guest->host(m_rx_pool[r.id]) + r.offset;
                    m_partial->data.insert(m_partial->data.end(), p, p + r.status);
                }
                m_rx_busy[r.id] = false;
                m_rx_free.push_back(r.id);
            }
            m_partial->error = m_partial->error || r.status < 0;
            m_expect_extra = (r.flags & NETRXF_extra_info) != 0;
            m_more = (r.flags & NETRXF_more_data) != 0;
            if (!m_more && !m_expect_extra) {
                out.push_back(std::move(*m_partial));
                m_partial.reset();
            }
        }
        if (n < 0 || pv_front_final_check_for_responses(&m_rx) <= 0)
            break;
    }
    return out;
}

void NetFront::set_tx_req_prod(std::uint32_t v) {
    set_prod(m_tx, v);
}

void NetFront::set_rx_req_prod(std::uint32_t v) {
    set_prod(m_rx, v);
}

} // namespace pvisor::backend::testing
