// store_snapshot.cpp: Store's state as bytes and back, so a restarted toolstack keeps it.
//
// Format (version 1), all integers little-endian u32 unless said otherwise:
//   "PVXSSNAP" u32 version
//   u32 nodes,   then per node (parents first): str path, str value, str perms (wire form)
//   u32 domains, then per domain: u32 domid
//   u32 keepers, then per kept connection: u32 domid, u32 watches, per watch: str abs,
//                str token, u32 relative (0|1)
// where str = u32 length + bytes. A snapshot is produced by this code and read back only by
// it, but it sits in a file root can edit: restore() checks every length and path, and takes
// nothing from a snapshot it could not read whole.
#include "store.hpp"

#include <cstring>

namespace pvisor::store {
namespace {

constexpr char kMagic[8] = {'P', 'V', 'X', 'S', 'S', 'N', 'A', 'P'};
constexpr std::uint32_t kVersion = 1;

void put_u32(std::string& out, std::uint32_t v) {
    for (int i = 0; i < 4; ++i)
        out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

void put_str(std::string& out, std::string_view s) {
    put_u32(out, static_cast<std::uint32_t>(s.size()));
    out.append(s);
}

// Reads a snapshot front to back; any read past the end poisons it.
class Reader {
  public:
    explicit Reader(std::string_view in) : m_in(in) {}
    std::uint32_t u32() {
        if (m_in.size() < 4) {
            m_bad = true;
            return 0;
        }
        std::uint32_t v = 0;
        for (int i = 0; i < 4; ++i)
            v |= static_cast<std::uint32_t>(static_cast<unsigned char>(m_in[static_cast<std::size_t>(i)])) << (8 * i);
        m_in.remove_prefix(4);
        return v;
    }
    std::string_view str(std::size_t max) {
        const std::uint32_t n = u32();
        if (m_bad || n > max || n > m_in.size()) {
            m_bad = true;
            return {};
        }
        const std::string_view s = m_in.substr(0, n);
        m_in.remove_prefix(n);
        return s;
    }
    bool magic() {
        if (m_in.size() < sizeof kMagic || std::memcmp(m_in.data(), kMagic, sizeof kMagic) != 0)
            return false;
        m_in.remove_prefix(sizeof kMagic);
        return true;
    }
    [[nodiscard]] bool bad() const { return m_bad; }
    [[nodiscard]] bool done() const { return m_in.empty(); }

  private:
    std::string_view m_in;
    bool m_bad = false;
};

std::vector<std::string_view> split_perms(std::string_view wire) {
    std::vector<std::string_view> out;
    while (!wire.empty()) {
        const auto nul = wire.find('\0');
        out.push_back(wire.substr(0, nul));
        if (nul == std::string_view::npos)
            break;
        wire.remove_prefix(nul + 1);
    }
    return out;
}

} // namespace

std::string Store::snapshot(const std::vector<ConnId>& keep) const {
    std::string out(kMagic, sizeof kMagic);
    put_u32(out, kVersion);
    // Parents before children, siblings oldest first: restore() re-creates them in order.
    std::vector<std::string> paths;
    std::vector<std::string> todo{"/"};
    while (!todo.empty()) {
        std::string path = std::move(todo.back());
        todo.pop_back();
        const auto kids = m_tree.children(path);
        const std::string prefix = path == "/" ? "/" : path + "/";
        for (auto it = kids.rbegin(); it != kids.rend(); ++it)
            todo.push_back(prefix + *it);
        paths.push_back(std::move(path));
    }
    put_u32(out, static_cast<std::uint32_t>(paths.size()));
    for (const auto& path : paths) {
        const Node* node = m_tree.find(path);
        put_str(out, path);
        put_str(out, node->value);
        put_str(out, node->perms.to_wire());
    }
    put_u32(out, static_cast<std::uint32_t>(m_domains.size()));
    for (const DomId d : m_domains)
        put_u32(out, d);
    std::vector<const Connection*> kept;
    for (const ConnId c : keep) {
        const auto it = m_conns.find(c);
        if (it != m_conns.end())
            kept.push_back(it->second.get());
    }
    put_u32(out, static_cast<std::uint32_t>(kept.size()));
    for (const Connection* conn : kept) {
        put_u32(out, conn->domid);
        put_u32(out, static_cast<std::uint32_t>(conn->watches.size()));
        for (const Watch& w : conn->watches) {
            put_str(out, w.abs);
            put_str(out, w.token);
            put_u32(out, w.relative ? 1 : 0);
        }
    }
    return out;
}

XsResult<std::map<DomId, std::vector<Watch>>> Store::restore(std::string_view snap) {
    Reader r(snap);
    if (!r.magic() || r.u32() != kVersion)
        return XsErr::einval;
    Tree tree;
    std::size_t nodes = r.u32();
    if (nodes == 0 || nodes > (1U << 24))
        return XsErr::einval;
    for (std::size_t i = 0; i < nodes && !r.bad(); ++i) {
        const std::string path(r.str(XENSTORE_ABS_PATH_MAX));
        const std::string_view value = r.str(XENSTORE_PAYLOAD_MAX);
        const auto perms = Perms::parse(split_perms(r.str(XENSTORE_PAYLOAD_MAX)));
        if (r.bad() || !perms.ok() || path.empty() || path[0] != '/')
            return XsErr::einval;
        if (path == "/") {
            Node* root = tree.find("/");
            root->value.assign(value);
            tree.set_perms(*root, *perms);
            continue;
        }
        // Parents come first; a node whose parent is missing is a damaged snapshot.
        if (tree.find(parent_path(path)) == nullptr)
            return XsErr::einval;
        tree.put(path, Node{std::string(value), *perms, 0});
    }
    std::set<DomId> domains;
    const std::uint32_t ndom = r.u32();
    for (std::uint32_t i = 0; i < ndom && !r.bad() && i < (1U << 16); ++i)
        domains.insert(static_cast<DomId>(r.u32()));
    std::map<DomId, std::vector<Watch>> watches;
    const std::uint32_t nconn = r.u32();
    for (std::uint32_t i = 0; i < nconn && !r.bad() && i < (1U << 16); ++i) {
        const auto domid = static_cast<DomId>(r.u32());
        const std::uint32_t nw = r.u32();
        if (nw > m_limits.watches_per_conn)
            return XsErr::einval;
        for (std::uint32_t k = 0; k < nw && !r.bad(); ++k) {
            Watch w;
            w.abs = r.str(XENSTORE_ABS_PATH_MAX);
            w.token = r.str(XENSTORE_PAYLOAD_MAX);
            w.relative = r.u32() != 0;
            watches[domid].push_back(std::move(w));
        }
    }
    if (r.bad() || !r.done())
        return XsErr::einval;
    m_tree = std::move(tree);
    m_domains = std::move(domains);
    return watches;
}

void Store::adopt_watches(ConnId c, std::vector<Watch> watches) {
    Connection* conn = find_conn(c);
    if (conn == nullptr)
        return;
    for (Watch& w : watches) {
        if (conn->watches.size() >= m_limits.watches_per_conn)
            break;
        conn->watches.push_back(std::move(w));
    }
}

} // namespace pvisor::store
