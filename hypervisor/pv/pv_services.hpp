// pv_services.hpp: creates the PV services (hypercalls, event channels, timers, console)
// that a VMM hosts behind the PvHooks interface.
#pragma once

#include "platform.hpp"

#include <memory>

namespace pvisor {

struct PvConfig {
    unsigned vcpus = 1;
    // Serve the PV console on pvisor's stdin/stdout (false: output discarded, no input).
    bool console_on_stdio = true;
};

// The running PV services of one domain. start() begins the event thread (timers, host
// notifications, console input); stop() ends it. Both are called by the VMM's main thread.
class PvServices : public PvHooks {
  public:
    static Result<std::unique_ptr<PvServices>> create(Platform& platform, const PvConfig& config);
    [[nodiscard]] virtual Status start() = 0;
    virtual void stop() = 0;
};

} // namespace pvisor
