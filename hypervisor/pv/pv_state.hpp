// pv_state.hpp: the PV services' saved state (event channels, timers, grant frames, balloon,
// pvisor system time), as plain values; hypervisor/snapshot encodes it as stream records.
#pragma once

#include <cstdint>
#include <vector>

namespace pvisor {

// One open event channel. `state` is SavedPortState; the other fields as EventChannels keeps
// them. Ports bound to a backend (host, backend) are saved as unbound to domain 0: the backend
// binds them again when it attaches to the restored domain.
enum class SavedPortState : std::uint8_t { unbound = 1, interdomain = 2, virq = 3, ipi = 4, host = 5 };

struct SavedPort {
    std::uint32_t port = 0;
    std::uint8_t state = 0; // SavedPortState
    std::uint8_t pad = 0;
    std::uint16_t remote_dom = 0;
    std::uint32_t vcpu = 0;
    std::uint32_t virq = 0;
    std::uint32_t remote_port = 0;
};
static_assert(sizeof(SavedPort) == 20);

// One vCPU's timers in pvisor system time. 0 = not armed.
struct SavedTimer {
    std::uint64_t oneshot_deadline_ns = 0; // absolute
    std::uint64_t periodic_next_ns = 0;    // absolute: the next expiry
    std::uint64_t period_ns = 0;
    std::uint32_t held = 0; // expired while paused, not delivered yet (1 or 0)
    std::uint32_t pad = 0;
};
static_assert(sizeof(SavedTimer) == 32);

struct PvState {
    std::uint64_t system_time_ns = 0;  // pvisor system time when saved
    std::uint64_t shared_info_gpa = 0; // 0: the guest placed none
    std::uint32_t console_port = 0;    // HVM_PARAM_CONSOLE_EVTCHN
    std::uint32_t store_port = 0;      // HVM_PARAM_STORE_EVTCHN
    std::vector<SavedPort> ports;      // ascending port order
    std::vector<SavedTimer> timers;    // one per vCPU
    std::vector<std::uint64_t> grant_frames; // GPAs, in frame order
    std::vector<std::uint64_t> balloon_out;  // frames given back, ascending
};

} // namespace pvisor
