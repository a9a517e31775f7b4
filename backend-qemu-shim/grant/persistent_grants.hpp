// persistent_grants.hpp: a bounded per-ring pool of grants kept pinned across requests.
#pragma once

#include "grant_table_view.hpp"

#include <cstddef>
#include <cstdint>
#include <span>
#include <unordered_map>

namespace pvisor::backend {

// With feature-persistent the frontend reuses a fixed set of grants; the backend keeps each
// ref pinned (in-use flag set) after first use, up to `capacity` refs. Beyond it a ref is
// pinned for one request only. Single-threaded: one pool per ring.
class PersistentGrants {
  public:
    PersistentGrants(GrantTableView& table, std::size_t capacity)
        : m_table(&table), m_capacity(capacity) {}

    // The page of `ref` for `use`: from the pool, newly kept, or (pool full) pinned into
    // `transient`, which the caller holds until the I/O is done.
    [[nodiscard]] Result<std::span<std::byte>> page(pv_grant_ref ref, GrantUse use,
                                                    GrantPin& transient);
    // Drops every kept pin (ring disconnect): the guest may then end access to the pages.
    void clear() noexcept { m_kept.clear(); }

    [[nodiscard]] std::size_t size() const noexcept { return m_kept.size(); }
    [[nodiscard]] std::uint64_t hits() const noexcept { return m_hits; }
    [[nodiscard]] std::uint64_t overflows() const noexcept { return m_overflows; }

  private:
    GrantTableView* m_table; // not owned; outlives the pool
    std::size_t m_capacity;
    std::unordered_map<pv_grant_ref, GrantPin> m_kept;
    std::uint64_t m_hits = 0;
    std::uint64_t m_overflows = 0;
};

} // namespace pvisor::backend
