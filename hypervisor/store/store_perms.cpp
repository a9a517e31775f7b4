// store_perms.cpp: permission letters, parsing and lookup (pv/xs_wire.h "Permissions").
#include "store_perms.hpp"

#include "pv/xs_wire.h"

#include <charconv>

namespace pvisor::store {
namespace {

std::optional<Access> access_from_letter(char c) {
    switch (c) {
    case XS_PERM_NONE:
        return Access::none;
    case XS_PERM_READ:
        return Access::read;
    case XS_PERM_WRITE:
        return Access::write;
    case XS_PERM_BOTH:
        return Access::both;
    default:
        return std::nullopt;
    }
}

char letter(Access a) {
    switch (a) {
    case Access::none:
        return XS_PERM_NONE;
    case Access::read:
        return XS_PERM_READ;
    case Access::write:
        return XS_PERM_WRITE;
    case Access::both:
        return XS_PERM_BOTH;
    }
    return XS_PERM_NONE;
}

std::optional<PermEntry> parse_entry(std::string_view s) {
    if (s.size() < 2 || s.size() > 6)
        return std::nullopt;
    const auto access = access_from_letter(s[0]);
    unsigned value = 0;
    const char* end = s.data() + s.size();
    const auto [ptr, ec] = std::from_chars(s.data() + 1, end, value);
    if (!access || ec != std::errc() || ptr != end || value > 0xffffU)
        return std::nullopt;
    return PermEntry{static_cast<DomId>(value), *access};
}

} // namespace

XsResult<Perms> Perms::parse(const std::vector<std::string_view>& entries) {
    if (entries.empty())
        return XsErr::einval;
    Perms p;
    p.m_entries.clear();
    for (const auto e : entries) {
        const auto entry = parse_entry(e);
        if (!entry)
            return XsErr::einval;
        p.m_entries.push_back(*entry);
    }
    return p;
}

std::string Perms::to_wire() const {
    std::string out;
    for (const auto& e : m_entries) {
        out += letter(e.access);
        out += std::to_string(e.domid);
        out += '\0';
    }
    return out;
}

Perms& Perms::grant(DomId d, Access a) {
    for (std::size_t i = 1; i < m_entries.size(); ++i) {
        if (m_entries[i].domid == d) {
            m_entries[i].access = a;
            return *this;
        }
    }
    m_entries.push_back({d, a});
    return *this;
}

Access Perms::access_for(DomId domid) const {
    if (domid == owner())
        return Access::both;
    for (std::size_t i = 1; i < m_entries.size(); ++i) {
        if (m_entries[i].domid == domid)
            return m_entries[i].access;
    }
    return m_entries.front().access;
}

} // namespace pvisor::store
