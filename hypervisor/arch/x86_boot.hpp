// x86_boot.hpp: long-mode CPU state for the first instruction: identity page tables, GDT,
// segment/control registers, and the CPUID table pvisor gives each vCPU.
#pragma once

#include "guest_memory.hpp"
#include "result.hpp"

#include <linux/kvm.h>

#include <cstdint>
#include <vector>

namespace pvisor {

// Writes a 4-level identity map of the first 4 GiB (2 MiB pages) at `pml4_gpa` (5 pages)
// and a flat GDT (null, null, code64 at 0x10, data at 0x18, TSS at 0x20) at `gdt_gpa`.
[[nodiscard]] Status write_boot_tables(const GuestMemory& mem, std::uint64_t pml4_gpa,
                                       std::uint64_t gdt_gpa);

// Long mode, paging on, CS=0x10 64-bit, data segments 0x18.
void set_long_mode_sregs(kvm_sregs& s, std::uint64_t pml4_gpa, std::uint64_t gdt_gpa);

// KVM's supported CPUID for vCPU `apic_id` of `vcpus`: APIC ids in leaves 1/0xB/0x1F, the
// hypervisor bit (and TSC-deadline when KVM has it), ARAT cleared (see the .cpp), KVM's other
// leaves kept, pvisor's leaves at PV_CPUID_BASE (pv/pvisor.h).
[[nodiscard]] std::vector<kvm_cpuid_entry2> vcpu_cpuid(const std::vector<kvm_cpuid_entry2>& supported,
                                                       unsigned apic_id, unsigned vcpus,
                                                       bool tsc_deadline);

} // namespace pvisor
