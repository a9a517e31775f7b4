// store_transactions.cpp: Store's transactions: private copy, generation check, merge.
#include "store.hpp"

#include <cassert>

namespace pvisor::store {

XsResult<TxId> Store::transaction_start(ConnId c) {
    Connection* conn = find_conn(c);
    if (conn == nullptr)
        return XsErr::einval;
    if (conn->transactions.size() >= m_limits.transactions_per_conn)
        return XsErr::enospc;
    TxId id = conn->next_tx;
    // Bounded: at most transactions_per_conn ids are in use.
    while (id == 0 || conn->transactions.contains(id))
        ++id;
    conn->next_tx = id + 1;
    conn->transactions.emplace(id, Transaction{m_tree, {}, {}, {}});
    return id;
}

// True if any node the transaction saw has changed (or appeared, or gone) since it started.
bool Store::conflicts(const Transaction& tx) const {
    for (const auto& [path, gen] : tx.base) {
        const Node* live = m_tree.find(path);
        const std::optional<std::uint64_t> now =
            live ? std::optional<std::uint64_t>(live->gen) : std::nullopt;
        if (now != gen)
            return true;
    }
    return false;
}

XsStatus Store::transaction_end(ConnId c, TxId tx, bool commit) {
    Connection* conn = find_conn(c);
    if (conn == nullptr)
        return XsErr::einval;
    auto node = conn->transactions.extract(tx);
    if (node.empty())
        return XsErr::enoent;
    Transaction& t = node.mapped();
    if (!commit)
        return {};
    if (conflicts(t)) {
        ++m_counters.tx_conflicts;
        return XsErr::eagain;
    }
    // `written` is ordered, so a parent is put before its children. Without a conflict every
    // written node's parent is in the live tree or put before it.
    for (const std::string& path : t.written) {
        if (const Node* n = t.tree.find(path))
            m_tree.put(path, *n);
        else
            m_tree.erase(path);
    }
    ++m_counters.tx_commits;
    for (const Change& ch : t.changes)
        fire(ch);
    return {};
}

} // namespace pvisor::store
