// blk_back_ring.cpp: blkif back ring operations (Xen io/ring.h semantics).
// TEMPORARY: written before shared-ring's freestanding ring logic (pv/ring.h) landed; to be
// replaced by calls into it, keeping this class's interface.
#include "blk_back_ring.hpp"

#include <atomic>
#include <cstring>

namespace pvisor::backend {

namespace {

constexpr std::size_t kReqProd = 0, kReqEvent = 4, kRspProd = 8, kRspEvent = 12;

std::atomic_ref<std::uint32_t> index_at(std::byte* shared, std::size_t off) {
    // SAFETY: the ring header's indices are aligned u32s in the pinned shared page.
    return std::atomic_ref<std::uint32_t>(*reinterpret_cast<std::uint32_t*>(shared + off));
}

} // namespace

Result<BlkBackRing> BlkBackRing::attach(std::byte* shared, std::size_t bytes) {
    if (shared == nullptr || bytes < 4096 || bytes % 4096 != 0)
        return Errc::invalid_argument;
    std::size_t n = (bytes - PV_BLKIF_RING_HEADER_SIZE) / PV_BLKIF_RING_ENTRY_SIZE;
    std::uint32_t size = 1;
    while (size * 2U <= n)
        size *= 2;
    BlkBackRing r(shared, size);
    // The frontend initialised the shared indices; start where its producers stand.
    r.m_req_cons = index_at(shared, kRspProd).load(std::memory_order_acquire);
    r.m_rsp_prod_pvt = r.m_req_cons;
    return r;
}

Result<std::uint32_t> BlkBackRing::unconsumed() const {
    // acquire: the slots up to req_prod are read only after req_prod (rmb).
    const std::uint32_t prod = index_at(m_shared, kReqProd).load(std::memory_order_acquire);
    if (prod - m_rsp_prod_pvt > m_size)
        return Errc::protocol_error;
    return prod - m_req_cons;
}

void BlkBackRing::copy_request(blkif_request_any& out) {
    const std::size_t slot = m_req_cons & (m_size - 1);
    std::memcpy(&out, m_shared + PV_BLKIF_RING_HEADER_SIZE + slot * PV_BLKIF_RING_ENTRY_SIZE,
                sizeof out);
    ++m_req_cons;
}

void BlkBackRing::put_response(const blkif_response& rsp) {
    const std::size_t slot = m_rsp_prod_pvt & (m_size - 1);
    std::memcpy(m_shared + PV_BLKIF_RING_HEADER_SIZE + slot * PV_BLKIF_RING_ENTRY_SIZE, &rsp,
                sizeof rsp);
    ++m_rsp_prod_pvt;
}

bool BlkBackRing::push_responses() {
    auto prod = index_at(m_shared, kRspProd);
    const std::uint32_t old = prod.load(std::memory_order_relaxed);
    const std::uint32_t now = m_rsp_prod_pvt;
    if (old == now)
        return false;
    prod.store(now, std::memory_order_release);          // wmb: responses visible before rsp_prod
    std::atomic_thread_fence(std::memory_order_seq_cst); // mb: rsp_prod before reading rsp_event
    const std::uint32_t event = index_at(m_shared, kRspEvent).load(std::memory_order_relaxed);
    return static_cast<std::uint32_t>(now - event) < static_cast<std::uint32_t>(now - old);
}

bool BlkBackRing::final_check_for_requests() {
    auto prod = index_at(m_shared, kReqProd);
    if (prod.load(std::memory_order_acquire) != m_req_cons)
        return true;
    index_at(m_shared, kReqEvent).store(m_req_cons + 1, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_seq_cst); // mb: req_event before re-reading req_prod
    return prod.load(std::memory_order_acquire) != m_req_cons;
}

} // namespace pvisor::backend
