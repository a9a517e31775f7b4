// api.cpp: API error names and reply builders.
#include "api.hpp"

namespace pvisor::toolstack {

const char* api_error_name(ApiError e) {
    switch (e) {
    case ApiError::bad_request:
        return "bad_request";
    case ApiError::unknown_op:
        return "unknown_op";
    case ApiError::invalid_argument:
        return "invalid_argument";
    case ApiError::invalid_config:
        return "invalid_config";
    case ApiError::no_such_domain:
        return "no_such_domain";
    case ApiError::exists:
        return "exists";
    case ApiError::bad_state:
        return "bad_state";
    case ApiError::no_such_device:
        return "no_such_device";
    case ApiError::timed_out:
        return "timed_out";
    case ApiError::io_error:
        return "io_error";
    case ApiError::internal:
        return "internal";
    }
    return "internal";
}

Json api_fail(ApiError code, const std::string& message) {
    return Json{{"ok", false}, {"error", {{"code", api_error_name(code)}, {"message", message}}}};
}

} // namespace pvisor::toolstack
