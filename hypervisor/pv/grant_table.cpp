// grant_table.cpp: table frame placement and grant_table_op (setup_table, query_size, copy).
#include "grant_table.hpp"

#include "guest_access.hpp"

#include <algorithm>
#include <cstring>
#include <pv/xen.h>
#include <span>

namespace pvisor {

namespace {

// Entry word 0 holds flags (low 16 bits) and domid (high 16 bits), as in Xen's grant_combo:
// one cmpxchg re-checks both and sets the in-use flag.
constexpr int kMaxCmpxchgTries = 16;
constexpr std::uint64_t kInvalidGfn = ~0ULL; // setup_table's answer for an unplaced frame

std::atomic_ref<std::uint32_t> atomic_word(std::uint32_t* w) {
    return std::atomic_ref<std::uint32_t>(*w);
}

// The domains a guest-issued copy may name for a gref side: the guest's own table only.
bool is_self(pv_domid d) {
    return d == DOMID_SELF || d == PV_DOMID_GUEST;
}

// A grant entry the guest itself uses in a copy may name the guest or the host side: the
// page is the guest's own either way (the self-test copies through grants made for dom0).
bool grantee_ok(pv_domid d) {
    return is_self(d) || d == PV_DOMID_HOST;
}

// Xen's domain check for setup_table / query_size: self is fine, dom0 exists but the guest
// may not look at it, anything else does not exist.
std::int16_t domain_status(pv_domid d) {
    if (is_self(d))
        return GNTST_okay;
    return d == PV_DOMID_HOST ? GNTST_permission_denied : GNTST_bad_domain;
}

} // namespace

// A validated side of a copy. Holds the in-use flag it set (if it set one) until released,
// so the guest's end-of-access protocol defers while pvisor copies.
class GrantTable::Claim {
  public:
    Claim() = default;
    Claim(const Claim&) = delete;
    Claim& operator=(const Claim&) = delete;
    ~Claim() { release(); }

    void hold(std::uint32_t* word, std::uint32_t flag) noexcept {
        m_word = word;
        m_flag = flag;
    }
    void release() noexcept {
        if (m_word != nullptr && m_flag != 0)
            atomic_word(m_word).fetch_and(~m_flag, std::memory_order_release);
        m_word = nullptr;
    }
    std::span<std::byte> page;

