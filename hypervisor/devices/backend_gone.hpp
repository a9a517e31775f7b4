// backend_gone.hpp: what pvisor writes into the store when a backend's control connection
// closes (ControlConfig::store_write): the device's state, as xl does for a dead backend.
#pragma once

#include "store.hpp"

#include <string>

namespace pvisor {

// Writes `value` at `path` (the device's <backend dir>/state; relative paths are the control
// domain's) as the control domain, only if that node exists and does not say Closed (6)
// already. So a backend that closed its device itself (a detach) and a device the toolstack
// has removed stay as they are: nothing is brought back. The store's answer (ENOENT for a
// missing node, EEXIST for one already Closed).
[[nodiscard]] store::XsStatus write_backend_gone(store::Store& s, const std::string& path,
                                                 const std::string& value);

} // namespace pvisor
