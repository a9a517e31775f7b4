// store.cpp: store operations: resolve, check permissions and quotas, act, record, fire.
#include "store.hpp"

#include <cassert>

namespace pvisor::store {

Store::Store(StoreLimits limits) : m_limits(limits) {
    // What a dom0-only xenstored holds once the toolstack set up dom0: setup_structure()
    // creates /tool/xenstored, xen-init-dom0 writes dom0's domid and name. Like "/", all of it
    // is the control domain's alone ("n0"): guests cannot list /local/domain.
    admin_put("/tool/xenstored", "", Perms{});
    admin_put(domain_path(0) + "/domid", "0", Perms{});
    admin_put(domain_path(0) + "/name", "Domain-0", Perms{});
}

ConnId Store::connect(DomId domid) {
    const ConnId id = m_next_conn++;
    auto conn = std::make_unique<Connection>();
    conn->domid = domid;
    m_conns.emplace(id, std::move(conn));
    return id;
}

void Store::disconnect(ConnId conn) {
    m_conns.erase(conn);
}

void Store::reset_connection(ConnId conn) {
    if (Connection* c = find_conn(conn)) {
        const DomId domid = c->domid;
        *c = Connection{};
        c->domid = domid;
    }
}

DomId Store::domid_of(ConnId conn) const {
    const auto it = m_conns.find(conn);
    return it == m_conns.end() ? DomId{0} : it->second->domid;
}

Store::Connection* Store::find_conn(ConnId c) {
    const auto it = m_conns.find(c);
    return it == m_conns.end() ? nullptr : it->second.get();
}

XsResult<Store::View> Store::view(ConnId c, TxId tx) {
    Connection* conn = find_conn(c);
    if (conn == nullptr)
        return XsErr::einval;
    if (tx == 0)
        return View{*conn, m_tree, nullptr};
    const auto it = conn->transactions.find(tx);
    if (it == conn->transactions.end())
        return XsErr::enoent;
    return View{*conn, it->second.tree, &it->second};
}

XsResult<std::string> Store::resolve(const View& v, std::string_view path) const {
    auto r = resolve_path(path, v.conn.domid);
    if (!r)
        return r.error();
    return std::move(r->abs);
}

bool Store::may(const View& v, const Node& node, Access want) const {
    return v.conn.domid == 0 || allows(node.perms.access_for(v.conn.domid), want);
}

// A missing node is ENOENT only for callers who may read the nearest existing ancestor;
// others learn nothing about what exists there.
XsErr Store::missing(const View& v, std::string_view path) const {
    const Node* anc = v.tree.find(v.tree.nearest_existing(path));
    assert(anc != nullptr);
    return may(v, *anc, Access::read) ? XsErr::enoent : XsErr::eacces;
}

XsResult<const Node*> Store::readable(View& v, std::string_view path) {
    record(v, path);
    const Node* node = v.tree.find(path);
    if (node == nullptr)
        return missing(v, path);
    if (!may(v, *node, Access::read))
        return XsErr::eacces;
    return node;
}

// Inside a transaction, remembers the node's generation as the transaction first saw it.
void Store::record(View& v, std::string_view path) {
    if (v.tx == nullptr || v.tx->base.contains(path))
        return;
    const Node* node = v.tree.find(path);
    v.tx->base.emplace(std::string(path),
                       node ? std::optional<std::uint64_t>(node->gen) : std::nullopt);
}

// Marks `node` (at `path`) modified: new generation, and part of the transaction's writes.
void Store::touch(View& v, const std::string& path, Node& node) {
    node.gen = ++m_gen;
    if (v.tx != nullptr)
        v.tx->written.insert(path);
}

void Store::changed(View& v, Change change) {
    if (v.tx != nullptr)
        v.tx->changes.push_back(std::move(change));
    else
        fire(change);
}

XsResult<const Node*> Store::lookup(ConnId c, TxId tx, std::string_view path) {
    auto v = view(c, tx);
    XS_TRY(v);
    auto abs = resolve(*v, path);
    XS_TRY(abs);
    return readable(*v, *abs);
}

XsResult<std::string> Store::read(ConnId c, TxId tx, std::string_view path) {
    auto node = lookup(c, tx, path);
    XS_TRY(node);
    return (*node)->value;
}

XsResult<std::vector<std::string>> Store::directory(ConnId c, TxId tx, std::string_view path) {
    auto v = view(c, tx);
    XS_TRY(v);
    auto abs = resolve(*v, path);
    XS_TRY(abs);
    XS_TRY(readable(*v, *abs));
    return v->tree.children(*abs);
}

XsResult<std::uint64_t> Store::generation(ConnId c, TxId tx, std::string_view path) {
    auto node = lookup(c, tx, path);
    XS_TRY(node);
    return (*node)->gen;
}

XsResult<Perms> Store::get_perms(ConnId c, TxId tx, std::string_view path) {
    auto node = lookup(c, tx, path);
    XS_TRY(node);
    return (*node)->perms;
}

// Creates `path` and its missing ancestors. The caller needs write access to the nearest
// existing ancestor; new nodes inherit its permissions, and a guest becomes their owner.
XsStatus Store::create_path(View& v, const std::string& path) {
    const std::string anc(v.tree.nearest_existing(path));
    record(v, anc);
    Node* parent = v.tree.find(anc);
    if (!may(v, *parent, Access::write))
        return may(v, *parent, Access::read) ? XsErr::eacces : missing(v, path);
    std::vector<std::string> fresh;
    for (std::string p = path; p != anc; p = std::string(parent_path(p)))
        fresh.push_back(p);
    const DomId domid = v.conn.domid;
    if (domid != 0 && v.tree.owned_by(domid) + fresh.size() > m_limits.nodes_per_domain)
        return XsErr::enospc;
    Perms perms = parent->perms;
    if (domid != 0)
        perms.set_owner(domid);
    touch(v, anc, *parent);
    for (auto it = fresh.rbegin(); it != fresh.rend(); ++it) {
        record(v, *it);
        v.tree.put(*it, Node{"", perms, 0});
        touch(v, *it, *v.tree.find(*it));
    }
    return {};
}

XsStatus Store::write(ConnId c, TxId tx, std::string_view path, std::string_view value) {
    auto v = view(c, tx);
    XS_TRY(v);
    auto abs = resolve(*v, path);
    XS_TRY(abs);
    if (v->conn.domid != 0 && value.size() > m_limits.value_bytes)
        return XsErr::enospc;
    record(*v, *abs);
    Node* node = v->tree.find(*abs);
    if (node == nullptr) {
        XS_TRY(create_path(*v, *abs));
        node = v->tree.find(*abs);
    } else if (!may(*v, *node, Access::write)) {
        return XsErr::eacces;
    }
    node->value.assign(value);
    touch(*v, *abs, *node);
    changed(*v, Change{*abs, node->perms, false});
    return {};
}

XsStatus Store::mkdir(ConnId c, TxId tx, std::string_view path) {
    auto v = view(c, tx);
    XS_TRY(v);
    auto abs = resolve(*v, path);
    XS_TRY(abs);
    record(*v, *abs);
    // As xenstored: an existing node is fine for whoever may write it.
    if (const Node* node = v->tree.find(*abs))
        return may(*v, *node, Access::write) ? XsStatus{} : XsStatus{XsErr::eacces};
    XS_TRY(create_path(*v, *abs));
    changed(*v, Change{*abs, v->tree.find(*abs)->perms, false});
    return {};
}

XsStatus Store::rm(ConnId c, TxId tx, std::string_view path) {
    auto v = view(c, tx);
    XS_TRY(v);
    auto abs = resolve(*v, path);
    XS_TRY(abs);
    if (*abs == "/")
        return XsErr::einval;
    record(*v, *abs);
    const Node* node = v->tree.find(*abs);
    if (node == nullptr) {
        // As Xen: removing a missing node is fine if its parent exists (and is visible).
        const Node* parent = v->tree.find(parent_path(*abs));
        if (parent != nullptr && may(*v, *parent, Access::read))
            return {};
        return missing(*v, *abs);
    }
    if (!may(*v, *node, Access::write))
        return XsErr::eacces;
    for (const auto& p : v->tree.subtree(*abs))
        record(*v, p);
    const std::vector<Change> changes = remove_subtree(v->tree, *abs);
    const std::string parent(parent_path(*abs));
    record(*v, parent);
    touch(*v, parent, *v->tree.find(parent));
    for (const Change& change : changes) {
        if (v->tx != nullptr)
            v->tx->written.insert(change.path);
        changed(*v, change);
    }
    return {};
}

std::vector<Change> Store::remove_subtree(Tree& tree, const std::string& root) {
    std::vector<Change> changes;
    for (auto& path : tree.subtree(root)) {
        const Node* node = tree.find(path);
        const bool exact = path != root;
        changes.push_back(Change{std::move(path), node->perms, exact});
        tree.erase(changes.back().path);
    }
    return changes;
}

XsStatus Store::set_perms(ConnId c, TxId tx, std::string_view path, const Perms& perms) {
    auto v = view(c, tx);
    XS_TRY(v);
    auto abs = resolve(*v, path);
    XS_TRY(abs);
    // As xenstored: the owner must be a domain that exists.
    if (perms.owner() != 0 && !m_domains.contains(perms.owner()))
        return XsErr::enoent;
    record(*v, *abs);
    Node* node = v->tree.find(*abs);
    if (node == nullptr)
        return missing(*v, *abs);
    const DomId domid = v->conn.domid;
    if (domid != 0) {
        if (node->perms.owner() != domid)
            return may(*v, *node, Access::read) ? XsErr::eacces : missing(*v, *abs);
        if (perms.owner() != domid)
            return XsErr::eperm;
        if (perms.size() > m_limits.perms_per_node)
            return XsErr::enospc;
    }
    v->tree.set_perms(*node, perms);
    touch(*v, *abs, *node);
    changed(*v, Change{*abs, node->perms, false});
    return {};
}

} // namespace pvisor::store
