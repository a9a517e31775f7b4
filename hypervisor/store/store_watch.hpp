// store_watch.hpp: watches, watch events and the rule that decides whether a change fires.
#pragma once

#include "store_path.hpp"
#include "store_perms.hpp"

#include <optional>
#include <string>

namespace pvisor::store {

struct Watch {
    std::string abs;   // resolved path, or a special "@..." name
    std::string token; // opaque, echoed in events
    bool relative = false;
};

// One XS_WATCH_EVENT: the path as the watcher should see it, and its token.
struct WatchEvent {
    std::string path;
    std::string token;
    friend bool operator==(const WatchEvent&, const WatchEvent&) = default;
};

// A change of the store at `path`, as xenstored fires it: a write, mkdir or permission change
// (exact = false) fires watches at or above `path`. Removing a subtree is one change per
// removed node, each after its children: the removed root with exact = false, every node
// below it with exact = true (it fires only watches on exactly that node). `perms` are the
// node's permissions at the time (before removal); watchers that may not read them get no
// event. Special paths ("@...") carry no perms check.
struct Change {
    std::string path;
    Perms perms;
    bool exact = false;
};

// The event `watch` (owned by a connection of domain `watcher`) gets for `change`, if any;
// its path is the changed path (relative to the watcher's home for a relative watch).
[[nodiscard]] std::optional<WatchEvent> match_watch(const Watch& watch, DomId watcher,
                                                    const Change& change);

} // namespace pvisor::store
