// kvm_state.hpp: KVM's state of one vCPU and of the VM (in-kernel irqchip, PIT, kvmclock):
// read from KVM and written back in the order that works.
#pragma once

#include "result.hpp"

#include <linux/kvm.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace pvisor::snapshot {

// struct kvm_xsave's 4 KiB region (the C++ view of the kernel struct has the wrong size: its
// flexible tail becomes a byte).
struct XsaveArea {
    std::uint32_t region[1024];
};
static_assert(sizeof(XsaveArea) == 4096);

// One vCPU, in the order restore_vcpu() applies it (the order; TSC before
// TSC_DEADLINE within the MSRs).
struct VcpuState {
    std::vector<kvm_cpuid_entry2> cpuid;
    kvm_mp_state mp_state{};
    kvm_regs regs{};
    kvm_sregs sregs{};
    XsaveArea xsave{};
    kvm_xcrs xcrs{};
    kvm_debugregs debugregs{};
    kvm_lapic_state lapic{};
    std::vector<kvm_msr_entry> msrs;
    kvm_vcpu_events events{};
};

struct VmKvmState {
    std::array<kvm_irqchip, 3> irqchip{}; // PIC master, PIC slave, IOAPIC
    kvm_pit_state2 pit{};
    kvm_clock_data clock{};
};

// The MSRs KVM saves and restores (KVM_GET_MSR_INDEX_LIST), TSC first and TSC_DEADLINE last.
[[nodiscard]] Result<std::vector<std::uint32_t>> msr_index_list(int kvm_fd);
// Orders MSR entries for KVM_SET_MSRS: IA32_TSC first, IA32_TSC_DEADLINE last (its write
// arms the LAPIC timer against the TSC just set), the rest in their given order.
void order_msrs(std::vector<kvm_msr_entry>& msrs);

// Reads a vCPU's state. The vCPU must be out of KVM_RUN with its last exit completed (see
// Vcpu's pause gate). `msrs`: msr_index_list(); MSRs KVM refuses to read are left out.
// On failure `why` names the ioctl and errno.
[[nodiscard]] Result<VcpuState> capture_vcpu(int vcpu_fd, const std::vector<std::uint32_t>& msrs,
                                             std::string& why);
// Writes a vCPU's state back (a new vCPU of a new VM). `why` as above.
[[nodiscard]] Status restore_vcpu(int vcpu_fd, const VcpuState& s, std::string& why);

[[nodiscard]] Result<VmKvmState> capture_vm(int vm_fd, std::string& why);
// After every vCPU was restored: irqchip, PIT, then kvmclock (guest time goes on from the
// saved value: the time the domain was saved does not pass for it).
[[nodiscard]] Status restore_vm(int vm_fd, const VmKvmState& s, std::string& why);

} // namespace pvisor::snapshot
