// grant_table.hpp: the guest's v1 grant table as pvisor serves it (frames, grant_table_op).
#pragma once

#include "platform.hpp"

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <pv/grant_table.h>
#include <vector>

namespace pvisor {

// Why one GNTTABOP_copy op (or a table-frame placement) was refused; each has a counter.
enum class GrantFault : std::uint8_t {
    bad_domain,    // a gref side names a domain without a table (GNTST_bad_domain)
    frame_domain,  // a gmfn side names a domain other than DOMID_SELF (permission_denied)
    bad_gntref,    // ref reserved or beyond the placed frames (GNTST_bad_gntref)
    revoked,       // entry type is not permit_access (GNTST_general_error, as Xen)
    foreign,       // entry granted to a domain other than the caller or 0 (general_error)
    read_only,     // GTF_readonly entry used as a copy destination (general_error)
    contended,     // entry kept changing under the cmpxchg (general_error)
    bad_page,      // granted frame / gmfn is not guest RAM (GNTST_bad_page)
    bad_copy_arg,  // offset + len crosses the 4 KiB page end (GNTST_bad_copy_arg)
    bad_placement, // add_to_physmap: idx beyond max or not next, gpfn not RAM or in use
    count_,
};
inline constexpr std::size_t kGrantFaultCount = static_cast<std::size_t>(GrantFault::count_);

// Largest count of one grant_table_op(GNTTABOP_copy/map/unmap) call: pvisor never preempts a
// hypercall, so a batch is bounded instead (-EINVAL beyond).
inline constexpr std::uint64_t kMaxGrantBatch = 1024;

// The domain's grant table. The entries live in guest RAM pages the guest named with
// XENMEM_add_to_physmap(XENMAPSPACE_grant_table, idx, gpfn); pvisor keeps only their GPAs.
// Trust: every entry is guest-controlled and read through GuestMemory::translate; an entry
// is used only after one cmpxchg that re-checks its copy and sets GTF_reading/GTF_writing.
// Thread-safe: vCPU threads call op() concurrently; m_lock guards the frame list only.
class GrantTable {
  public:
    explicit GrantTable(const GuestMemory& mem, std::uint32_t max_frames = PV_GNTTAB_MAX_FRAMES)
        : m_mem(mem), m_max_frames(max_frames) {}

    // add_to_physmap(XENMAPSPACE_grant_table): frame idx at gpfn. idx must be < max and at
    // most the current frame count (frames are placed in order; re-placing idx at the same
    // gpfn is a no-op, at another gpfn moves the contents there). A new frame is zeroed.
    [[nodiscard]] Status place_frame(std::uint64_t idx, std::uint64_t gpfn);
    // True if gpfn currently holds a table frame (other physmap objects must not go there).
    [[nodiscard]] bool is_table_frame(std::uint64_t gpfn) const;
    // The placed frames in order (ref r lives in frame r / 512), for backends.
    [[nodiscard]] std::vector<std::uint64_t> frame_gpas() const;
    [[nodiscard]] std::uint32_t nr_frames() const;
    // Restore: the frames as frame_gpas() listed them, on a table with none placed; their
    // contents came back with guest memory. Errc::invalid_argument for more than max_frames,
    // a GPA that is not a RAM page, or a page listed twice.
    [[nodiscard]] Status restore_frames(const std::vector<std::uint64_t>& gpas);
    [[nodiscard]] std::uint32_t max_frames() const noexcept { return m_max_frames; }

    // grant_table_op(cmd, uop, count) from the guest. Per-op outcomes go to the ops' status
    // fields (GNTST_*); the Status is the hypercall's own result (-EINVAL, -EFAULT, -ENOSYS).
    [[nodiscard]] Status op(VcpuAccess& vcpu, std::uint64_t cmd, std::uint64_t uop,
                            std::uint64_t count);

    // One GNTTABOP_copy op issued by the guest; returns its GNTST_* status.
    [[nodiscard]] std::int16_t copy(const gnttab_copy& c);

    [[nodiscard]] std::uint64_t faults(GrantFault f) const noexcept {
        return m_faults[static_cast<std::size_t>(f)].load(std::memory_order_relaxed);
    }
    [[nodiscard]] std::uint64_t copies_done() const noexcept {
        return m_copies.load(std::memory_order_relaxed);
    }

  private:
    class Claim;
    // One side of a copy, validated: the 4 KiB page, and the entry flag held while copying.
    [[nodiscard]] std::int16_t claim(const gnttab_copy_ptr& p, bool is_gref, bool write,
                                     Claim& out);
    [[nodiscard]] std::int16_t claim_gref(pv_grant_ref ref, bool write, Claim& out);
    [[nodiscard]] std::uint32_t* entry_word(pv_grant_ref ref) const;
    std::int16_t fault(GrantFault f) noexcept;

    [[nodiscard]] Status setup_table(VcpuAccess& vcpu, std::uint64_t uop);
    [[nodiscard]] Status query_size(VcpuAccess& vcpu, std::uint64_t uop);
    [[nodiscard]] Status copy_batch(VcpuAccess& vcpu, std::uint64_t uop, std::uint64_t count);
    [[nodiscard]] Status set_version(VcpuAccess& vcpu, std::uint64_t uop);
    [[nodiscard]] Status get_version(VcpuAccess& vcpu, std::uint64_t uop);

    const GuestMemory& m_mem; // not owned: outlives the services
    const std::uint32_t m_max_frames;
    mutable std::mutex m_lock;           // guards m_frames
    std::vector<std::uint64_t> m_frames; // GPAs of placed frames, validated RAM pages
    std::array<std::atomic<std::uint64_t>, kGrantFaultCount> m_faults{};
    std::atomic<std::uint64_t> m_copies{0};
};

} // namespace pvisor
