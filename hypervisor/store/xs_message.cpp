// xs_message.cpp: framing and per-type payload validation of xenstore messages.
#include "xs_message.hpp"

#include <algorithm>
#include <cstring>

namespace pvisor::store {

std::size_t MessageReader::feed(std::span<const std::byte> in) {
    if (m_complete || m_broken)
        return 0;
    std::size_t used = 0;
    if (m_hdr_have < sizeof m_hdr_bytes) {
        const std::size_t n = std::min(in.size(), sizeof m_hdr_bytes - m_hdr_have);
        std::memcpy(m_hdr_bytes + m_hdr_have, in.data(), n);
        m_hdr_have += n;
        used = n;
        if (m_hdr_have < sizeof m_hdr_bytes)
            return used;
        std::memcpy(&m_msg.hdr, m_hdr_bytes, sizeof m_msg.hdr);
        if (m_msg.hdr.len > XENSTORE_PAYLOAD_MAX) {
            m_broken = true;
            return used;
        }
        m_msg.payload.reserve(m_msg.hdr.len);
    }
    const std::size_t want = m_msg.hdr.len - m_msg.payload.size();
    const std::size_t n = std::min(in.size() - used, want);
    m_msg.payload.append(reinterpret_cast<const char*>(in.data() + used), n); // NOLINT
    used += n;
    m_complete = m_msg.payload.size() == m_msg.hdr.len;
    return used;
}

XsMessage MessageReader::take() {
    XsMessage out = std::move(m_msg);
    m_msg = XsMessage{};
    m_hdr_have = 0;
    m_complete = false;
    return out;
}

namespace {

// Splits NUL-terminated strings; false if the payload does not end in NUL.
bool split_strings(std::string_view p, std::vector<std::string_view>& out) {
    if (p.empty() || p.back() != '\0')
        return false;
    while (!p.empty()) {
        const auto nul = p.find('\0');
        out.push_back(p.substr(0, nul));
        p.remove_prefix(nul + 1);
    }
    return true;
}

// "" or a lone "\0": the empty argument list of TRANSACTION_START and RESET_WATCHES.
bool empty_payload(std::string_view p) {
    return p.empty() || p == std::string_view("\0", 1);
}

// Number of NUL-terminated strings each type takes: {min, max}.
struct Shape {
    std::size_t min;
    std::size_t max;
};

std::optional<Shape> shape_of(std::uint32_t type) {
    switch (type) {
    case XS_CONTROL:
    case XS_DIRECTORY:
    case XS_READ:
    case XS_GET_PERMS:
    case XS_MKDIR:
    case XS_RM:
    case XS_GET_DOMAIN_PATH:
    case XS_RELEASE:
    case XS_TRANSACTION_END:
        return Shape{1, 1};
    case XS_WATCH:
    case XS_UNWATCH:
    case kXsDirectoryPart:
        return Shape{2, 2};
    case XS_INTRODUCE:
        return Shape{3, 3};
    case XS_SET_PERMS:
        return Shape{2, 1 + XENSTORE_PAYLOAD_MAX};
    default:
        return std::nullopt;
    }
}

} // namespace

XsResult<XsRequest> parse_request(const XsMessage& msg) {
    XsRequest req{msg.hdr.type, msg.hdr.req_id, msg.hdr.tx_id, {}, {}};
    const std::string_view p = msg.payload;
    switch (req.type) {
    case XS_TRANSACTION_START:
    case XS_RESET_WATCHES:
        return empty_payload(p) ? XsResult<XsRequest>(std::move(req)) : XsErr::einval;
    case XS_WRITE: {
        const auto nul = p.find('\0');
        if (nul == std::string_view::npos)
            return XsErr::einval;
        req.args.push_back(p.substr(0, nul));
        req.value = p.substr(nul + 1);
        return req;
    }
    default:
        break;
    }
    const auto shape = shape_of(req.type);
    if (!shape || !split_strings(p, req.args))
        return XsErr::einval;
    if (req.args.size() < shape->min || req.args.size() > shape->max)
        return XsErr::einval;
    return req;
}

void append_message(std::string& out, std::uint32_t type, std::uint32_t req_id, std::uint32_t tx_id,
                    std::string_view payload) {
    const xsd_sockmsg hdr{type, req_id, tx_id, static_cast<std::uint32_t>(payload.size())};
    out.append(reinterpret_cast<const char*>(&hdr), sizeof hdr); // NOLINT: byte view of POD
    out.append(payload);
}

void append_error(std::string& out, const XsRequest& req, XsErr err) {
    std::string payload(xs_err_name(err));
    payload += '\0';
    append_message(out, XS_ERROR, req.req_id, req.tx_id, payload);
}

} // namespace pvisor::store
