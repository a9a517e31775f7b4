// event_channels.hpp: the domain's 2-level event channel table and Xen's set-pending rule.
#pragma once

#include "platform.hpp"
#include "pv_state.hpp"

#include <pv/event_channel.h>
#include <pv/pvisor.h>
#include <pv/shared_info.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <vector>

namespace pvisor {

// A guest port whose other end is the host (domain 0): pvisor's own services or a backend.
// Guest sends on it signal `on_send` (or, once registered, the ioeventfd without an exit).
struct HostBinding {
    std::function<void()> on_send;
};

struct EventCounters {
    std::atomic<std::uint64_t> sends{0};
    std::atomic<std::uint64_t> set_pending{0};
    std::atomic<std::uint64_t> upcalls_raised{0};
    std::atomic<std::uint64_t> host_notifies{0};
    std::atomic<std::uint64_t> bad_sends{0};
};

// All state changes take m_lock; set_pending touches only the shared_info bitmaps, with
// locked atomics, and may run on any thread (vCPU threads, the event thread).
class EventChannels {
  public:
    static constexpr std::uint32_t kNrPorts = PV_EVTCHN_2L_NR_PORTS;

    EventChannels(Platform& platform, unsigned vcpus) : m_platform(platform), m_vcpus(vcpus) {}

    // The guest placed shared_info at `gpa` (XENMAPSPACE_shared_info); zeroes it.
    [[nodiscard]] Status set_shared_info(std::uint64_t gpa);
    [[nodiscard]] std::optional<std::uint64_t> shared_info_gpa() const;

    // Guest-facing operations; results are Errc, converted to Xen errno by the caller.
    [[nodiscard]] Result<std::uint32_t> alloc_unbound(std::uint16_t remote_dom);
    [[nodiscard]] Result<std::uint32_t> bind_virq(std::uint32_t virq, std::uint32_t vcpu);
    [[nodiscard]] Result<std::uint32_t> bind_ipi(std::uint32_t vcpu);
    [[nodiscard]] Result<std::uint32_t> bind_interdomain(std::uint16_t remote_dom,
                                                         std::uint32_t remote_port);
    [[nodiscard]] Status bind_vcpu(std::uint32_t port, std::uint32_t vcpu);
    [[nodiscard]] Status close(std::uint32_t port);
    [[nodiscard]] Status send(std::uint32_t port);
    [[nodiscard]] Status unmask(std::uint32_t port);
    [[nodiscard]] Result<evtchn_status> status(std::uint32_t port) const;

    // Host side: a port bound interdomain to domain 0, created by pvisor (store, console).
    [[nodiscard]] Result<std::uint32_t> bind_host_port(HostBinding binding);
    // A backend binds the guest's port `port` (alloc_unbound with remote domain 0) to the
    // host: it becomes host-bound with `binding`. Errc::invalid_argument unless unbound/dom 0.
    [[nodiscard]] Status bind_unbound_to_host(std::uint32_t port, HostBinding binding);
    // The backend's end closed: host-bound `port` (bound by bind_unbound_to_host) returns to
    // unbound with remote domain 0, as Xen leaves a port whose remote end closed.
    [[nodiscard]] Status unbind_to_unbound(std::uint32_t port);
    // Replaces what a guest send on host-bound `port` does.
    [[nodiscard]] Status set_host_handler(std::uint32_t port, std::function<void()> on_send);
    // Raises a host-bound port towards the guest (the host party notifies).
    void raise_host_port(std::uint32_t port);
    // Fires VIRQ `virq` on `vcpu` if the guest bound it.
    void raise_virq(std::uint32_t virq, std::uint32_t vcpu);
    // Re-raises the upcall of `vcpu` if events are pending (after the guest enabled it).
    void reraise(unsigned vcpu);
    // True if vcpu has an upcall pending (for SCHEDOP_block/poll).
    [[nodiscard]] bool upcall_pending(unsigned vcpu) const;
    [[nodiscard]] bool port_pending(std::uint32_t port) const;

    // Save/restore. save() lists every open port (backend-bound ports as unbound to
    // domain 0). restore() runs on a table where only pvisor's own host ports exist (the
    // console and store, bound again at the same numbers): it re-opens every other port and
    // places shared_info at `shared_info_gpa` without zeroing it (its pending bits and masks
    // came back with guest memory). Errc::invalid_argument for a port, state, vCPU or VIRQ
    // out of range, a host port that is not one of pvisor's, or a misplaced shared_info.
    [[nodiscard]] std::vector<SavedPort> save() const;
    [[nodiscard]] Status restore(std::uint64_t shared_info_gpa, const std::vector<SavedPort>& ports);

    [[nodiscard]] const EventCounters& counters() const noexcept { return m_counters; }
    // Called (on the setting thread) each time a port becomes pending, masked or not, after
    // the bit is visible: SCHEDOP_block/poll sleepers wait on it. Set before first use.
    void set_pending_observer(std::function<void()> fn) { m_pending_observer = std::move(fn); }

  private:
    // set_pending's work; true if the port's pending bit was newly set.
    bool mark_pending(std::uint32_t port, std::uint32_t vcpu);
    enum class State : std::uint8_t { closed, unbound, interdomain, virq, ipi, host };
    struct Port {
        State state = State::closed;
        std::uint32_t vcpu = 0;
        std::uint32_t virq = 0;
        std::uint16_t remote_dom = 0;
        std::uint32_t remote_port = 0;
        std::size_t host = 0; // index into m_host when state == host
    };

    [[nodiscard]] Result<std::uint32_t> alloc_port_locked();
    [[nodiscard]] bool valid_port(std::uint32_t port) const noexcept {
        return port > 0 && port < kNrPorts;
    }
    // Xen's event_2l set-pending; returns true if it raised an upcall.
    void set_pending(std::uint32_t port, std::uint32_t vcpu);
    [[nodiscard]] std::uint64_t* word(std::size_t offset) const;

    Platform& m_platform;
    const unsigned m_vcpus;
    mutable std::mutex m_lock;
    std::array<Port, kNrPorts> m_ports{};
    std::vector<HostBinding> m_host;
    std::vector<std::size_t> m_host_free; // m_host slots released by unbind_to_unbound
    [[nodiscard]] std::size_t add_host_locked(HostBinding binding);
    std::array<std::array<std::uint32_t, NR_VIRQS>, PV_MAX_VCPUS> m_virq_port{};
    std::atomic<std::uint64_t> m_shared_info_gpa{0}; // 0: not placed yet
    EventCounters m_counters;
    std::function<void()> m_pending_observer;
};

} // namespace pvisor
