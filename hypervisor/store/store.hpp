// store.hpp: the config store engine: tree, permissions, watches, transactions, quotas.
#pragma once

#include "pv/xs_wire.h"
#include "store_error.hpp"
#include "store_tree.hpp"
#include "store_watch.hpp"

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace pvisor::store {

using ConnId = std::uint32_t;
using TxId = std::uint32_t; // 0 = no transaction

// Quotas (pv/xs_wire.h "Limits"); node and value quotas do not apply to the control domain.
struct StoreLimits {
    std::size_t nodes_per_domain = PV_XS_QUOTA_NODES;             // ENOSPC
    std::size_t value_bytes = PV_XS_QUOTA_VALUE_BYTES;            // ENOSPC
    std::size_t watches_per_conn = PV_XS_QUOTA_WATCHES;           // E2BIG
    std::size_t transactions_per_conn = PV_XS_QUOTA_TRANSACTIONS; // ENOSPC
    std::size_t perms_per_node = PV_XS_QUOTA_PERMS;               // ENOSPC
    std::size_t pending_events_per_conn = 1024; // beyond: events dropped and counted
};

struct StoreCounters {
    std::uint64_t requests = 0;
    std::uint64_t errors = 0;
    std::uint64_t watch_events = 0;
    std::uint64_t events_dropped = 0;
    std::uint64_t tx_commits = 0;
    std::uint64_t tx_conflicts = 0;
    std::uint64_t peers_broken = 0; // rings and socket clients dropped for protocol violations
};

// Pure logic, no I/O, not thread-safe (one owner thread: StoreService's). Every operation
// runs for a connection, whose domain decides permissions (domain 0 sees everything) and
// how relative paths resolve. Watch events for a connection queue up until the transport
// takes them with pop_event().
class Store {
  public:
    explicit Store(StoreLimits limits = {});

    [[nodiscard]] ConnId connect(DomId domid);
    void disconnect(ConnId conn);
    // Drops the connection's watches, transactions and queued events (ring reconnect).
    void reset_connection(ConnId conn);
    [[nodiscard]] DomId domid_of(ConnId conn) const;

    [[nodiscard]] XsResult<std::string> read(ConnId c, TxId tx, std::string_view path);
    [[nodiscard]] XsStatus write(ConnId c, TxId tx, std::string_view path, std::string_view value);
    [[nodiscard]] XsStatus mkdir(ConnId c, TxId tx, std::string_view path);
    [[nodiscard]] XsStatus rm(ConnId c, TxId tx, std::string_view path);
    [[nodiscard]] XsResult<std::vector<std::string>> directory(ConnId c, TxId tx,
                                                               std::string_view path);
    // A number that changes whenever the node (value, permissions, children) does: for
    // XS_DIRECTORY_PART, whose client restarts a listing when it changes between parts.
    [[nodiscard]] XsResult<std::uint64_t> generation(ConnId c, TxId tx, std::string_view path);
    [[nodiscard]] XsResult<Perms> get_perms(ConnId c, TxId tx, std::string_view path);
    // ENOENT if the new owner is neither the control domain nor an introduced domain.
    [[nodiscard]] XsStatus set_perms(ConnId c, TxId tx, std::string_view path, const Perms& perms);

    // Registers a watch and queues its first event at once. Guests' connections have a watch
    // quota (E2BIG); the control domain's have none.
    [[nodiscard]] XsStatus watch(ConnId c, std::string_view path, std::string_view token);
    [[nodiscard]] XsStatus unwatch(ConnId c, std::string_view path, std::string_view token);
    void reset_watches(ConnId c);

    [[nodiscard]] XsResult<TxId> transaction_start(ConnId c);
    // commit: EAGAIN if a node the transaction read or wrote changed meanwhile; then none of
    // its writes take effect. !commit: abort.
    [[nodiscard]] XsStatus transaction_end(ConnId c, TxId tx, bool commit);

    // Toolstack side (acts as the control domain). Creates the nodes pv/xs_wire.h lists under
    // /local/domain/<domid> and fires @introduceDomain. EEXIST if already introduced.
    [[nodiscard]] XsStatus introduce_domain(DomId domid, std::string_view name);
    // Removes the domain's directory and its backend directories; fires @releaseDomain.
    [[nodiscard]] XsStatus release_domain(DomId domid);
    [[nodiscard]] bool domain_introduced(DomId domid) const { return m_domains.contains(domid); }
    // Creates a split device's frontend dir (device/<type>/<devid>: backend, backend-id,
    // state = Initialising; owned by the guest) and backend dir
    // (/local/domain/<backend>/backend/<type>/<domid>/<devid>: frontend, frontend-id, online,
    // state = Initialising; owned by the backend, readable by the guest).
    [[nodiscard]] XsStatus add_device(DomId domid, std::string_view type, unsigned devid,
                                      DomId backend = 0);

    // The tree, the introduced domains and the watches of the connections in `keep`, as bytes
    // (store_snapshot.cpp), so that a restarted toolstack starts where it stopped.
    [[nodiscard]] std::string snapshot(const std::vector<ConnId>& keep) const;
    // Replaces the tree and the domains with a snapshot's; returns the watches it kept, per
    // domain. EINVAL (and nothing changed) for anything that is not a whole snapshot.
    [[nodiscard]] XsResult<std::map<DomId, std::vector<Watch>>> restore(std::string_view snap);
    // Gives a connection watches from a snapshot, without the first event a new watch fires.
    void adopt_watches(ConnId c, std::vector<Watch> watches);
    // Bumped by every change of the live tree: a snapshot is due when it moved.
    [[nodiscard]] std::uint64_t generation() const { return m_gen; }

    [[nodiscard]] std::optional<WatchEvent> pop_event(ConnId c);
    [[nodiscard]] bool has_events(ConnId c) const;
    [[nodiscard]] const StoreCounters& counters() const { return m_counters; }
    void note_event_dropped() { ++m_counters.events_dropped; }
    // Called by transports when a peer broke the protocol.
    void note_peer_broken() { ++m_counters.peers_broken; }
    // Called by the message layer once per request.
    void note_request(bool failed) {
        ++m_counters.requests;
        m_counters.errors += failed ? 1U : 0U;
    }
    [[nodiscard]] const StoreLimits& limits() const { return m_limits; }
    [[nodiscard]] std::size_t node_count() const { return m_tree.size(); }

  private:
    struct Transaction {
        Tree tree; // starts as a copy of the live tree
        // Generation of every node the transaction read or wrote, as it started (nullopt:
        // the node did not exist). Commit checks them against the live tree.
        std::map<std::string, std::optional<std::uint64_t>, std::less<>> base;
        std::set<std::string, std::less<>> written;
        std::vector<Change> changes; // fired at commit
    };
    struct Connection {
        DomId domid = 0;
        std::vector<Watch> watches;
        std::map<TxId, Transaction> transactions;
        TxId next_tx = 1;
        std::deque<WatchEvent> events;
    };
    // Where an operation acts: the live tree, or a transaction's copy.
    struct View {
        Connection& conn;
        Tree& tree;
        Transaction* tx;
    };

    [[nodiscard]] XsResult<View> view(ConnId c, TxId tx);
    [[nodiscard]] Connection* find_conn(ConnId c);
    [[nodiscard]] XsResult<std::string> resolve(const View& v, std::string_view path) const;
    [[nodiscard]] bool may(const View& v, const Node& node, Access want) const;
    [[nodiscard]] XsErr missing(const View& v, std::string_view path) const;
    [[nodiscard]] XsResult<const Node*> readable(View& v, std::string_view path);
    // The node at `path` as connection `c` sees it (in transaction `tx`), if it may read it.
    [[nodiscard]] XsResult<const Node*> lookup(ConnId c, TxId tx, std::string_view path);
    [[nodiscard]] XsStatus create_path(View& v, const std::string& path);
    void record(View& v, std::string_view path);
    void touch(View& v, const std::string& path, Node& node);
    void changed(View& v, Change change);
    void fire(const Change& change);
    void queue_event(Connection& conn, WatchEvent event);
    void admin_put(const std::string& path, std::string_view value, const Perms& perms);
    // Removes `root` with its subtree; returns the changes that fire, in xenstored's order
    // (store_watch.hpp Change). Precondition: `root` exists and is not "/".
    [[nodiscard]] static std::vector<Change> remove_subtree(Tree& tree, const std::string& root);
    [[nodiscard]] bool conflicts(const Transaction& tx) const;

    StoreLimits m_limits;
    Tree m_tree;
    std::uint64_t m_gen = 0;
    std::map<ConnId, std::unique_ptr<Connection>> m_conns;
    ConnId m_next_conn = 1;
    std::set<DomId> m_domains;
    StoreCounters m_counters;
};

} // namespace pvisor::store
