// vif_loop.hpp: pvisor-netback's event loop over the vif sessions' store connections.
#pragma once

#include "vif_session.hpp"

#include <functional>
#include <span>

namespace pvisor::backend {

// Serves every session's watch events in one thread until `on_wake` (called when `wake_fd`
// is readable: a signalfd in pvisor-netback, an eventfd in tests; it must consume what made
// the fd readable) returns false, then returns ok. Errc::io_error: a store connection
// closed (pvisor exited); the sessions are left as they are for the caller to shut down.
[[nodiscard]] Status serve_vifs(std::span<VifSession* const> sessions, int wake_fd,
                                const std::function<bool()>& on_wake);

} // namespace pvisor::backend
