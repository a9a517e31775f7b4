// store_watches.cpp: Store's watch registration, event fan-out and per-connection queues.
#include "store.hpp"

#include <algorithm>

namespace pvisor::store {

XsStatus Store::watch(ConnId c, std::string_view path, std::string_view token) {
    Connection* conn = find_conn(c);
    if (conn == nullptr)
        return XsErr::einval;
    auto resolved = resolve_path(path, conn->domid, true);
    XS_TRY(resolved);
    const auto same = [&](const Watch& w) { return w.abs == resolved->abs && w.token == token; };
    if (std::ranges::any_of(conn->watches, same))
        return XsErr::eexist;
    if (conn->domid != 0 && conn->watches.size() >= m_limits.watches_per_conn)
        return XsErr::e2big;
    conn->watches.push_back(Watch{resolved->abs, std::string(token), resolved->relative});
    // Xen fires every new watch once, with the path as the client gave it.
    queue_event(*conn, WatchEvent{std::string(path), std::string(token)});
    return {};
}

XsStatus Store::unwatch(ConnId c, std::string_view path, std::string_view token) {
    Connection* conn = find_conn(c);
    if (conn == nullptr)
        return XsErr::einval;
    // As xenstored: a path no watch could have been set on is just not found.
    auto resolved = resolve_path(path, conn->domid, true);
    if (!resolved)
        return XsErr::enoent;
    const auto it = std::ranges::find_if(
        conn->watches, [&](const Watch& w) { return w.abs == resolved->abs && w.token == token; });
    if (it == conn->watches.end())
        return XsErr::enoent;
    conn->watches.erase(it);
    return {};
}

void Store::reset_watches(ConnId c) {
    if (Connection* conn = find_conn(c))
        conn->watches.clear();
}

void Store::fire(const Change& change) {
    for (auto& [id, conn] : m_conns) {
        for (const Watch& w : conn->watches) {
            if (auto ev = match_watch(w, conn->domid, change))
                queue_event(*conn, std::move(*ev));
        }
    }
}

// Bounded: a client that never reads its events loses the newest ones, counted.
void Store::queue_event(Connection& conn, WatchEvent event) {
    if (conn.events.size() >= m_limits.pending_events_per_conn) {
        ++m_counters.events_dropped;
        return;
    }
    ++m_counters.watch_events;
    conn.events.push_back(std::move(event));
}

std::optional<WatchEvent> Store::pop_event(ConnId c) {
    Connection* conn = find_conn(c);
    if (conn == nullptr || conn->events.empty())
        return std::nullopt;
    WatchEvent ev = std::move(conn->events.front());
    conn->events.pop_front();
    return ev;
}

bool Store::has_events(ConnId c) const {
    const auto it = m_conns.find(c);
    return it != m_conns.end() && !it->second->events.empty();
}

} // namespace pvisor::store
