// grant_table_view.cpp: pin/unpin grants with the in-use flag protocol, and grant copies.
#include "grant_table_view.hpp"

#include <cstring>

namespace pvisor::backend {

namespace {

// flags (u16) and domid (u16) are one aligned 32-bit word at the start of an entry: a single
// cmpxchg on it both re-checks the type/domid/readonly copy and sets the in-use flag.
constexpr int kMaxCmpxchgTries = 16;

std::uint16_t flags_of(std::uint32_t combo) {
    return static_cast<std::uint16_t>(combo & 0xFFFFU);
}
std::uint16_t domid_of(std::uint32_t combo) {
    return static_cast<std::uint16_t>(combo >> 16);
}
std::uint16_t flag_for(GrantUse use) {
    return static_cast<std::uint16_t>(use == GrantUse::write ? GTF_writing : GTF_reading);
}

std::atomic_ref<std::uint32_t> combo_ref(std::byte* e) {
    // SAFETY: e is an 8-byte aligned grant entry inside the shared mapping; the guest
    // accesses the same word with locked instructions (its end-of-access cmpxchg).
    return std::atomic_ref<std::uint32_t>(*reinterpret_cast<std::uint32_t*>(e));
}

} // namespace

const char* grant_refusal_name(GrantRefusal r) noexcept {
    switch (r) {
    case GrantRefusal::out_of_range:
        return "out_of_range";
    case GrantRefusal::not_permitted:
        return "not_permitted";
    case GrantRefusal::foreign_domid:
        return "foreign_domid";
    case GrantRefusal::read_only:
        return "read_only";
    case GrantRefusal::bad_frame:
        return "bad_frame";
    case GrantRefusal::contended:
        return "contended";
    case GrantRefusal::bad_length:
        return "bad_length";
    case GrantRefusal::count_:
        break;
    }
    return "unknown";
}

GrantPin& GrantPin::operator=(GrantPin&& o) noexcept {
    if (this != &o) {
        reset();
        m_table = std::exchange(o.m_table, nullptr);
        m_ref = o.m_ref;
        m_use = o.m_use;
        m_page = std::exchange(o.m_page, {});
    }
    return *this;
}

void GrantPin::reset() noexcept {
    if (m_table != nullptr)
        m_table->unpin(m_ref, m_use);
    m_table = nullptr;
    m_page = {};
}

Result<GrantTableView> GrantTableView::create(const GuestMemory& mem,
                                              std::vector<std::uint64_t> frame_gpas,
                                              pv_domid self) {
    if (frame_gpas.empty() || frame_gpas.size() > PV_GNTTAB_MAX_FRAMES)
        return Errc::invalid_argument;
    std::vector<std::byte*> frames;
    frames.reserve(frame_gpas.size());
    for (std::uint64_t gpa : frame_gpas) {
        if (gpa % kPageSize != 0)
            return Errc::invalid_argument;
        PV_TRY_ASSIGN(page, mem.translate(gpa, kPageSize));
        frames.push_back(page.data());
    }
    return GrantTableView(mem, std::move(frames), self);
}

GrantTableView::GrantTableView(GrantTableView&& o) noexcept
    : m_mem(o.m_mem), m_frames(std::move(o.m_frames)), m_self(o.m_self),
      m_journal(std::exchange(o.m_journal, nullptr)), m_pins_by_ref(std::move(o.m_pins_by_ref)) {
    for (std::size_t i = 0; i < kGrantRefusalCount; ++i)
        m_refused[i].store(o.m_refused[i].load());
    m_pins.store(o.m_pins.load());
}

std::uint64_t GrantTableView::refused_total() const noexcept {
    std::uint64_t n = 0;
    for (const auto& c : m_refused)
        n += c.load(std::memory_order_relaxed);
    return n;
}

Status GrantTableView::use_journal(PinJournal& journal) {
    if (journal.nr_entries() < nr_entries())
        return Errc::invalid_argument;
    std::lock_guard lock(m_lock);
    if (!m_pins_by_ref.empty())
        return Errc::busy;
    m_journal = &journal;
    return {};
}

std::size_t GrantTableView::pinned_refs() const {
    std::lock_guard lock(m_lock);
    return m_pins_by_ref.size();
}

std::byte* GrantTableView::entry(pv_grant_ref ref) const noexcept {
    return m_frames[ref / PV_GNTTAB_ENTRIES_PER_FRAME] +
           (ref % PV_GNTTAB_ENTRIES_PER_FRAME) * sizeof(grant_entry_v1);
}

Errc GrantTableView::refuse(GrantRefusal r) noexcept {
    count(r);
    return r == GrantRefusal::bad_frame ? Errc::bad_address : Errc::permission_denied;
}

// Sets `flag` on the entry if it grants this backend `use`; returns the frame's GPA. The frame
// is read once, after the flag is set (the guest may not change a granted entry in use).
Result<std::uint64_t> GrantTableView::claim_entry(pv_grant_ref ref, std::uint16_t flag,
                                                  GrantUse use) {
    std::byte* e = entry(ref);
    auto combo = combo_ref(e);
    std::uint32_t old = combo.load(std::memory_order_acquire);
    for (int tries = 0;; ++tries) {
        if (tries == kMaxCmpxchgTries)
            return refuse(GrantRefusal::contended);
        const std::uint16_t f = flags_of(old);
        if ((f & GTF_type_mask) != GTF_permit_access)
            return refuse(GrantRefusal::not_permitted);
        if (domid_of(old) != m_self)
            return refuse(GrantRefusal::foreign_domid);
        if (use == GrantUse::write && (f & GTF_readonly) != 0)
            return refuse(GrantRefusal::read_only);
        if (combo.compare_exchange_weak(old, old | flag, std::memory_order_acq_rel,
                                        std::memory_order_acquire))
            break;
    }
    // SAFETY: frame is the entry's second aligned word; read once, after the claim.
    const std::uint32_t frame =
        std::atomic_ref<std::uint32_t>(*reinterpret_cast<std::uint32_t*>(e + 4))
            .load(std::memory_order_acquire);
    const std::uint64_t gpa = static_cast<std::uint64_t>(frame) << kPageShift;
    if (!m_mem->is_ram_frame(frame) || !m_mem->translate(gpa, kPageSize).ok()) {
        release_flag(ref, flag);
        return refuse(GrantRefusal::bad_frame);
    }
    return gpa;
}

void GrantTableView::release_flag(pv_grant_ref ref, std::uint16_t flag) noexcept {
    combo_ref(entry(ref)).fetch_and(~static_cast<std::uint32_t>(flag), std::memory_order_release);
}

Result<GrantPin> GrantTableView::pin(pv_grant_ref ref, GrantUse use) {
    if (ref >= nr_entries() || ref < PV_GNTTAB_NR_RESERVED)
        return refuse(GrantRefusal::out_of_range);
    const std::uint16_t flag = flag_for(use);
    std::lock_guard lock(m_lock);
    auto it = m_pins_by_ref.find(ref);
    std::uint64_t gpa = 0;
    if (it == m_pins_by_ref.end() ||
        (use == GrantUse::write ? it->second.writers : it->second.readers) == 0) {
        // Journal first: a crash between the two leaves a bit without a flag, never the reverse.
        if (m_journal != nullptr)
            m_journal->mark(ref, use == GrantUse::write);
        auto claimed = claim_entry(ref, flag, use);
        if (!claimed.ok()) {
            if (m_journal != nullptr)
                m_journal->clear(ref, use == GrantUse::write);
            return claimed.error();
        }
        gpa = *claimed;
        if (it == m_pins_by_ref.end())
            it = m_pins_by_ref.emplace(ref, PinState{0, 0, gpa}).first;
    }
    // One frame per pinned ref: the first pin's frame stays in use until all pins drop.
    PinState& st = it->second;
    (use == GrantUse::write ? st.writers : st.readers) += 1;
    m_pins.fetch_add(1, std::memory_order_relaxed);
    auto page = m_mem->translate(st.frame_gpa, kPageSize);
    return GrantPin(this, ref, use, page.value());
}

void GrantTableView::unpin(pv_grant_ref ref, GrantUse use) noexcept {
    std::lock_guard lock(m_lock);
    auto it = m_pins_by_ref.find(ref);
    if (it == m_pins_by_ref.end())
        return;
    std::uint32_t& n = use == GrantUse::write ? it->second.writers : it->second.readers;
    if (--n == 0) {
        release_flag(ref, flag_for(use));
        if (m_journal != nullptr)
            m_journal->clear(ref, use == GrantUse::write);
    }
    if (it->second.readers == 0 && it->second.writers == 0)
        m_pins_by_ref.erase(it);
}

Status GrantTableView::copy_from_guest(pv_grant_ref ref, std::uint32_t offset,
                                       std::span<std::byte> dst) {
    if (offset > kPageSize || dst.size() > kPageSize - offset)
        return refuse(GrantRefusal::bad_length);
    PV_TRY_ASSIGN(p, pin(ref, GrantUse::read));
    std::memcpy(dst.data(), p.page().data() + offset, dst.size());
    return {};
}

Status GrantTableView::copy_to_guest(pv_grant_ref ref, std::uint32_t offset,
                                     std::span<const std::byte> src) {
    if (offset > kPageSize || src.size() > kPageSize - offset)
        return refuse(GrantRefusal::bad_length);
    PV_TRY_ASSIGN(p, pin(ref, GrantUse::write));
    std::memcpy(p.page().data() + offset, src.data(), src.size());
    return {};
}

} // namespace pvisor::backend
