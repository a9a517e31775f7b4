// result.cpp: names of host-side error codes, for logs and CLI messages.
#include "result.hpp"

namespace pvisor {

std::string_view errc_name(Errc e) noexcept {
    switch (e) {
    case Errc::ok: return "ok";
    case Errc::invalid_argument: return "invalid argument";
    case Errc::bad_address: return "bad guest address";
    case Errc::no_space: return "no space";
    case Errc::not_found: return "not found";
    case Errc::exists: return "already exists";
    case Errc::permission_denied: return "permission denied";
    case Errc::busy: return "busy";
    case Errc::again: return "try again";
    case Errc::not_supported: return "not supported";
    case Errc::io_error: return "I/O error";
    case Errc::no_memory: return "out of memory";
    case Errc::too_big: return "too big";
    case Errc::timed_out: return "timed out";
    case Errc::protocol_error: return "protocol error";
    case Errc::system_error: return "system error";
    }
    return "unknown error";
}

} // namespace pvisor
