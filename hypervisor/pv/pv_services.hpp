// pv_services.hpp: creates the PV services (hypercalls, event channels, timers, console)
// that a VMM hosts behind the PvHooks interface.
#pragma once

#include "platform.hpp"
#include "pv_state.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace pvisor {

struct PvConfig {
    unsigned vcpus = 1;
    // Serve the PV console on pvisor's stdin/stdout (false: output discarded, no input).
    bool console_on_stdio = true;
    // If set, console input is scanned for kConsoleEscape (host_terminal.hpp): the bytes
    // before it reach the guest, then this runs (pvisor stops the guest).
    std::function<void()> on_console_escape;
    // If set, also gets all console output (the console attach socket).
    std::function<void(const char* data, std::size_t len)> console_tap;
};

// The running PV services of one domain. start() begins the event thread (timers, host
// notifications, console input); stop() ends it. Both are called by the VMM's main thread.
class PvServices : public PvHooks {
  public:
    static Result<std::unique_ptr<PvServices>> create(Platform& platform, const PvConfig& config);
    [[nodiscard]] virtual Status start() = 0;
    virtual void stop() = 0;

    // The guest port of the store ring (HVM_PARAM_STORE_EVTCHN), bound to the host.
    [[nodiscard]] virtual std::uint32_t store_port() const = 0;
    // Connects a host party to one of its host-bound ports: guest sends on `port` then
    // signal `eventfd` (through a KVM ioeventfd, so without a VM exit). Call before start().
    [[nodiscard]] virtual Status connect_host_port(std::uint32_t port, int eventfd) = 0;
    // A backend (over the control socket) binds the guest's unbound port `port` (remote
    // domain 0): guest sends then signal `eventfd`. Works before and after start().
    [[nodiscard]] virtual Status bind_backend_port(std::uint32_t port, int eventfd) = 0;
    // Undoes bind_backend_port: the port is unbound again (remote domain 0) and `eventfd`
    // no longer signalled; the caller may close it afterwards.
    [[nodiscard]] virtual Status unbind_backend_port(std::uint32_t port, int eventfd) = 0;
    // The host party notifies the guest on `port` (any thread).
    virtual void raise_host_port(std::uint32_t port) = 0;
    // Console input from another source than stdin (the console attach socket): queued on
    // the console ring, the guest notified; what does not fit the ring is dropped, as for
    // stdin. Any thread.
    virtual void console_input(const char* data, std::size_t len) = 0;
    // Appends the services' counters as "name value" lines (any thread).
    virtual void append_counters(std::string& out) const = 0;
    // GPAs of the guest's grant table frames in order (ref r is in frame r / 512), as placed
    // by add_to_physmap(XENMAPSPACE_grant_table); for backends attaching. Any thread.
    [[nodiscard]] virtual std::vector<std::uint64_t> grant_frame_gpas() const = 0;

    // Save: the domain is paused (no vCPU in a hypercall). Any thread.
    [[nodiscard]] virtual PvState save_state() const = 0;
    // Restore into services just created (before start()), guest memory already loaded:
    // system time resumes, ports, shared_info, grant frames, balloon and timers come back.
    // Errc::invalid_argument (and `why`) if the state does not fit this domain.
    [[nodiscard]] virtual Status restore_state(const PvState& state, std::string& why) = 0;
    // After restore and start(): raises every vCPU's upcall whose events are pending, so that
    // nothing set pending before the save waits for an unrelated event.
    virtual void kick_pending() = 0;
};

} // namespace pvisor
