// net_back_ring.cpp: netif back ring operations, through shared-ring's ring logic.
#include "net_back_ring.hpp"

namespace pvisor::backend {

Result<NetBackRing> NetBackRing::attach(std::byte* page, std::uint32_t entry_size) {
    if (page == nullptr || entry_size == 0)
        return Errc::invalid_argument;
    NetBackRing r;
    // The frontend initialised the shared indices; the backend resumes at its rsp_prod.
    if (pv_back_ring_attach(&r.m_ring, page, PV_RING_PAGE_SIZE, entry_size) != 0)
        return Errc::invalid_argument;
    r.m_published = r.m_ring.rsp_prod_pvt;
    return r;
}

Result<std::uint32_t> NetBackRing::unconsumed() {
    pv_u32 n = 0;
    if (pv_back_unconsumed_requests(&m_ring, &n) < 0)
        return Errc::protocol_error;
    return n;
}

bool NetBackRing::push_responses() {
    if (m_published == m_ring.rsp_prod_pvt)
        return false; // nothing new: no publication, no notification
    m_published = m_ring.rsp_prod_pvt;
    return pv_back_push_responses(&m_ring) != 0;
}

bool NetBackRing::final_check_for_requests(std::uint32_t want) {
    pv_u32 n = 0;
    // A hostile index counts as work: the next unconsumed() reports it and breaks the ring.
    if (pv_back_unconsumed_requests(&m_ring, &n) < 0 || n >= want)
        return true;
    if (want == 1)
        return pv_back_final_check_for_requests(&m_ring) != 0;
    // Batched wake-up: notify when req_prod reaches req_cons + want (Xen's "event index
    // further ahead"); the same store / full barrier / re-read as pv_back_final_check.
    pv_idx_set_mb(&m_ring.sring->req_event, m_ring.req_cons + want);
    return pv_back_unconsumed_requests(&m_ring, &n) < 0 || n >= want;
}

} // namespace pvisor::backend
