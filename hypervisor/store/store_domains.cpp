// store_domains.cpp: Store's toolstack role: the nodes a domain and its devices start with.
#include "pv/xs_wire.h"
#include "store.hpp"

namespace pvisor::store {
namespace {

// Owned by the control domain, readable (not writable) by `guest`.
Perms host_owned_guest_reads(DomId guest) {
    return Perms(0, Access::none).grant(guest, Access::read);
}

} // namespace

// Creates or replaces `path` as the control domain would with a write and a set_perms: missing
// ancestors inherit their parent's permissions (as xenstored creates them), and only `path`
// fires watches.
void Store::admin_put(const std::string& path, std::string_view value, const Perms& perms) {
    const std::string anc(m_tree.nearest_existing(path));
    std::vector<std::string> fresh;
    for (std::string p = path; p != anc; p = std::string(parent_path(p)))
        fresh.push_back(p);
    if (!fresh.empty())
        m_tree.find(anc)->gen = ++m_gen;
    for (auto it = fresh.rbegin(); it != fresh.rend(); ++it)
        m_tree.put(*it, Node{"", m_tree.find(parent_path(*it))->perms, ++m_gen});
    Node* node = m_tree.find(path);
    node->value.assign(value);
    m_tree.set_perms(*node, perms);
    node->gen = ++m_gen;
    fire(Change{path, perms, false});
}

XsStatus Store::introduce_domain(DomId domid, std::string_view name) {
    if (domid == 0 || m_domains.contains(domid))
        return XsErr::eexist;
    const std::string dom = domain_path(domid);
    const Perms guest_owned = Perms::owned_by(domid);
    const Perms ro = host_owned_guest_reads(domid);
    admin_put(dom, "", guest_owned);
    admin_put(dom + "/name", name, ro);
    admin_put(dom + "/domid", std::to_string(domid), ro);
    admin_put(dom + "/control", "", ro);
    admin_put(dom + "/control/shutdown", "", Perms(0, Access::none).grant(domid, Access::both));
    admin_put(dom + "/control/feature-poweroff", "1", ro);
    admin_put(dom + "/control/feature-reboot", "1", ro);
    admin_put(dom + "/device", "", guest_owned);
    admin_put(dom + "/data", "", guest_owned);
    m_domains.insert(domid);
    fire(Change{"@introduceDomain", {}, false});
    return {};
}

XsStatus Store::release_domain(DomId domid) {
    if (!m_domains.erase(domid))
        return XsErr::enoent;
    std::vector<std::string> dirs{domain_path(domid)};
    for (const auto& type : m_tree.children("/local/domain/0/backend"))
        dirs.push_back("/local/domain/0/backend/" + type + "/" + std::to_string(domid));
    for (const auto& dir : dirs) {
        if (m_tree.find(dir) == nullptr)
            continue;
        const std::vector<Change> changes = remove_subtree(m_tree, dir);
        m_tree.find(parent_path(dir))->gen = ++m_gen;
        for (const Change& change : changes)
            fire(change);
    }
    fire(Change{"@releaseDomain", {}, false});
    return {};
}

XsStatus Store::add_device(DomId domid, std::string_view type, unsigned devid, DomId backend) {
    const std::string t(type);
    if (!m_domains.contains(domid) || type.empty() || !resolve_path(t, domid).ok())
        return XsErr::einval;
    const std::string id = std::to_string(devid);
    const std::string front = domain_path(domid) + "/device/" + t + "/" + id;
    const std::string back =
        domain_path(backend) + "/backend/" + t + "/" + std::to_string(domid) + "/" + id;
    if (m_tree.find(front) != nullptr || m_tree.find(back) != nullptr)
        return XsErr::eexist;
    const std::string initialising = std::to_string(XenbusStateInitialising);
    // Frontend: the guest owns it; the backend domain may read it.
    const Perms fperms = Perms::owned_by(domid).grant(backend, Access::read);
    admin_put(front, "", fperms);
    admin_put(front + "/backend", back, fperms);
    admin_put(front + "/backend-id", std::to_string(backend), fperms);
    admin_put(front + "/state", initialising, fperms);
    // Backend: the backend domain owns it; the guest may read it (and watch its state).
    const Perms bperms = Perms::owned_by(backend).grant(domid, Access::read);
    admin_put(back, "", bperms);
    admin_put(back + "/frontend", front, bperms);
    admin_put(back + "/frontend-id", std::to_string(domid), bperms);
    admin_put(back + "/online", "1", bperms);
    admin_put(back + "/state", initialising, bperms);
    return {};
}

} // namespace pvisor::store
