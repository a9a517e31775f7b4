// control_protocol.hpp: validation of control-socket requests (the one trust boundary for them).
#pragma once

#include "control_wire.hpp"
#include "result.hpp"

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace pvisor::ctl {

// Why a request was refused; each has a counter in ControlServer and a fixed errno reply.
enum class Fault : std::uint8_t {
    ok = 0,
    truncated,        // longer than kMaxMessage, or its fds did not fit: -EMSGSIZE
    short_message,    // shorter than a Header: -EINVAL
    bad_magic,        // -EPROTO
    bad_version,      // -EPROTONOSUPPORT
    bad_length,       // hdr.len differs from the datagram or the op's struct size: -EINVAL
    bad_op,           // unknown op (or a reply op): -EOPNOTSUPP
    reserved_nonzero, // -EINVAL
    bad_device,       // device path not NUL-terminated, not under "backend/", or odd chars: -EINVAL
    unexpected_fds,   // requests carry no fds: -EINVAL
    not_attached,     // anything before ATTACH: -ENOTCONN
    already_attached, // a second ATTACH: -EISCONN
    bad_port,         // not an unbound port of remote domain 0 (BIND), not ours (UNBIND): -EINVAL
    count
};
inline constexpr std::size_t kFaultCount = static_cast<std::size_t>(Fault::count);

[[nodiscard]] std::string_view fault_name(Fault f) noexcept;
// The negative Linux errno a reply carries for `f`.
[[nodiscard]] std::int32_t fault_errno(Fault f) noexcept;

struct Request {
    Op op = Op::attach;
    std::uint32_t seq = 0;
    std::uint32_t port = 0; // bind, unbind
    std::string device;     // attach
};

// Validates one received datagram. `seq` of a refused request is still reported through
// `seq_out` when the header was readable, so the error reply can echo it.
[[nodiscard]] Result<Request, Fault> parse_request(std::span<const std::byte> bytes,
                                                   std::size_t nfds, bool truncated,
                                                   std::uint32_t& seq_out);

// Builds a reply header for `op`/`seq` with the struct length `len`.
[[nodiscard]] Header reply_header(Op op, std::uint32_t seq, std::uint32_t len) noexcept;
// Builds a request header.
[[nodiscard]] Header request_header(Op op, std::uint32_t seq, std::uint32_t len) noexcept;

} // namespace pvisor::ctl
