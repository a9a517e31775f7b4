// store_watch.cpp: watch matching (path prefix, removal of ancestors, permissions).
#include "store_watch.hpp"

namespace pvisor::store {

std::optional<WatchEvent> match_watch(const Watch& watch, DomId watcher, const Change& change) {
    const bool special = change.path.starts_with('@');
    if (special || watch.abs.starts_with('@')) {
        if (watch.abs != change.path)
            return std::nullopt;
        return WatchEvent{watch.abs, watch.token};
    }
    std::string_view fired;
    if (is_at_or_below(change.path, watch.abs))
        fired = change.path;
    else if (change.removal && is_at_or_below(watch.abs, change.path))
        fired = watch.abs;
    else
        return std::nullopt;
    if (watcher != 0 && !allows(change.perms.access_for(watcher), Access::read))
        return std::nullopt;
    return WatchEvent{watch.relative ? relative_to_domain(fired, watcher) : std::string(fired),
                      watch.token};
}

} // namespace pvisor::store
