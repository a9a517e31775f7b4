// store_protocol.cpp: one handler per message type; errors become names in one place.
#include "store_protocol.hpp"

#include <charconv>

namespace pvisor::store {
namespace {

std::optional<std::uint32_t> parse_u32(std::string_view s) {
    std::uint32_t v = 0;
    const char* end = s.data() + s.size();
    const auto [ptr, ec] = std::from_chars(s.data(), end, v);
    if (s.empty() || ec != std::errc() || ptr != end)
        return std::nullopt;
    return v;
}

std::optional<DomId> parse_domid(std::string_view s) {
    const auto v = parse_u32(s);
    if (!v || *v > 0xffffU)
        return std::nullopt;
    return static_cast<DomId>(*v);
}

const std::string kOk("OK\0", 3);

std::string nul_terminated(std::string s) {
    s += '\0';
    return s;
}

std::string join_names(const std::vector<std::string>& names) {
    std::string out;
    for (const auto& n : names) {
        out += n;
        out += '\0';
    }
    return out;
}

XsResult<std::string> ok_or(XsStatus s) {
    if (!s)
        return s.error();
    return kOk;
}

XsResult<std::string> set_perms(Store& st, ConnId c, const XsRequest& r) {
    const std::vector<std::string_view> entries(r.args.begin() + 1, r.args.end());
    auto perms = Perms::parse(entries);
    XS_TRY(perms);
    return ok_or(st.set_perms(c, r.tx_id, r.args[0], *perms));
}

// xenstored's send_directory_part: whole names from byte `offset` of the child list while
// they fit one reply; the last part carries an extra NUL (kXsDirectoryPart).
XsResult<std::string> directory_part(Store& st, ConnId c, const XsRequest& r) {
    const auto offset = parse_u32(r.args[1]);
    if (!offset)
        return XsErr::einval;
    auto names = st.directory(c, r.tx_id, r.args[0]);
    XS_TRY(names);
    auto gen = st.generation(c, r.tx_id, r.args[0]);
    XS_TRY(gen);
    const std::string children = join_names(*names);
    std::string out = nul_terminated(std::to_string(*gen));
    if (*offset >= children.size())
        return nul_terminated(std::move(out));
    const std::size_t off = *offset;
    const std::size_t room = XENSTORE_PAYLOAD_MAX - out.size() - 1;
    std::size_t len = 0;
    while (off + len < children.size()) {
        const std::size_t name = children.find('\0', off + len) - (off + len);
        if (len + name >= room)
            break;
        len += name + 1;
    }
    out.append(children, off, len);
    if (off + len == children.size())
        out += '\0';
    return out;
}

XsResult<std::string> transaction_start(Store& st, ConnId c, const XsRequest& r) {
    if (r.tx_id != 0)
        return XsErr::ebusy; // no nested transactions
    auto id = st.transaction_start(c);
    XS_TRY(id);
    return nul_terminated(std::to_string(*id));
}

XsResult<std::string> transaction_end(Store& st, ConnId c, const XsRequest& r) {
    if (r.args[0] != "T" && r.args[0] != "F")
        return XsErr::einval;
    return ok_or(st.transaction_end(c, r.tx_id, r.args[0] == "T"));
}

XsResult<std::string> introduce(Store& st, ConnId c, const XsRequest& r) {
    if (st.domid_of(c) != 0)
        return XsErr::eacces;
    const auto domid = parse_domid(r.args[0]);
    if (!domid || !parse_u32(r.args[1]) || !parse_u32(r.args[2]))
        return XsErr::einval;
    return ok_or(st.introduce_domain(*domid, "domain-" + std::to_string(*domid)));
}

XsResult<std::string> release(Store& st, ConnId c, const XsRequest& r) {
    if (st.domid_of(c) != 0)
        return XsErr::eacces;
    const auto domid = parse_domid(r.args[0]);
    if (!domid)
        return XsErr::einval;
    return ok_or(st.release_domain(*domid));
}

// XS_CONTROL "stats" (control domain only): the store's counters as "name value" lines.
XsResult<std::string> control(Store& st, ConnId c, const XsRequest& r) {
    if (st.domid_of(c) != 0)
        return XsErr::eacces;
    if (r.args[0] != "stats")
        return XsErr::einval;
    const StoreCounters& k = st.counters();
    const std::pair<const char*, std::uint64_t> rows[] = {
        {"nodes", st.node_count()},
        {"requests", k.requests},
        {"errors", k.errors},
        {"watch_events", k.watch_events},
        {"events_dropped", k.events_dropped},
        {"tx_commits", k.tx_commits},
        {"tx_conflicts", k.tx_conflicts},
        {"peers_broken", k.peers_broken},
    };
    std::string out;
    for (const auto& [name, value] : rows)
        out += std::string(name) + " " + std::to_string(value) + "\n";
    return nul_terminated(std::move(out));
}

XsResult<std::string> dispatch(Store& st, ConnId c, const XsRequest& r) {
    const auto& a = r.args;
    switch (r.type) {
    case XS_READ:
        return st.read(c, r.tx_id, a[0]);
    case XS_WRITE:
        return ok_or(st.write(c, r.tx_id, a[0], r.value));
    case XS_MKDIR:
        return ok_or(st.mkdir(c, r.tx_id, a[0]));
    case XS_RM:
        return ok_or(st.rm(c, r.tx_id, a[0]));
    case XS_DIRECTORY: {
        auto names = st.directory(c, r.tx_id, a[0]);
        XS_TRY(names);
        return join_names(*names);
    }
    case kXsDirectoryPart:
        return directory_part(st, c, r);
    case XS_GET_PERMS: {
        auto perms = st.get_perms(c, r.tx_id, a[0]);
        XS_TRY(perms);
        return perms->to_wire();
    }
    case XS_SET_PERMS:
        return set_perms(st, c, r);
    case XS_WATCH:
        return ok_or(st.watch(c, a[0], a[1]));
    case XS_UNWATCH:
        return ok_or(st.unwatch(c, a[0], a[1]));
    case XS_RESET_WATCHES:
        st.reset_watches(c);
        return kOk;
    case XS_TRANSACTION_START:
        return transaction_start(st, c, r);
    case XS_TRANSACTION_END:
        return transaction_end(st, c, r);
    case XS_GET_DOMAIN_PATH: {
        const auto domid = parse_domid(a[0]);
        if (!domid)
            return XsErr::einval;
        return nul_terminated(domain_path(*domid));
    }
    case XS_INTRODUCE:
        return introduce(st, c, r);
    case XS_RELEASE:
        return release(st, c, r);
    case XS_CONTROL:
        return control(st, c, r);
    default:
        return XsErr::einval;
    }
}

} // namespace

void serve_message(Store& store, ConnId conn, const XsMessage& msg, std::string& out) {
    auto req = parse_request(msg);
    if (!req) {
        store.note_request(true);
        const XsRequest bare{msg.hdr.type, msg.hdr.req_id, msg.hdr.tx_id, {}, {}};
        append_error(out, bare, req.error());
        return;
    }
    auto result = dispatch(store, conn, *req);
    // A reply must fit one message (a huge directory listing, say).
    if (result && result->size() > XENSTORE_PAYLOAD_MAX)
        result = XsErr::e2big;
    store.note_request(!result.ok());
    if (!result)
        append_error(out, *req, result.error());
    else
        append_message(out, req->type, req->req_id, req->tx_id, *result);
}

void append_events(Store& store, ConnId conn, std::string& out, std::size_t limit) {
    while (out.size() < limit) {
        auto ev = store.pop_event(conn);
        if (!ev)
            return;
        std::string payload = std::move(ev->path);
        payload += '\0';
        payload += ev->token;
        payload += '\0';
        if (payload.size() <= XENSTORE_PAYLOAD_MAX)
            append_message(out, XS_WATCH_EVENT, 0, 0, payload);
        else
            store.note_event_dropped();
    }
}

} // namespace pvisor::store