  private:
    std::uint32_t* m_word = nullptr; // SAFETY: an entry inside a placed table frame
    std::uint32_t m_flag = 0;        // 0: another party had the flag set already
};

std::int16_t GrantTable::fault(GrantFault f) noexcept {
    m_faults[static_cast<std::size_t>(f)].fetch_add(1, std::memory_order_relaxed);
    switch (f) {
    case GrantFault::bad_domain:
        return GNTST_bad_domain;
    case GrantFault::frame_domain:
        return GNTST_permission_denied;
    case GrantFault::bad_gntref:
        return GNTST_bad_gntref;
    case GrantFault::bad_page:
        return GNTST_bad_page;
    case GrantFault::bad_copy_arg:
        return GNTST_bad_copy_arg;
    default:
        return GNTST_general_error;
    }
}

Status GrantTable::place_frame(std::uint64_t idx, std::uint64_t gpfn) {
    if (idx >= m_max_frames || !m_mem.is_ram_frame(gpfn)) {
        (void)fault(GrantFault::bad_placement);
        return Errc::invalid_argument;
    }
    const std::uint64_t gpa = gpfn << kPageShift;
    PV_TRY_ASSIGN(page, m_mem.translate(gpa, kPageSize));
    std::lock_guard lock(m_lock);
    if (idx < m_frames.size() && m_frames[idx] == gpa)
        return {}; // the same placement again (Linux repeats it on resume)
    if (idx < m_frames.size()) {
        (void)fault(GrantFault::bad_placement);
        return Errc::busy; // backends hold the frame GPAs: a placed frame does not move
    }
    if (idx > m_frames.size() || std::ranges::find(m_frames, gpa) != m_frames.end()) {
        (void)fault(GrantFault::bad_placement);
        return Errc::invalid_argument;
    }
    std::memset(page.data(), 0, page.size());
    m_frames.push_back(gpa);
    return {};
}

bool GrantTable::is_table_frame(std::uint64_t gpfn) const {
    std::lock_guard lock(m_lock);
    return gpfn <= (UINT64_MAX >> kPageShift) &&
           std::ranges::find(m_frames, gpfn << kPageShift) != m_frames.end();
}

std::vector<std::uint64_t> GrantTable::frame_gpas() const {
    std::lock_guard lock(m_lock);
    return m_frames;
}

std::uint32_t GrantTable::nr_frames() const {
    std::lock_guard lock(m_lock);
    return static_cast<std::uint32_t>(m_frames.size());
}

std::uint32_t* GrantTable::entry_word(pv_grant_ref ref) const {
    std::uint64_t frame_gpa = 0;
    {
        std::lock_guard lock(m_lock);
        const std::uint64_t frame = ref / PV_GNTTAB_ENTRIES_PER_FRAME;
        if (ref < PV_GNTTAB_NR_RESERVED || frame >= m_frames.size())
            return nullptr;
        frame_gpa = m_frames[frame];
    }
    const std::uint64_t off = (ref % PV_GNTTAB_ENTRIES_PER_FRAME) * sizeof(grant_entry_v1);
    auto span = m_mem.translate(frame_gpa + off, sizeof(grant_entry_v1));
    if (!span.ok())
        return nullptr;
    // SAFETY: an 8-byte aligned entry inside a RAM page of the guest-memory mapping; the
    // guest updates the same word with locked instructions.
    return reinterpret_cast<std::uint32_t*>(span->data());
}

std::int16_t GrantTable::claim_gref(pv_grant_ref ref, bool write, Claim& out) {
    std::uint32_t* word = entry_word(ref);
    if (word == nullptr)
        return fault(GrantFault::bad_gntref);
    const std::uint32_t flag = write ? GTF_writing : GTF_reading;
    auto combo = atomic_word(word);
    std::uint32_t cur = combo.load(std::memory_order_acquire);
    for (int tries = 0;; ++tries) {
        const std::uint32_t flags = cur & 0xFFFFU;
        if ((flags & GTF_type_mask) != GTF_permit_access)
            return fault(GrantFault::revoked);
        if (!grantee_ok(static_cast<pv_domid>(cur >> 16)))
            return fault(GrantFault::foreign);
        if (write && (flags & GTF_readonly) != 0)
            return fault(GrantFault::read_only);
        if ((flags & flag) != 0) {
            out.hold(word, 0); // another party holds the flag; it clears it, not pvisor
            break;
        }
        if (tries == kMaxCmpxchgTries)
            return fault(GrantFault::contended);
        if (combo.compare_exchange_weak(cur, cur | flag, std::memory_order_acq_rel)) {
            out.hold(word, flag);
            break;
        }
    }
    // The frame is read after the claim; a guest changing it now only redirects its own copy.
    const std::uint32_t frame = atomic_word(word + 1).load(std::memory_order_relaxed);
    auto page = m_mem.is_ram_frame(frame)
                    ? m_mem.translate(std::uint64_t{frame} << kPageShift, kPageSize)
                    : Result<std::span<std::byte>>(Errc::bad_address);
    if (!page.ok()) {
        out.release();
        return fault(GrantFault::bad_page);
    }
    out.page = *page;
    return GNTST_okay;
}

std::int16_t GrantTable::claim(const gnttab_copy_ptr& p, bool is_gref, bool write, Claim& out) {
    if (is_gref)
        return is_self(p.domid) ? claim_gref(p.u.ref, write, out) : fault(GrantFault::bad_domain);
    if (p.domid != DOMID_SELF)
        return fault(GrantFault::frame_domain); // Xen: only DOMID_SELF may name a frame
    auto page = m_mem.is_ram_frame(p.u.gmfn) ? m_mem.translate(p.u.gmfn << kPageShift, kPageSize)
                                             : Result<std::span<std::byte>>(Errc::bad_address);
    if (!page.ok())
        return fault(GrantFault::bad_page);
    out.page = *page;
    return GNTST_okay;
}

std::int16_t GrantTable::copy(const gnttab_copy& c) {
    // Xen's order: both sides' domains, then each side's claim, then the bounds.
    const bool src_gref = (c.flags & GNTCOPY_source_gref) != 0;
    const bool dst_gref = (c.flags & GNTCOPY_dest_gref) != 0;
    if (src_gref ? !is_self(c.source.domid) : c.source.domid != DOMID_SELF)
        return fault(src_gref ? GrantFault::bad_domain : GrantFault::frame_domain);
    if (dst_gref ? !is_self(c.dest.domid) : c.dest.domid != DOMID_SELF)
        return fault(dst_gref ? GrantFault::bad_domain : GrantFault::frame_domain);
    Claim src;
    Claim dst;
    std::int16_t st = claim(c.source, src_gref, false, src);
    if (st == GNTST_okay)
        st = claim(c.dest, dst_gref, true, dst);
    if (st != GNTST_okay)
        return st;
    if (std::uint32_t{c.source.offset} + c.len > kPageSize ||
        std::uint32_t{c.dest.offset} + c.len > kPageSize)
        return fault(GrantFault::bad_copy_arg);
    // memmove: both sides may be the same page.
    std::memmove(dst.page.data() + c.dest.offset, src.page.data() + c.source.offset, c.len);
    m_copies.fetch_add(1, std::memory_order_relaxed);
    return GNTST_okay;
}

Status GrantTable::copy_batch(VcpuAccess& vcpu, std::uint64_t uop, std::uint64_t count) {
    if (uop + count * sizeof(gnttab_copy) < uop)
        return Errc::bad_address; // the array would wrap around the address space
    for (std::uint64_t i = 0; i < count; ++i) {
        const std::uint64_t at = uop + i * sizeof(gnttab_copy);
        PV_TRY_ASSIGN(c, read_guest<gnttab_copy>(vcpu, m_mem, at));
        const std::int16_t st = copy(c);
        PV_TRY(write_guest(vcpu, m_mem, at + offsetof(gnttab_copy, status), st));
    }
    return {};
}

Status GrantTable::setup_table(VcpuAccess& vcpu, std::uint64_t uop) {
    PV_TRY_ASSIGN(s, read_guest<gnttab_setup_table>(vcpu, m_mem, uop));
    s.status = domain_status(s.dom);
    if (s.status == GNTST_okay && s.nr_frames > m_max_frames)
        s.status = GNTST_general_error;
    if (s.status == GNTST_okay && s.frame_list + s.nr_frames * 8ULL < s.frame_list)
        s.status = GNTST_bad_virt_addr; // the list would wrap around the address space
    if (s.status == GNTST_okay) {
        // Frames exist only once placed: the others read as an invalid gfn, as Xen answers
        // for an HVM guest's frames not yet in its physmap.
        const std::vector<std::uint64_t> frames = frame_gpas();
        for (std::uint32_t i = 0; i < s.nr_frames; ++i) {
            const std::uint64_t gfn = i < frames.size() ? frames[i] >> kPageShift : kInvalidGfn;
            if (!write_guest(vcpu, m_mem, s.frame_list + i * 8ULL, gfn).ok())
                s.status = GNTST_bad_virt_addr;
        }
    }
    return write_guest(vcpu, m_mem, uop + offsetof(gnttab_setup_table, status), s.status);
}

Status GrantTable::query_size(VcpuAccess& vcpu, std::uint64_t uop) {
    PV_TRY_ASSIGN(q, read_guest<gnttab_query_size>(vcpu, m_mem, uop));
    q.status = domain_status(q.dom);
    if (q.status == GNTST_okay) {
        q.nr_frames = nr_frames();
        q.max_nr_frames = m_max_frames;
    }
    return write_guest(vcpu, m_mem, uop, q);
}

Status GrantTable::set_version(VcpuAccess& vcpu, std::uint64_t uop) {
    PV_TRY_ASSIGN(v, read_guest<gnttab_set_version>(vcpu, m_mem, uop));
    const bool ok = v.version == 1;
    v.version = 1; // Xen writes the version in force back either way
    PV_TRY(write_guest(vcpu, m_mem, uop, v));
    return ok ? Status{} : Status{Errc::invalid_argument};
}

Status GrantTable::get_version(VcpuAccess& vcpu, std::uint64_t uop) {
    PV_TRY_ASSIGN(v, read_guest<gnttab_get_version>(vcpu, m_mem, uop));
    if (!is_self(v.dom))
        return v.dom == PV_DOMID_HOST ? Errc::permission_denied : Errc::not_found;
    v.version = 1;
    return write_guest(vcpu, m_mem, uop, v);
}

Status GrantTable::op(VcpuAccess& vcpu, std::uint64_t cmd, std::uint64_t uop, std::uint64_t count) {
    switch (cmd) {
    case GNTTABOP_setup_table:
        return count == 1 ? setup_table(vcpu, uop) : Status{Errc::invalid_argument};
    case GNTTABOP_query_size:
        return count == 1 ? query_size(vcpu, uop) : Status{Errc::invalid_argument};
    case GNTTABOP_copy:
        return count <= kMaxGrantBatch ? copy_batch(vcpu, uop, count)
                                       : Status{Errc::invalid_argument};
    case GNTTABOP_set_version:
        return set_version(vcpu, uop);
    case GNTTABOP_get_version:
        return get_version(vcpu, uop);
    // No party but the guest has a grant table, and the guest's own grants name its own
    // pages, which it maps already: there is nothing a guest could map (see docs/abi.md).
    case GNTTABOP_map_grant_ref:
    case GNTTABOP_unmap_grant_ref:
        return count <= kMaxGrantBatch ? Status{Errc::not_supported}
                                       : Status{Errc::invalid_argument};
    default:
        return Errc::not_supported;
    }
}

Status GrantTable::restore_frames(const std::vector<std::uint64_t>& gpas) {
    std::lock_guard lock(m_lock);
    if (!m_frames.empty() || gpas.size() > m_max_frames)
        return Errc::invalid_argument;
    for (std::size_t i = 0; i < gpas.size(); ++i) {
        const std::uint64_t gpa = gpas[i];
        if (gpa % kPageSize != 0 || !m_mem.is_ram_frame(gpa >> kPageShift) ||
            std::find(gpas.begin(), gpas.begin() + static_cast<std::ptrdiff_t>(i), gpa) !=
                gpas.begin() + static_cast<std::ptrdiff_t>(i))
            return Errc::invalid_argument;
    }
    m_frames = gpas;
    return {};
}

} // namespace pvisor
