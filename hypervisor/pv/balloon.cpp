// balloon.cpp: the out-of-reservation frame bitmap and the memfd punches behind it.
#include "balloon.hpp"

#include <algorithm>

namespace pvisor {

Balloon::Balloon(const GuestMemory& mem) : m_mem(mem) {
    std::uint64_t end_gfn = 0;
    for (const GuestRegion& r : mem.regions()) {
        if (r.is_ram)
            end_gfn = std::max(end_gfn, (r.gpa + r.size) >> kPageShift);
    }
    m_bits.assign((end_gfn + 63) / 64, 0);
}

bool Balloon::is_out(std::uint64_t gfn) const {
    std::lock_guard lock(m_lock);
    return m_mem.is_ram_frame(gfn) && test(gfn);
}

Status Balloon::decrease(std::uint64_t gfn) {
    std::lock_guard lock(m_lock);
    if (!m_mem.is_ram_frame(gfn))
        return Errc::invalid_argument;
    if (test(gfn))
        return Errc::exists;
    PV_TRY(m_mem.discard_frame(gfn));
    m_bits[gfn / 64] |= std::uint64_t{1} << (gfn % 64);
    m_out.fetch_add(1);
    m_decreased.fetch_add(1);
    return {};
}

Status Balloon::populate(std::uint64_t gfn) {
    std::lock_guard lock(m_lock);
    if (!m_mem.is_ram_frame(gfn))
        return Errc::invalid_argument;
    if (!test(gfn))
        return Errc::not_found;
    // A ballooned frame the guest (or a backend through a grant) touched was backed again
    // on that touch: punched once more, it comes back as a fresh zero page.
    PV_TRY(m_mem.discard_frame(gfn));
    m_bits[gfn / 64] &= ~(std::uint64_t{1} << (gfn % 64));
    m_out.fetch_sub(1);
    m_populated.fetch_add(1);
    return {};
}

std::vector<std::uint64_t> Balloon::out_frames() const {
    std::lock_guard lock(m_lock);
    std::vector<std::uint64_t> out;
    for (std::uint64_t gfn = 0; gfn < m_bits.size() * 64; ++gfn) {
        if (test(gfn))
            out.push_back(gfn);
    }
    return out;
}

Status Balloon::restore_out(const std::vector<std::uint64_t>& gfns) {
    std::lock_guard lock(m_lock);
    for (std::uint64_t gfn : gfns) {
        if (!m_mem.is_ram_frame(gfn) || gfn / 64 >= m_bits.size() || test(gfn))
            return Errc::invalid_argument;
        m_bits[gfn / 64] |= std::uint64_t{1} << (gfn % 64);
        m_out.fetch_add(1);
    }
    return {};
}

} // namespace pvisor
