// store_perms.hpp: node permissions (owner + per-domain letters) and their wire form.
#pragma once

#include "store_error.hpp"
#include "store_path.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace pvisor::store {

enum class Access : std::uint8_t { none = 0, read = 1, write = 2, both = 3 };

struct PermEntry {
    DomId domid = 0;
    Access access = Access::none;
    friend bool operator==(const PermEntry&, const PermEntry&) = default;
};

// entries[0] is the owner; its access is the default for domains not listed after it.
// Invariant: never empty.
class Perms {
  public:
    Perms() = default; // "n0": owned by the control domain, nobody else
    Perms(DomId owner, Access others) : m_entries{{owner, others}} {}
    static Perms owned_by(DomId owner) { return {owner, Access::none}; }

    // Parses one wire entry per element ("r5"); EINVAL on a bad letter or number.
    [[nodiscard]] static XsResult<Perms> parse(const std::vector<std::string_view>& entries);
    // "n0\0r1\0": each entry NUL-terminated.
    [[nodiscard]] std::string to_wire() const;

    [[nodiscard]] DomId owner() const { return m_entries.front().domid; }
    void set_owner(DomId d) { m_entries.front().domid = d; }
    Perms& grant(DomId d, Access a);
    // What `domid` may do; the control domain's privilege is applied by the caller.
    [[nodiscard]] Access access_for(DomId domid) const;
    [[nodiscard]] std::size_t size() const { return m_entries.size(); }
    friend bool operator==(const Perms&, const Perms&) = default;

  private:
    std::vector<PermEntry> m_entries{PermEntry{}};
};

[[nodiscard]] inline bool allows(Access have, Access want) {
    return (static_cast<unsigned>(have) & static_cast<unsigned>(want)) ==
           static_cast<unsigned>(want);
}

} // namespace pvisor::store
