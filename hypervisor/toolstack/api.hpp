// api.hpp: the toolstack's JSON API (docs/api.md): error codes and reply builders.
//
// Transport: a unix stream socket (RunDir::api_socket), one JSON object per line each way.
// Request:  {"id": any, "op": "list", ...arguments}
// Progress: {"id": same, "progress": "what is happening"}      zero or more, long ops only
// Reply:    {"id": same, "ok": true, ...result}  or
//           {"id": same, "ok": false, "error": {"code": CODE, "message": "..."}}
#pragma once

#include "json.hpp"

#include <cstddef>
#include <string>

namespace pvisor::toolstack {

// The closed set of error codes a reply carries.
enum class ApiError : std::uint8_t {
    bad_request,      // not JSON, not an object, a field of the wrong kind, line too long
    unknown_op,       // "op" names no operation
    invalid_argument, // a value out of range (a CPU the host lacks, a size, a spec)
    invalid_config,   // the domain's configuration is refused (file, line, key in the message)
    no_such_domain,   // DOM names no domain
    exists,           // a domain of that name exists; a device that exists
    bad_state,        // not possible in the domain's state (paused, dying, ...)
    no_such_device,   // detach of a device the domain does not have
    timed_out,        // a wait ran out (shutdown -w without -F)
    io_error,         // the VMM, a backend or the store did not do what was asked
    internal,         // a broken invariant of the toolstack itself
};

inline constexpr std::size_t kMaxRequestBytes = 64 * 1024;

[[nodiscard]] const char* api_error_name(ApiError e);

// Thrown-free error reply body: {"ok": false, "error": {...}}.
[[nodiscard]] Json api_fail(ApiError code, const std::string& message);
[[nodiscard]] inline Json api_ok() { return Json{{"ok", true}}; }

} // namespace pvisor::toolstack
