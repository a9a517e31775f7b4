// x86_boot.cpp: identity page tables, GDT, long-mode registers and per-vCPU CPUID.
#include "x86_boot.hpp"

#include <pv/pvisor.h>
#include <pv/version.h>

#include <array>

namespace pvisor {
namespace {

constexpr std::uint64_t kPresent = 1, kWrite = 2, kLarge = 0x80;
constexpr std::uint64_t kCr0Pe = 1, kCr0Et = 0x10, kCr0Ne = 0x20, kCr0Pg = 1ULL << 31;
constexpr std::uint64_t kCr4Pae = 0x20;
constexpr std::uint64_t kEferLme = 0x100, kEferLma = 0x400;

kvm_segment flat_segment(std::uint16_t sel, std::uint8_t type, bool code) {
    kvm_segment s{};
    s.base = 0;
    s.limit = 0xFFFFFFFF;
    s.selector = sel;
    s.type = type;
    s.present = 1;
    s.dpl = 0;
    s.db = code ? 0 : 1;
    s.s = 1;
    s.l = code ? 1 : 0;
    s.g = 1;
    return s;
}

} // namespace

Status write_boot_tables(const GuestMemory& mem, std::uint64_t pml4_gpa, std::uint64_t gdt_gpa) {
    const std::uint64_t pdpt = pml4_gpa + kPageSize;
    const std::uint64_t pd0 = pdpt + kPageSize;
    PV_TRY(mem.write_obj<std::uint64_t>(pml4_gpa, pdpt | kPresent | kWrite));
    for (std::uint64_t i = 0; i < 4; ++i) {
        const std::uint64_t pd = pd0 + i * kPageSize;
        PV_TRY(mem.write_obj<std::uint64_t>(pdpt + i * 8, pd | kPresent | kWrite));
        for (std::uint64_t j = 0; j < 512; ++j) {
            const std::uint64_t addr = ((i << 30) | (j << 21));
            PV_TRY(mem.write_obj<std::uint64_t>(pd + j * 8, addr | kPresent | kWrite | kLarge));
        }
    }
    const std::array<std::uint64_t, 5> gdt = {
        0, 0,
        0x00AF9B000000FFFFULL, // 0x10: code, 64-bit
        0x00CF93000000FFFFULL, // 0x18: data
        0x00008B0000000FFFULL, // 0x20: busy 64-bit TSS (placeholder; the guest loads its own)
    };
    return mem.write(gdt_gpa, gdt.data(), sizeof gdt);
}

void set_long_mode_sregs(kvm_sregs& s, std::uint64_t pml4_gpa, std::uint64_t gdt_gpa) {
    s.cs = flat_segment(0x10, 0xB, true);
    s.ds = s.es = s.fs = s.gs = s.ss = flat_segment(0x18, 0x3, false);
    s.tr = flat_segment(0x20, 0xB, false);
    s.tr.s = 0;
    s.tr.limit = 0xFFF;
    s.tr.g = 0;
    s.tr.db = 0;
    s.gdt.base = gdt_gpa;
    s.gdt.limit = 5 * 8 - 1;
    s.cr3 = pml4_gpa;
    s.cr4 |= kCr4Pae;
    s.cr0 |= kCr0Pe | kCr0Et | kCr0Ne | kCr0Pg;
    s.efer |= kEferLme | kEferLma;
}

std::vector<kvm_cpuid_entry2> vcpu_cpuid(const std::vector<kvm_cpuid_entry2>& supported,
                                         unsigned apic_id, unsigned vcpus, bool tsc_deadline) {
    std::vector<kvm_cpuid_entry2> out;
    for (kvm_cpuid_entry2 e : supported) {
        if (e.function >= PV_CPUID_BASE && e.function <= PV_CPUID_BASE + 0xFF)
            continue;
        if (e.function == 1) {
            e.ebx = (e.ebx & 0x00FFFFFFU) | (apic_id << 24);
            e.ecx |= 1U << 31; // hypervisor present
            // KVM emulates the LAPIC's TSC-deadline mode but leaves the bit to the VMM.
            if (tsc_deadline)
                e.ecx |= 1U << 24;
        } else if (e.function == 0xB || e.function == 0x1F) {
            e.edx = apic_id;
        } else if (e.function == 6) {
            // No ARAT. With it, Linux makes CPU 0's local APIC timer the tick broadcast device
            // once the PV timer takes CPU 0's tick, and a broadcast device is never released:
            // pvcore could then not hand the tick back and unload. Without it the kernel keeps
            // the PIT as broadcast device (never used: the PV timer does not stop in idle, and
            // the guest has no C-states deeper than HLT).
            e.eax &= ~(1U << 2);
        }
        out.push_back(e);
    }
    kvm_cpuid_entry2 e{};
    e.function = PV_CPUID_BASE;
    e.eax = PV_CPUID_LEAF_MAX;
    e.ebx = PV_CPUID_SIGNATURE_EBX;
    e.ecx = PV_CPUID_SIGNATURE_ECX;
    e.edx = PV_CPUID_SIGNATURE_EDX;
    out.push_back(e);
    e = {};
    e.function = PV_CPUID_BASE + 1;
    e.eax = PV_INTERFACE_VERSION;
    out.push_back(e);
    e = {};
    e.function = PV_CPUID_BASE + 2;
    e.eax = PV_HCALL_PORT;
    e.ebx = PV_NOTIFY_PORT;
    e.ecx = vcpus;
    e.edx = PV_FEATURE_NOTIFY_PORT | PV_FEATURE_UPCALL_MSIX | PV_FEATURE_SINGLESHOT_TIMER;
    out.push_back(e);
    return out;
}

} // namespace pvisor
