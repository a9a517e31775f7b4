// frontend_model.cpp: fake guest grant table and a minimal blkif front ring for tests/benches.
#include "frontend_model.hpp"

#include <atomic>
#include <cassert>
#include <cstring>
#include <fcntl.h>

namespace pvisor::backend::testing {

namespace {

std::atomic_ref<std::uint32_t> u32_at(std::byte* p) {
    // SAFETY: aligned u32 inside the fake guest's shared mapping.
    return std::atomic_ref<std::uint32_t>(*reinterpret_cast<std::uint32_t*>(p));
}
std::atomic_ref<std::uint16_t> u16_at(std::byte* p) {
    // SAFETY: aligned u16 inside the fake guest's shared mapping.
    return std::atomic_ref<std::uint16_t>(*reinterpret_cast<std::uint16_t*>(p));
}

constexpr std::size_t kReqProd = 0, kReqEvent = 4, kRspProd = 8, kRspEvent = 12;

} // namespace

FakeGuest::FakeGuest()
    : m_mem(GuestMemory::create(kRamBytes).value()),
      m_backend_view(
          GuestMemory::from_memfd(UniqueFd(::fcntl(m_mem.memfd(), F_DUPFD_CLOEXEC, 0)), kRamBytes)
              .value()) {}

std::byte* FakeGuest::host(std::uint64_t gpa) const {
    return m_mem.translate(gpa, 1).value().data();
}

std::byte* FakeGuest::backend_host(std::uint64_t gpa) const {
    return m_backend_view.translate(gpa, 1).value().data();
}

std::uint64_t FakeGuest::alloc_page() {
    const std::uint64_t gpa = m_next_page;
    m_next_page += kPageSize;
    assert(m_next_page <= kRamBytes);
    std::memset(host(gpa), 0, kPageSize);
    return gpa;
}

static std::byte* entry_ptr(const FakeGuest& g, pv_grant_ref ref) {
    return g.host(FakeGuest::kGrantTableGpa + ref * sizeof(grant_entry_v1));
}

void FakeGuest::set_entry(pv_grant_ref ref, std::uint16_t flags, pv_domid domid,
                          std::uint32_t frame) {
    std::byte* e = entry_ptr(*this, ref);
    u16_at(e + 2).store(domid, std::memory_order_relaxed);
    u32_at(e + 4).store(frame, std::memory_order_relaxed);
    u16_at(e).store(flags, std::memory_order_release); // wmb, then flags
}

pv_grant_ref FakeGuest::grant(std::uint64_t gpa, bool readonly, pv_domid domid) {
    const pv_grant_ref ref = m_next_ref++;
    set_entry(ref, static_cast<std::uint16_t>(GTF_permit_access | (readonly ? GTF_readonly : 0)),
              domid, static_cast<std::uint32_t>(gpa >> kPageShift));
    return ref;
}

grant_entry_v1 FakeGuest::entry(pv_grant_ref ref) const {
    grant_entry_v1 e;
    std::memcpy(&e, entry_ptr(*this, ref), sizeof e);
    return e;
}

bool FakeGuest::end_access(pv_grant_ref ref) {
    auto flags = u16_at(entry_ptr(*this, ref));
    std::uint16_t f = flags.load();
    do {
        if ((f & (GTF_reading | GTF_writing)) != 0)
            return false;
    } while (!flags.compare_exchange_weak(f, 0));
    return true;
}

FrontRing::FrontRing(std::byte* page, std::uint32_t order)
    : m_page(page), m_size(PV_BLKIF_RING_SIZE_ORDER(order)) {
    std::memset(page, 0, kPageSize << order);
    u32_at(page + kReqEvent).store(1);
    u32_at(page + kRspEvent).store(1);
}

std::uint32_t FrontRing::free_slots() const {
    return size() - (m_req_prod_pvt - m_rsp_cons);
}

void FrontRing::put(const blkif_request_any& req) {
    const std::size_t slot = m_req_prod_pvt++ & (size() - 1);
    std::memcpy(m_page + PV_BLKIF_RING_HEADER_SIZE + slot * PV_BLKIF_RING_ENTRY_SIZE, &req,
                sizeof req);
}

bool FrontRing::push() {
    auto prod = u32_at(m_page + kReqProd);
    const std::uint32_t old = prod.load(std::memory_order_relaxed);
    const std::uint32_t now = m_req_prod_pvt;
    prod.store(now, std::memory_order_release);
    std::atomic_thread_fence(std::memory_order_seq_cst);
    const std::uint32_t event = u32_at(m_page + kReqEvent).load(std::memory_order_relaxed);
    return static_cast<std::uint32_t>(now - event) < static_cast<std::uint32_t>(now - old);
}

std::vector<blkif_response> FrontRing::take_responses() {
    std::vector<blkif_response> out;
    for (;;) {
        const std::uint32_t prod = u32_at(m_page + kRspProd).load(std::memory_order_acquire);
        while (m_rsp_cons != prod) {
            blkif_response r;
            const std::size_t slot = m_rsp_cons++ & (size() - 1);
            std::memcpy(&r, m_page + PV_BLKIF_RING_HEADER_SIZE + slot * PV_BLKIF_RING_ENTRY_SIZE,
                        sizeof r);
            out.push_back(r);
        }
        u32_at(m_page + kRspEvent).store(m_rsp_cons + 1, std::memory_order_relaxed);
        std::atomic_thread_fence(std::memory_order_seq_cst);
        if (u32_at(m_page + kRspProd).load(std::memory_order_acquire) == m_rsp_cons)
            return out;
    }
}

void FrontRing::set_req_prod(std::uint32_t v) {
    m_req_prod_pvt = v;
    u32_at(m_page + kReqProd).store(v, std::memory_order_release);
}

} // namespace pvisor::backend::testing
