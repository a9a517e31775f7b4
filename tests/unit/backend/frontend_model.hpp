// frontend_model.hpp: a userspace blkif frontend over a fake guest (memfd RAM + grant table).
#pragma once

#include "guest_memory.hpp"

#include <cstdint>
#include <pv/blkif.h>
#include <pv/grant_table.h>
#include <pv/ring_ops.h>
#include <vector>

namespace pvisor::backend::testing {

// Guest RAM plus a v1 grant table in guest pages, as pvisor would hand them to a backend.
// The test plays the guest: it grants, revokes and corrupts entries at will.
class FakeGuest {
  public:
    static constexpr std::uint64_t kRamBytes = 32ULL << 20;
    static constexpr std::uint64_t kGrantTableGpa = 0x10000; // one frame: refs 0..511
    static constexpr std::uint64_t kFirstDataGpa = 0x100000;

    FakeGuest();
    // The backend's view: a second mapping of the guest's memfd, as a backend process gets it.
    [[nodiscard]] const GuestMemory& memory() const { return m_backend_view; }
    [[nodiscard]] std::vector<std::uint64_t> grant_frames() const { return {kGrantTableGpa}; }

    // A fresh zeroed page of guest RAM (GPA).
    std::uint64_t alloc_page();
    // Grants the page at gpa to domain 0 (or `domid`); returns the ref.
    pv_grant_ref grant(std::uint64_t gpa, bool readonly = false, pv_domid domid = 0);
    // Writes an entry raw (hostile tests): domid, frame, then flags.
    void set_entry(pv_grant_ref ref, std::uint16_t flags, pv_domid domid, std::uint32_t frame);
    [[nodiscard]] grant_entry_v1 entry(pv_grant_ref ref) const;
    // The guest's safe end of access: false (deferred) while the backend has the page in use.
    bool end_access(pv_grant_ref ref);
    [[nodiscard]] std::byte* host(std::uint64_t gpa) const;
    // The same guest byte in the backend's mapping.
    [[nodiscard]] std::byte* backend_host(std::uint64_t gpa) const;

  private:
    GuestMemory m_mem;          // the guest's own mapping (what the test writes through)
    GuestMemory m_backend_view; // GuestMemory::from_memfd over a dup of the same memfd
    std::uint64_t m_next_page = kFirstDataGpa;
    pv_grant_ref m_next_ref = PV_GNTTAB_NR_RESERVED;
};

// The frontend's end of one blkif ring (2^order contiguous pages) living in the fake guest.
// A thin wrapper of shared-ring's pv_front_* ring logic, plus hostile index writes.
class FrontRing {
  public:
    // Initialises the shared page (producers 0, events 1), as only the frontend does.
    explicit FrontRing(std::byte* page, std::uint32_t order = 0);
    [[nodiscard]] std::uint32_t size() const { return m_ring.size; }
    [[nodiscard]] std::uint32_t free_slots() const;
    // Copies a request into the next private slot.
    void put(const blkif_request_any& req);
    // Publishes private requests; true if the backend asked for a notification.
    bool push();
    // Takes every published response; re-arms rsp_event (final check) when none is left.
    std::vector<blkif_response> take_responses();
    // Hostile: publishes an arbitrary req_prod.
    void set_req_prod(std::uint32_t v);
    [[nodiscard]] std::uint32_t rsp_cons() const { return m_ring.rsp_cons; }

  private:
    pv_front_ring m_ring{};
};

} // namespace pvisor::backend::testing
