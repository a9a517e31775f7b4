// host_pin_journal.hpp: pvisor's side of a backend's pin journal: creates the shared bitmap and,
// once that backend is gone, clears the grant flags it left set in the guest's table.
#pragma once

#include "control_wire.hpp"
#include "guest_memory.hpp"
#include "result.hpp"
#include "unique_fd.hpp"

#include <cstdint>
#include <pv/grant_table.h>
#include <span>

namespace pvisor {

// What one release did; each field has a control.pins_* counter.
struct PinRelease {
    std::uint64_t released = 0; // flags that were set and are now clear in the guest's table
    std::uint64_t stale = 0;    // journal bits whose flag was already clear
    std::uint64_t shared = 0;   // flags left set: a connected backend's journal names them too
    std::uint64_t bad_ref = 0;  // bits for reserved refs or refs beyond the placed frames
};

// One connection's journal (layout in control_wire.hpp). The memfd is sealed against shrink
// and grow, so the backend cannot make pvisor's mapping fault. Every bit is backend-written:
// nothing but the bit positions is used, and every ref is range-checked.
class HostPinJournal {
  public:
    static Result<HostPinJournal> create();

    [[nodiscard]] int fd() const noexcept { return m_fd.get(); }
    // Whether the journal names `flag` (GTF_reading or GTF_writing) for `ref`.
    [[nodiscard]] bool names(pv_grant_ref ref, std::uint16_t flag) const noexcept;
    // Clears, in the guest's entries, every flag this journal names and no journal in `live`
    // names. frame_gpas: the placed table frames (ref r in frame r / 512), validated RAM pages.
    // Bounded: one pass over the fixed-size bitmap, one atomic AND per named flag.
    [[nodiscard]] PinRelease release(std::span<const HostPinJournal* const> live,
                                     std::span<const std::uint64_t> frame_gpas,
                                     const GuestMemory& mem) const;

  private:
    HostPinJournal(UniqueFd fd, Mapping map) : m_fd(std::move(fd)), m_map(std::move(map)) {}
    [[nodiscard]] std::uint64_t word(std::uint32_t i) const noexcept;

    UniqueFd m_fd;
    Mapping m_map; // SAFETY: ctl::kPinJournalBytes of the sealed memfd, MAP_SHARED
};

} // namespace pvisor
