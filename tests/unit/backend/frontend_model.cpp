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

FrontRing::FrontRing(std::byte* page, std::uint32_t order) {
    const auto bytes = static_cast<pv_u32>(PV_RING_BYTES(1U << order));
    pv_sring_init(page, bytes);
    [[maybe_unused]] const int rc =
        pv_front_ring_attach(&m_ring, page, bytes, sizeof(union blkif_sring_entry));
    assert(rc == 0);
}

std::uint32_t FrontRing::free_slots() const {
    return pv_front_free_slots(&m_ring);
}

void FrontRing::put(const blkif_request_any& req) {
    [[maybe_unused]] const int rc = pv_front_produce(&m_ring, &req, sizeof req);
    assert(rc == 0);
}

bool FrontRing::push() {
    return pv_front_push_requests(&m_ring) != 0;
}

std::vector<blkif_response> FrontRing::take_responses() {
    std::vector<blkif_response> out;
    for (;;) {
        blkif_response r;
        int n = 0;
        while ((n = pv_front_consume_response(&m_ring, &r, sizeof r)) == 1)
            out.push_back(r);
        if (n < 0 || pv_front_final_check_for_responses(&m_ring) <= 0)
            return out;
    }
}

void FrontRing::set_req_prod(std::uint32_t v) {
    // Hostile: publishes an index the ring logic would never produce.
    m_ring.req_prod_pvt = v;
    u32_at(reinterpret_cast<std::byte*>(m_ring.sring)).store(v, std::memory_order_release);
}

} // namespace pvisor::backend::testing
