// grant_table_view.hpp: a backend's only way into guest memory: by grant reference (v1 table).
#pragma once

#include "guest_memory.hpp"
#include "pin_journal.hpp"
#include "result.hpp"

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <pv/grant_table.h>
#include <pv/xen.h>
#include <span>
#include <unordered_map>
#include <utility>
#include <vector>

namespace pvisor::backend {

// What the backend does with the granted page.
enum class GrantUse : std::uint8_t {
    read,  // backend reads the page (guest -> disk): needs GTF_permit_access
    write, // backend writes the page (disk -> guest): also needs GTF_readonly clear
};

// Why a grant was refused; each reason has its own counter.
enum class GrantRefusal : std::uint8_t {
    out_of_range,  // ref >= entries in the table (or a reserved ref)
    not_permitted, // type is not GTF_permit_access (revoked or never granted)
    foreign_domid, // granted to another domain than this backend's
    read_only,     // GTF_readonly set and the backend would write the page
    bad_frame,     // the granted frame is not guest RAM
    contended,     // the entry kept changing under the cmpxchg (bounded retries)
    bad_length,    // offset + length leaves the 4 KiB page
    count_,
};
inline constexpr std::size_t kGrantRefusalCount = static_cast<std::size_t>(GrantRefusal::count_);
[[nodiscard]] const char* grant_refusal_name(GrantRefusal r) noexcept;

class GrantTableView;

// A pinned grant: while it lives, GTF_reading or GTF_writing stays set in the guest's entry,
// so the guest's end-of-access protocol defers freeing the page. Move-only.
class GrantPin {
  public:
    GrantPin() noexcept = default;
    GrantPin(GrantPin&& o) noexcept
        : m_table(std::exchange(o.m_table, nullptr)), m_ref(o.m_ref), m_use(o.m_use),
          m_page(std::exchange(o.m_page, {})) {}
    GrantPin& operator=(GrantPin&& o) noexcept;
    GrantPin(const GrantPin&) = delete;
    GrantPin& operator=(const GrantPin&) = delete;
    ~GrantPin() { reset(); }

    // The whole granted 4 KiB page, inside the guest-memory mapping.
    [[nodiscard]] std::span<std::byte> page() const noexcept { return m_page; }
    [[nodiscard]] GrantUse use() const noexcept { return m_use; }
    [[nodiscard]] pv_grant_ref ref() const noexcept { return m_ref; }
    [[nodiscard]] bool valid() const noexcept { return m_table != nullptr; }
    void reset() noexcept;

  private:
    friend class GrantTableView;
    GrantPin(GrantTableView* t, pv_grant_ref ref, GrantUse use, std::span<std::byte> page)
        : m_table(t), m_ref(ref), m_use(use), m_page(page) {}

    GrantTableView* m_table = nullptr; // not owned; outlives every pin
    pv_grant_ref m_ref = 0;
    GrantUse m_use = GrantUse::read;
    std::span<std::byte> m_page;
};

// The guest's grant table as the backend sees it: the table frames (GPAs pvisor learned from
// add_to_physmap) inside the guest-memory mapping. Thread-safe: queues on several threads
// may pin grants at once. Trust: every entry field is guest-controlled; each pin copies the
// entry once and validates that copy in the same cmpxchg that sets the in-use flag.
class GrantTableView {
  public:
    // frame_gpas: the table frames in order (ref r lives in frame r / 512). `self` is the
    // domid grants must name (the backend acts as the control domain).
    static Result<GrantTableView> create(const GuestMemory& mem,
                                         std::vector<std::uint64_t> frame_gpas,
                                         pv_domid self = PV_DOMID_HOST);

    GrantTableView(GrantTableView&& o) noexcept;
    GrantTableView& operator=(GrantTableView&&) = delete;
    GrantTableView(const GrantTableView&) = delete;
    GrantTableView& operator=(const GrantTableView&) = delete;
    ~GrantTableView() = default;

    // Records every in-use flag this view sets in `journal` from now on (pvisor clears the
    // recorded flags if this process dies). Call before the first pin; the journal outlives
    // the view. Errc::invalid_argument: the journal covers fewer refs than the table;
    // Errc::busy: pins are held. Without a journal the view works as before.
    [[nodiscard]] Status use_journal(PinJournal& journal);

    // Pins ref for `use`; refused grants return Errc::permission_denied (or bad_address for a
    // frame outside RAM) and count under their reason.
    [[nodiscard]] Result<GrantPin> pin(pv_grant_ref ref, GrantUse use);
    // Grant copy: guest page [offset, offset + len) to/from host memory, pinned only for the copy.
    [[nodiscard]] Status copy_from_guest(pv_grant_ref ref, std::uint32_t offset,
                                         std::span<std::byte> dst);
    [[nodiscard]] Status copy_to_guest(pv_grant_ref ref, std::uint32_t offset,
                                       std::span<const std::byte> src);

    [[nodiscard]] std::uint64_t refused(GrantRefusal r) const noexcept {
        return m_refused[static_cast<std::size_t>(r)].load(std::memory_order_relaxed);
    }
    [[nodiscard]] std::uint64_t refused_total() const noexcept;
    [[nodiscard]] std::uint64_t pins() const noexcept {
        return m_pins.load(std::memory_order_relaxed);
    }
    [[nodiscard]] std::uint32_t nr_entries() const noexcept {
        return static_cast<std::uint32_t>(m_frames.size()) * PV_GNTTAB_ENTRIES_PER_FRAME;
    }
    // Refs currently pinned (for tests and teardown checks).
    [[nodiscard]] std::size_t pinned_refs() const;
    // Counts a refusal the caller detected (e.g. a bad length) under the same counters.
    void count(GrantRefusal r) noexcept {
        m_refused[static_cast<std::size_t>(r)].fetch_add(1, std::memory_order_relaxed);
    }

  private:
    struct PinState {
        std::uint32_t readers = 0;
        std::uint32_t writers = 0;
        std::uint64_t frame_gpa = 0; // validated when the first pin was taken
    };

    GrantTableView(const GuestMemory& mem, std::vector<std::byte*> frames, pv_domid self)
        : m_mem(&mem), m_frames(std::move(frames)), m_self(self) {}
    friend class GrantPin;
    void unpin(pv_grant_ref ref, GrantUse use) noexcept;
    [[nodiscard]] Result<std::uint64_t> claim_entry(pv_grant_ref ref, std::uint16_t flag,
                                                    GrantUse use);
    void release_flag(pv_grant_ref ref, std::uint16_t flag) noexcept;
    [[nodiscard]] std::byte* entry(pv_grant_ref ref) const noexcept;
    Errc refuse(GrantRefusal r) noexcept;

    const GuestMemory* m_mem;         // not owned: the guest memory outlives the table view
    std::vector<std::byte*> m_frames; // SAFETY: each a 4 KiB page inside m_mem's mapping
    pv_domid m_self;
    PinJournal* m_journal = nullptr; // not owned; outlives the view; updated under m_lock
    mutable std::mutex m_lock;       // guards m_pins_by_ref (pin counts and the cached frames)
    std::unordered_map<pv_grant_ref, PinState> m_pins_by_ref;
    std::array<std::atomic<std::uint64_t>, kGrantRefusalCount> m_refused{};
    std::atomic<std::uint64_t> m_pins{0};
};

} // namespace pvisor::backend
