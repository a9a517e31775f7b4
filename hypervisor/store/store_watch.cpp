// store_watch.cpp: watch matching (path prefix or exact node, permissions).
#include "store_watch.hpp"

namespace pvisor::store {

std::optional<WatchEvent> match_watch(const Watch& watch, DomId watcher, const Change& change) {
    const bool special = change.path.starts_with('@');
    if (special || watch.abs.starts_with('@')) {
        if (watch.abs != change.path)
            return std::nullopt;
        return WatchEvent{watch.abs, watch.token};
    }
    const bool fires =
        change.exact ? change.path == watch.abs : is_at_or_below(change.path, watch.abs);
    if (!fires)
        return std::nullopt;
    if (watcher != 0 && !allows(change.perms.access_for(watcher), Access::read))
        return std::nullopt;
    return WatchEvent{watch.relative ? relative_to_domain(change.path, watcher) : change.path,
                      watch.token};
}

} // namespace pvisor::store
