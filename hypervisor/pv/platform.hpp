// platform.hpp: the contract between the VMM (KVM, vCPUs, devices) and the PV services
// (hypercalls, event channels, timers, console, grants, store) it hosts.
#pragma once

#include "guest_memory.hpp"
#include "result.hpp"

#include <cstdint>

namespace pvisor {

enum class ShutdownReason : std::uint8_t {
    poweroff,    // exit status 0
    reboot,      // 3
    triple_fault, // 4
    crash,       // 5
    watchdog,    // 6
};

// Registers of a hypercall, read by the VMM on the exit (pv/pvisor.h register order).
struct HypercallRegs {
    std::uint64_t nr = 0;
    std::uint64_t args[5] = {}; // rdi, rsi, rdx, r10, r8
};

// The calling vCPU during one exit. Valid only on that vCPU's thread, for that exit.
class VcpuAccess {
  public:
    virtual ~VcpuAccess() = default;
    [[nodiscard]] virtual unsigned id() const = 0;
    // Current privilege level of the guest code that made the call.
    [[nodiscard]] virtual unsigned cpl() const = 0;
    // Translates a guest virtual address through this vCPU's page tables (KVM_TRANSLATE).
    // Returns the guest-physical address; Errc::bad_address if unmapped (or not writable
    // when `write`).
    [[nodiscard]] virtual Result<std::uint64_t> translate_gva(std::uint64_t gva, bool write) = 0;
    // The guest's TSC now (for vcpu_time_info), read on this vCPU.
    [[nodiscard]] virtual Result<std::uint64_t> guest_tsc() = 0;
    // Guest TSC frequency in kHz.
    [[nodiscard]] virtual std::uint64_t tsc_khz() const = 0;
};

// What the VMM offers the PV services. Every method is thread-safe unless it says otherwise.
class Platform {
  public:
    virtual ~Platform() = default;
    [[nodiscard]] virtual const GuestMemory& memory() const = 0;
    [[nodiscard]] virtual unsigned vcpu_count() const = 0;
    // Raises vCPU `vcpu`'s upcall interrupt (its MSI-X entry, through an irqfd). Does
    // nothing if the guest has not enabled that entry yet; the PV services re-raise pending
    // upcalls when notified through upcall_enabled().
    virtual void raise_upcall(unsigned vcpu) = 0;
    // Ends the guest: vCPU threads stop, `pvisor run` exits with the reason's status.
    virtual void request_shutdown(ShutdownReason reason) = 0;
    // Registers an ioeventfd on PV_NOTIFY_PORT with data match `port`: the guest's sends on
    // that port then signal `eventfd` without a VM exit.
    [[nodiscard]] virtual Status add_notify_eventfd(std::uint32_t port, int eventfd) = 0;
    [[nodiscard]] virtual Status remove_notify_eventfd(std::uint32_t port, int eventfd) = 0;
};

// What the VMM calls into. Implemented by hypervisor/pv (PvServices).
class PvHooks {
  public:
    virtual ~PvHooks() = default;
    // `inl $PV_HCALL_PORT` on a vCPU thread; the return value goes to the guest's eax.
    virtual std::int32_t hypercall(VcpuAccess& vcpu, const HypercallRegs& regs) = 0;
    // `outl $PV_NOTIFY_PORT` that no ioeventfd matched: EVTCHNOP_send(port) without result.
    virtual void notify(VcpuAccess& vcpu, std::uint32_t port) = 0;
    // The guest wrote MSI-X entry `vcpu` of the platform device and unmasked it.
    virtual void upcall_enabled(unsigned vcpu) = 0;
    // The VM is stopping: vCPU threads are about to be joined, so any vCPU waiting inside a
    // hypercall (SCHEDOP_block/poll) must return now.
    virtual void vcpus_stopping() {}
    // The toolstack paused (true) or unpaused (false) the domain. While paused, timers must
    // not raise upcalls (they are delivered at unpause) and a vCPU waiting inside a
    // hypercall (SCHEDOP_block/poll) must return, so that it parks.
    virtual void pause_changed(bool /*paused*/) {}
};

} // namespace pvisor
