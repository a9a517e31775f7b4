// blk_back_ring.cpp: blkif back ring operations, through shared-ring's ring logic (pv/ring_ops.h).
#include "blk_back_ring.hpp"

namespace pvisor::backend {

Result<BlkBackRing> BlkBackRing::attach(std::byte* shared, std::size_t bytes) {
    if (shared == nullptr || bytes < PV_RING_PAGE_SIZE || bytes % PV_RING_PAGE_SIZE != 0 ||
        bytes > PV_RING_BYTES(1U << PV_BLKIF_MAX_RING_PAGE_ORDER))
        return Errc::invalid_argument;
    BlkBackRing r;
    // The frontend initialised the shared indices; the backend resumes at its rsp_prod.
    if (pv_back_ring_attach(&r.m_ring, shared, static_cast<pv_u32>(bytes),
                            sizeof(union blkif_sring_entry)) != 0)
        return Errc::invalid_argument;
    r.m_published = r.m_ring.rsp_prod_pvt;
    return r;
}

Result<std::uint32_t> BlkBackRing::unconsumed() {
    pv_u32 n = 0;
    if (pv_back_unconsumed_requests(&m_ring, &n) < 0)
        return Errc::protocol_error;
    return n;
}

void BlkBackRing::copy_request(blkif_request_any& out) {
    // Precondition unconsumed() > 0: a 0 or -1 here would be our own bug.
    [[maybe_unused]] const int got = pv_back_consume_request(&m_ring, &out, sizeof out);
    assert(got == 1);
}

void BlkBackRing::put_response(const blkif_response& rsp) {
    // One response per consumed request: the queue never answers more than it consumed.
    [[maybe_unused]] const int ok = pv_back_produce_response(&m_ring, &rsp, sizeof rsp);
    assert(ok == 0);
}

bool BlkBackRing::push_responses() {
    if (m_published == m_ring.rsp_prod_pvt)
        return false; // nothing new: no publication, no notification
    m_published = m_ring.rsp_prod_pvt;
    return pv_back_push_responses(&m_ring) != 0;
}

bool BlkBackRing::final_check_for_requests() {
    // A hostile index (-1) counts as work: the next unconsumed() reports it and breaks the ring.
    return pv_back_final_check_for_requests(&m_ring) != 0;
}

} // namespace pvisor::backend
