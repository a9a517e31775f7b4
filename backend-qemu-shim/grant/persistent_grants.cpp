// persistent_grants.cpp: lookup, upgrade (read -> write) and bounded insertion of kept pins.
#include "persistent_grants.hpp"

namespace pvisor::backend {

Result<std::span<std::byte>> PersistentGrants::page(pv_grant_ref ref, GrantUse use,
                                                    GrantPin& transient) {
    auto it = m_kept.find(ref);
    if (it != m_kept.end()) {
        // A write pin also allows reading; a read pin is upgraded (the entry is re-checked).
        if (use == GrantUse::write && it->second.use() == GrantUse::read) {
            PV_TRY_ASSIGN(upgraded, m_table->pin(ref, GrantUse::write));
            it->second = std::move(upgraded);
        }
        ++m_hits;
        return it->second.page();
    }
    PV_TRY_ASSIGN(pin, m_table->pin(ref, use));
    if (m_kept.size() >= m_capacity) {
        ++m_overflows;
        transient = std::move(pin);
        return transient.page();
    }
    auto page = pin.page();
    m_kept.emplace(ref, std::move(pin));
    return page;
}

} // namespace pvisor::backend
