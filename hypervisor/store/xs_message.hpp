// xs_message.hpp: xsd_sockmsg framing: a bounded stream reader, request parsing, replies.
#pragma once

#include "pv/xs_wire.h"
#include "store_error.hpp"

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace pvisor::store {

// Xen's XS_DIRECTORY_PART (its io/xs_wire.h; not in pv/xs_wire.h): "path\0offset\0" ->
// "<generation>\0" and the part of the child list from byte `offset` that fits one reply,
// with an extra "\0" after the last part. libxenstore falls back to it when XS_DIRECTORY
// answers E2BIG, and restarts when the generation changes between parts.
constexpr std::uint32_t kXsDirectoryPart = 22;

// One framed message; payload.size() == hdr.len <= XENSTORE_PAYLOAD_MAX.
struct XsMessage {
    xsd_sockmsg hdr{};
    std::string payload;
};

// Reassembles messages from a byte stream, one at a time: feed() stops at the end of a
// message, so at most one header plus XENSTORE_PAYLOAD_MAX bytes are ever buffered. A header
// with len > XENSTORE_PAYLOAD_MAX breaks the stream for good (it cannot be resynchronised).
class MessageReader {
  public:
    // Consumes bytes from `in` up to the end of the current message; returns how many.
    // Consumes nothing while a complete message waits to be taken, or once broken.
    std::size_t feed(std::span<const std::byte> in);
    [[nodiscard]] bool has_message() const { return m_complete; }
    // Precondition: has_message().
    [[nodiscard]] XsMessage take();
    [[nodiscard]] bool broken() const { return m_broken; }
    // Forgets any partial message and the broken state (ring reconnect).
    void reset() { *this = MessageReader{}; }

  private:
    std::byte m_hdr_bytes[sizeof(xsd_sockmsg)]{};
    std::size_t m_hdr_have = 0;
    XsMessage m_msg;
    bool m_complete = false;
    bool m_broken = false;
};

// A request whose payload matched its type's NUL rules. `args` are the NUL-terminated
// strings (without NULs); for XS_WRITE `value` holds the bytes after the path. Both view
// into the XsMessage they were parsed from.
struct XsRequest {
    std::uint32_t type = 0;
    std::uint32_t req_id = 0;
    std::uint32_t tx_id = 0;
    std::vector<std::string_view> args;
    std::string_view value;
};

// Checks the payload against the type's shape (pv/xs_wire.h "Payloads"); EINVAL for a
// malformed payload or an unknown/server-only type.
[[nodiscard]] XsResult<XsRequest> parse_request(const XsMessage& msg);

// Appends one framed message to `out`. Precondition: payload.size() <= XENSTORE_PAYLOAD_MAX.
void append_message(std::string& out, std::uint32_t type, std::uint32_t req_id, std::uint32_t tx_id,
                    std::string_view payload);
// An XS_ERROR reply carrying the error's name ("ENOENT\0").
void append_error(std::string& out, const XsRequest& req, XsErr err);

} // namespace pvisor::store
