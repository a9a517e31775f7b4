// control_protocol.cpp: control request parsing and the fault table.
#include "control_protocol.hpp"

#include <array>
#include <cerrno>
#include <cstring>

namespace pvisor::ctl {

namespace {

struct FaultInfo {
    std::string_view name;
    std::int32_t err;
};

constexpr std::array<FaultInfo, kFaultCount> kFaults = {{
    {"ok", 0},
    {"truncated", -EMSGSIZE},
    {"short_message", -EINVAL},
    {"bad_magic", -EPROTO},
    {"bad_version", -EPROTONOSUPPORT},
    {"bad_length", -EINVAL},
    {"bad_op", -EOPNOTSUPP},
    {"reserved_nonzero", -EINVAL},
    {"bad_device", -EINVAL},
    {"unexpected_fds", -EINVAL},
    {"not_attached", -ENOTCONN},
    {"already_attached", -EISCONN},
    {"bad_port", -EINVAL},
}};

std::size_t request_size(Op op) {
    switch (op) {
    case Op::attach:
        return sizeof(AttachRequest);
    case Op::grant_frames:
        return sizeof(GrantFramesRequest);
    case Op::pin_journal:
        return sizeof(PinJournalRequest);
    case Op::store_ring:
        return sizeof(StoreRingRequest);
    case Op::bind:
    case Op::unbind:
        return sizeof(PortRequest);
    }
    return 0;
}

bool known_op(std::uint16_t op) {
    return op >= 1 && op <= static_cast<std::uint16_t>(Op::store_ring);
}

// A store path below backend/: [A-Za-z0-9/_-], no "//", no trailing '/'.
bool valid_device(std::string_view d) {
    if (d.empty())
        return true;
    if (!d.starts_with("backend/") || d.back() == '/' || d.find("//") != std::string_view::npos)
        return false;
    for (const char c : d) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (c >= '0' && c <= '9') || c == '/' || c == '_' || c == '-';
        if (!ok)
            return false;
    }
    return true;
}

Result<Request, Fault> parse_body(Op op, std::span<const std::byte> bytes) {
    Request r;
    r.op = op;
    if (op == Op::attach) {
        AttachRequest a;
        std::memcpy(&a, bytes.data(), sizeof a);
        const void* nul = std::memchr(a.device, 0, sizeof a.device);
        if (nul == nullptr)
            return Fault::bad_device;
        r.device = a.device;
        if (!valid_device(r.device))
            return Fault::bad_device;
    } else if (op == Op::bind || op == Op::unbind) {
        PortRequest p;
        std::memcpy(&p, bytes.data(), sizeof p);
        if (p.reserved != 0)
            return Fault::reserved_nonzero;
        r.port = p.port;
    }
    return r;
}

} // namespace

std::string_view fault_name(Fault f) noexcept {
    const auto i = static_cast<std::size_t>(f);
    return i < kFaultCount ? kFaults[i].name : "unknown";
}

std::int32_t fault_errno(Fault f) noexcept {
    const auto i = static_cast<std::size_t>(f);
    return i < kFaultCount ? kFaults[i].err : -EINVAL;
}

Result<Request, Fault> parse_request(std::span<const std::byte> bytes, std::size_t nfds,
                                     bool truncated, std::uint32_t& seq_out) {
    seq_out = 0;
    if (bytes.size() < sizeof(Header))
        return truncated ? Fault::truncated : Fault::short_message;
    Header h;
    std::memcpy(&h, bytes.data(), sizeof h);
    if (h.magic != kMagic)
        return Fault::bad_magic;
    seq_out = h.seq;
    if (truncated)
        return Fault::truncated;
    if (h.version != kVersion)
        return Fault::bad_version;
    if (!known_op(h.op))
        return Fault::bad_op;
    const auto op = static_cast<Op>(h.op);
    if (h.len != bytes.size() || h.len != request_size(op))
        return Fault::bad_length;
    if (nfds != 0)
        return Fault::unexpected_fds;
    PV_TRY_ASSIGN(req, parse_body(op, bytes));
    req.seq = h.seq;
    return req;
}

Header reply_header(Op op, std::uint32_t seq, std::uint32_t len) noexcept {
    return Header{kMagic, kVersion,
                  static_cast<std::uint16_t>(static_cast<std::uint16_t>(op) | kReplyFlag), seq,
                  len};
}

Header request_header(Op op, std::uint32_t seq, std::uint32_t len) noexcept {
    return Header{kMagic, kVersion, static_cast<std::uint16_t>(op), seq, len};
}

} // namespace pvisor::ctl
