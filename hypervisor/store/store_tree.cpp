// store_tree.cpp: ordered-map node tree; descendant ranges come from key order.
#include "store_tree.hpp"

#include <algorithm>
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
    std::vector<std::pair<std::uint64_t, std::string>> found;
    auto it = m_nodes.lower_bound(lo);
    if (it != m_nodes.end() && it->first == path)
        ++it; // "/" is the first key of its own range
    while (it != m_nodes.end() && it->first < hi) {
        const std::string_view rest = std::string_view(it->first).substr(lo.size());
        const auto slash = rest.find('/');
        if (slash == std::string_view::npos) {
            found.emplace_back(it->second.created, rest);
            ++it;
        } else {
            // A grandchild: skip the rest of that child's subtree ([child/, child0)).
            it = m_nodes.lower_bound(lo + std::string(rest.substr(0, slash)) + "0");
        }
    }
    std::ranges::sort(found);
    std::vector<std::string> out;
    out.reserve(found.size());
    for (auto& [created, name] : found)
        out.push_back(std::move(name));
    return out;
}

std::vector<std::string> Tree::subtree(std::string_view path) const {
    std::vector<std::string> out;
    if (find(path) != nullptr)
        append_subtree(std::string(path), out);
    return out;
}

// Recursion depth is bounded by the path length limit (at most ~1000 levels).
void Tree::append_subtree(const std::string& path, std::vector<std::string>& out) const {
    const std::string prefix = path == "/" ? path : path + "/";
    for (const auto& name : children(path))
        append_subtree(prefix + name, out);
    out.push_back(path);
}

void Tree::put(const std::string& path, Node node) {
    assert(path == "/" || find(parent_path(path)) != nullptr);
    if (Node* old = find(path))
        count(old->perms.owner(), false);
    count(node.perms.owner(), true);
    if (node.created == 0)
        node.created = ++m_last_created;
    else
        m_last_created = std::max(m_last_created, node.created);
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
