// store_tree.hpp: the node tree (path -> value, permissions, generation), no policy.
#pragma once

#include "store_perms.hpp"

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace pvisor::store {

struct Node {
    std::string value;
    Perms perms;
    // Bumped on every change of the node: value, permissions, or its list of children.
    // Transactions compare it to detect conflicts.
    std::uint64_t gen = 0;
    // Creation order: children are listed in the order they were created (as xenstored's
    // child lists, which append). 0 in a node handed to Tree::put: a new node, numbered there.
    std::uint64_t created = 0;
};

// Nodes keyed by absolute path in one ordered map: a node's descendants are the keys in
// [path + "/", path + "0") because '0' follows '/' in ASCII. Invariant: "/" exists and every
// node's parent exists; siblings have distinct `created` numbers. Copyable: a transaction
// starts from a copy, and its nodes keep their numbers when put back (a transaction that
// added children to a node commits only if nobody else did meanwhile).
class Tree {
  public:
    Tree();

    [[nodiscard]] const Node* find(std::string_view path) const;
    [[nodiscard]] Node* find(std::string_view path);
    // The deepest existing node at or above `path` (at least "/").
    [[nodiscard]] std::string_view nearest_existing(std::string_view path) const;
    // Names of the direct children, oldest first.
    [[nodiscard]] std::vector<std::string> children(std::string_view path) const;
    // `path` and all its descendants, each node after its children, siblings oldest first
    // (the order xenstored's rm visits them). Empty if `path` does not exist.
    [[nodiscard]] std::vector<std::string> subtree(std::string_view path) const;

    // Inserts or replaces one node. Precondition: its parent exists. Keeps owner counts.
    // A node with created == 0 gets the next creation number.
    void put(const std::string& path, Node node);
    // Removes one node (not its descendants; the caller removes those first or together).
    void erase(std::string_view path);
    // Changes a node's permissions, keeping owner counts.
    void set_perms(Node& node, Perms perms);

    // Nodes owned by `domid`.
    [[nodiscard]] std::size_t owned_by(DomId domid) const;
    [[nodiscard]] std::size_t size() const { return m_nodes.size(); }

  private:
    void count(DomId owner, bool add);
    void append_subtree(const std::string& path, std::vector<std::string>& out) const;

    std::map<std::string, Node, std::less<>> m_nodes;
    std::map<DomId, std::size_t> m_owned;
    std::uint64_t m_last_created = 0;
};

} // namespace pvisor::store
