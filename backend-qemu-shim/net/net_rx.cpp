// net_rx.cpp: host frames read by io_uring, copied into the frontend's posted rx pages.
#include "net_rx.hpp"

#include <algorithm>
#include <cassert>
#include <array>
#include <cerrno>
#include <cstring>
#include <pv/netif.h>
#include <sys/mman.h>

namespace pvisor::backend {

Result<Mapping> NetRxPath::map_buffers() {
    void* p = ::mmap(nullptr, kBufferMapBytes, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        return Errc::no_memory;
    Mapping m(p, kBufferMapBytes);
    if (::mprotect(m.bytes() + kBufferMapBytes - 4096, 4096, PROT_NONE) != 0)
        return Errc::no_memory; // the split mapping needs a VMA the kernel could not get
    return m;
}

NetRxPath::NetRxPath(NetBackRing ring, GrantTableView& grants, NetCounters& counters,
                     NetFrontFeatures front, Mapping buffers)
    : m_ring(std::move(ring)), m_grants(&grants), m_counters(&counters), m_front(front),
      m_bufs(std::move(buffers)), m_iov(kBuffers) {
    assert(m_bufs.size() == kBufferMapBytes);
    m_free.reserve(kBuffers);
    for (std::uint32_t i = kBuffers; i-- > 0;)
        m_free.push_back(i);
}

void NetRxPath::post_reads(UringEngine& engine) {
    while (!m_free.empty() && engine.sq_space() > 0) {
        const std::uint32_t i = m_free.back();
        m_iov[i] = {buffer(i), kBufferBytes};
        if (!engine.prep_readv(kTagBase | i, 0, &m_iov[i], 1))
            return;
        m_free.pop_back();
        ++m_posted;
    }
}

bool NetRxPath::admit(Ready& r) {
    if (r.len < PV_NETIF_ETH_HLEN || r.len > kMaxFrame)
        return false;
    VnetHdr h;
    std::memcpy(&h, buffer(r.buffer), sizeof h);
    const auto meta = rx_meta(h, {buffer(r.buffer) + kVnetHdrLen, r.len}, m_front);
    if (!meta)
        return false;
    r.meta = *meta;
    r.data_slots = (r.len + PV_NETIF_PAGE_SIZE - 1) / PV_NETIF_PAGE_SIZE;
    if (r.data_slots > 1 && !m_front.sg)
        return false; // the frontend takes single-page packets only
    if (meta->sw_csum)
        m_counters->rx_sw_csum.fetch_add(1, std::memory_order_relaxed);
    return r.slots() <= XEN_NETIF_NR_SLOTS_MIN;
}

void NetRxPath::complete(std::uint32_t buf, int res) {
    --m_posted;
    if (res < 0) {
        // EAGAIN/EINTR: post again. Other errors (the port went away): the buffer is
        // retired rather than re-posted into a failing read loop.
        if (res == -EAGAIN || res == -EINTR || res == -ECANCELED) {
            release(buf);
        } else {
            m_counters->rx_read_errors.fetch_add(1, std::memory_order_relaxed);
        }
        return;
    }
    ++m_frames_read;
    Ready r;
    r.buffer = buf;
    r.len = static_cast<std::uint32_t>(res) > kVnetHdrLen
                ? static_cast<std::uint32_t>(res) - kVnetHdrLen
                : 0;
    if (!admit(r)) {
        m_counters->rx_dropped.fetch_add(1, std::memory_order_relaxed);
        release(buf);
        return;
    }
    m_ready.push_back(r);
}

bool NetRxPath::deliver() {
    if (m_broken != nullptr)
        return false;
    while (!m_ready.empty()) {
        auto avail = m_ring.unconsumed();
        if (!avail.ok())
            return fail("rx request producer index overflow");
        if (*avail < m_ready.front().slots())
            return true; // wait for the frontend to post pages
        copy_out(m_ready.front());
        release(m_ready.front().buffer);
        m_ready.pop_front();
    }
    return true;
}

bool NetRxPath::final_check() {
    if (m_ready.empty())
        return false;
    return m_ring.final_check_for_requests(m_ready.front().slots());
}

void NetRxPath::respond_error(const netif_rx_request* reqs, std::uint32_t n) {
    for (std::uint32_t i = 0; i < n; ++i)
        m_ring.put_response(netif_rx_response{reqs[i].id, 0, 0, NETIF_RSP_ERROR});
}

// Consumes the frame's requests and answers each in its own slot: slot 0 (data), the GSO
// extra if any, then the other data slots. Pages are filled from offset 0.
void NetRxPath::copy_out(const Ready& r) {
    std::array<netif_rx_request, XEN_NETIF_NR_SLOTS_MIN> reqs{};
    const std::uint32_t n = r.slots();
    for (std::uint32_t i = 0; i < n; ++i)
        m_ring.copy_request(reqs[i]); // deliver() checked that n are published
    const std::uint32_t extra = r.meta.gso_type != 0 ? 1U : 0U;
    const std::byte* frame = buffer(r.buffer) + kVnetHdrLen;
    std::array<std::uint16_t, XEN_NETIF_NR_SLOTS_MIN> lens{};
    for (std::uint32_t d = 0; d < r.data_slots; ++d) {
        const std::uint32_t off = d * PV_NETIF_PAGE_SIZE;
        lens[d] = static_cast<std::uint16_t>(std::min(PV_NETIF_PAGE_SIZE, r.len - off));
        const netif_rx_request& q = reqs[d == 0 ? 0 : d + extra];
        if (!m_grants->copy_to_guest(q.gref, 0, {frame + off, lens[d]}).ok()) {
            respond_error(reqs.data(), n);
            m_counters->count(NetInvalid::rx_bad_grant);
            m_counters->rx_dropped.fetch_add(1, std::memory_order_relaxed);
            return;
        }
    }
    auto flags_of = [&](std::uint32_t d) {
        std::uint16_t f = d + 1 < r.data_slots ? NETRXF_more_data : 0;
        if (d == 0)
            f = static_cast<std::uint16_t>(f | r.meta.flags | (extra != 0 ? NETRXF_extra_info : 0));
        return f;
    };
    m_ring.put_response(
        netif_rx_response{reqs[0].id, 0, flags_of(0), static_cast<std::int16_t>(lens[0])});
    if (extra != 0) {
        netif_extra_info e{};
        e.type = XEN_NETIF_EXTRA_TYPE_GSO;
        e.u.gso.size = r.meta.gso_size;
        e.u.gso.type = r.meta.gso_type;
        m_ring.put_response(e);
    }
    for (std::uint32_t d = 1; d < r.data_slots; ++d)
        m_ring.put_response(netif_rx_response{reqs[d + extra].id, 0, flags_of(d),
                                              static_cast<std::int16_t>(lens[d])});
    m_counters->rx_packets.fetch_add(1, std::memory_order_relaxed);
    m_counters->rx_bytes.fetch_add(r.len, std::memory_order_relaxed);
}

} // namespace pvisor::backend
