// store_tree.cpp: ordered-map node tree; descendant ranges come from key order.
#include "store_tree.hpp"

#include <cassert>

namespace pvisor::store {
namespace {

// Keys strictly below `path` lie in [lo, hi).
std::pair<std::string, std::string> descendant_range(std::string_view path) {
    std::string lo(path);
    if (path != "/")
        lo += '/';
    std::string hi = lo;
    hi.back() = '0'; // '/' + 1
    return {lo, hi};
}

} // namespace

Tree::Tree() {
    put("/", Node{});
}

const Node* Tree::find(std::string_view path) const {
    const auto it = m_nodes.find(path);
    return it == m_nodes.end() ? nullptr : &it->second;
}

Node* Tree::find(std::string_view path) {
    const auto it = m_nodes.find(path);
    return it == m_nodes.end() ? nullptr : &it->second;
}

std::string_view Tree::nearest_existing(std::string_view path) const {
    while (path != "/" && find(path) == nullptr)
        path = parent_path(path);
    return path;
}

std::vector<std::string> Tree::children(std::string_view path) const {
    const auto [lo, hi] = descendant_range(path);
    std::vector<std::string> out;
    auto it = m_nodes.lower_bound(lo);
    while (it != m_nodes.end() && it->first < hi) {
        const std::string_view rest = std::string_view(it->first).substr(lo.size());
        const auto slash = rest.find('/');
        if (slash == std::string_view::npos) {
            out.emplace_back(rest);
            ++it;
        } else {
            // A grandchild: skip the rest of that child's subtree ([child/, child0)).
            it = m_nodes.lower_bound(lo + std::string(rest.substr(0, slash)) + "0");
        }
    }
    return out;
}

std::vector<std::string> Tree::subtree(std::string_view path) const {
    std::vector<std::string> out;
    if (find(path) == nullptr)
        return out;
    out.emplace_back(path);
    const auto [lo, hi] = descendant_range(path);
    for (auto it = m_nodes.lower_bound(lo); it != m_nodes.end() && it->first < hi; ++it)
        out.push_back(it->first);
    return out;
}

void Tree::put(const std::string& path, Node node) {
    assert(path == "/" || find(parent_path(path)) != nullptr);
    if (Node* old = find(path))
        count(old->perms.owner(), false);
    count(node.perms.owner(), true);
    m_nodes.insert_or_assign(path, std::move(node));
}

void Tree::erase(std::string_view path) {
    const auto it = m_nodes.find(path);
    if (it == m_nodes.end())
        return;
    count(it->second.perms.owner(), false);
    m_nodes.erase(it);
}

void Tree::set_perms(Node& node, Perms perms) {
    count(node.perms.owner(), false);
    count(perms.owner(), true);
    node.perms = std::move(perms);
}

std::size_t Tree::owned_by(DomId domid) const {
    const auto it = m_owned.find(domid);
    return it == m_owned.end() ? 0 : it->second;
}

void Tree::count(DomId owner, bool add) {
    auto& n = m_owned[owner];
    if (add) {
        ++n;
    } else {
        assert(n > 0);
        --n;
    }
}

} // namespace pvisor::store
