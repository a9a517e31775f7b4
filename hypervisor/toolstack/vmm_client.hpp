// vmm_client.hpp: one request to a VMM's management socket (<dom dir>/vmm.sock).
#pragma once

#include "json.hpp"

#include <optional>
#include <string>

namespace pvisor::toolstack {

// Sends `request` as one line and returns the reply object; nullopt (and `why`) if the VMM
// cannot be reached, does not answer within `timeout_ms`, or answers something else than
// one JSON object.
[[nodiscard]] std::optional<Json> vmm_request(const std::string& socket_path, const Json& request,
                                              std::string& why, int timeout_ms = 5000);

// Connects a stream socket to `path` (blocking); -1 and errno on failure.
[[nodiscard]] int connect_unix(const std::string& path);

} // namespace pvisor::toolstack
