// exit_tally.hpp: userspace exits counted by reason in exit_bench's own KVM_RUN loop, and
// what one benchmark run saw (the row of the summary table).
#pragma once

#include <cstdint>
#include <linux/kvm.h>
#include <map>
#include <pv/pvisor.h>
#include <string>

namespace pvisor::bench {

struct ExitTally {
    std::uint64_t hypercall = 0; // KVM_EXIT_IO on PV_HCALL_PORT
    std::uint64_t notify = 0;    // KVM_EXIT_IO on PV_NOTIFY_PORT (no ioeventfd took it)
    std::uint64_t pio = 0;       // other port I/O
    std::uint64_t mmio = 0;
    std::uint64_t hlt = 0;   // only with a userspace irqchip; 0 here
    std::uint64_t other = 0; // KVM_EXIT_INTR, shutdown, ...

    // Counts the exit KVM_RUN just reported in `run`.
    void add(const kvm_run& run) noexcept {
        switch (run.exit_reason) {
        case KVM_EXIT_IO:
            ++(run.io.port == PV_HCALL_PORT    ? hypercall
               : run.io.port == PV_NOTIFY_PORT ? notify
                                               : pio);
            break;
        case KVM_EXIT_MMIO:
            ++mmio;
            break;
        case KVM_EXIT_HLT:
            ++hlt;
            break;
        default:
            ++other;
            break;
        }
    }
    [[nodiscard]] std::uint64_t userspace() const noexcept {
        return hypercall + notify + pio + mmio + hlt + other;
    }
};

// What one benchmark's last (largest) run saw.
struct Row {
    std::uint64_t ops = 0;       // calls, notifications or interrupts injected
    double ns_per_op = 0;        // wall time of the measured loop / ops
    double cpu_ns_per_op = 0;    // CPU time of the benchmark's thread in the loop / ops
    ExitTally exits;             // exits of the vCPU during the loop
    std::uint64_t delivered = 0; // notifications the reader got / interrupts the guest counted
    std::uint64_t inject_ns = 0; // time inside the injecting call alone (inject rows)
    std::string error;           // empty when the run was clean
};

using Rows = std::map<std::string, Row>;

} // namespace pvisor::bench
