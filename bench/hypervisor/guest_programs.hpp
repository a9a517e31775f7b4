// guest_programs.hpp: the hand-assembled 64-bit tiny guests exit_bench runs, and the guest
// memory layout they share with the host side.
#pragma once

#include <cstdint>
#include <pv/pvisor.h>
#include <vector>

namespace pvisor::bench {

// Guest memory layout (all identity-mapped, below the 16 MiB the harness gives).
inline constexpr std::uint64_t kDataGpa = 0x200000;            // host <-> guest words
inline constexpr std::uint64_t kBatchGpa = kDataGpa + 0x00;    // u32: outl count per KVM_RUN
inline constexpr std::uint64_t kIrqCountGpa = kDataGpa + 0x08; // u64: bench vector taken
inline constexpr std::uint64_t kOtherIrqGpa = kDataGpa + 0x10; // u64: any other vector taken
inline constexpr std::uint64_t kStopGpa = kDataGpa + 0x18;     // u8: 1 = leave the hlt loop
inline constexpr std::uint64_t kIdtGpa = 0x201000;
inline constexpr std::uint64_t kIrqHandlerGpa = 0x100800;
inline constexpr std::uint64_t kOtherHandlerGpa = 0x100900;

inline constexpr std::uint8_t kBenchVector = 0x40; // MSI data of every injected interrupt
inline constexpr std::uint32_t kNotifyPort = 7;    // the event channel port the guest sends
inline constexpr std::size_t kOutlOffset = 12;     // where kNotifyLoop's `outl` sits

// (a) top: inl $0xE0,%eax; jmp top. Every iteration is one hypercall exit.
inline const std::vector<std::uint8_t> kHypercallLoop = {
    0xE5, PV_HCALL_PORT, // in  $0xE0,%eax
    0xEB, 0xFC,          // jmp top
};

// (b) top: mov kBatchGpa,%ecx; mov $kNotifyPort,%eax;
//     loop: outl %eax,$0xE4; dec %ecx; jnz loop; inl $0xE0,%eax; jmp top.
// The trailing hypercall hands control back to the host after each batch. The host reads
// kBatchGpa at the top of each batch: it must be >= 1.
inline const std::vector<std::uint8_t> kNotifyLoop = {
    0x8B, 0x0C,           0x25, 0x00, 0x00, 0x20, 0x00, // mov 0x200000,%ecx
    0xB8, kNotifyPort,    0x00, 0x00, 0x00,             // mov $7,%eax
    0xE7, PV_NOTIFY_PORT,                               // out %eax,$0xE4   (offset kOutlOffset)
    0xFF, 0xC9,                                         // dec %ecx
    0x75, 0xFA,                                         // jnz loop
    0xE5, PV_HCALL_PORT,                                // in  $0xE0,%eax
    0xEB, 0xEA,                                         // jmp top
};
// Replaces the outl: the same loop with no I/O, to subtract the emulated loop's own cost.
inline const std::uint8_t kTwoByteNop[2] = {0x66, 0x90};

// (c, injection from another thread) sti; loop: hlt; cmpb $0,kStopGpa; je loop; i8042 reset.
// The vCPU sleeps in KVM's hlt until an interrupt arrives; the stop flag ends the VM.
inline const std::vector<std::uint8_t> kHaltLoop = {
    0xFB,                                           // sti
    0xF4,                                           // loop: hlt
    0x80, 0x3C, 0x25, 0x18, 0x00, 0x20, 0x00, 0x00, // cmpb $0,0x200018
    0x74, 0xF5,                                     // je loop
    0xB0, 0xFE,                                     // mov $0xFE,%al
    0xE6, 0x64,                                     // out %al,$0x64
    0xF4,                                           // hlt
};

// (c, injection into a running vCPU) sti; loop: cmpb $0,kStopGpa; je loop; i8042 reset.
// Spins instead of halting, so an injection needs no wake-up of a sleeping vCPU thread.
inline const std::vector<std::uint8_t> kSpinLoop = {
    0xFB,                                           // sti
    0x80, 0x3C, 0x25, 0x18, 0x00, 0x20, 0x00, 0x00, // loop: cmpb $0,0x200018
    0x74, 0xF6,                                     // je loop
    0xB0, 0xFE,                                     // mov $0xFE,%al
    0xE6, 0x64,                                     // out %al,$0x64
    0xF4,                                           // hlt
};

// (c, injection from the vCPU's own exit) sti; top: inl $0xE0,%eax; jmp top. The host's
// hypercall handler raises the interrupt, which KVM delivers on the way back in.
inline const std::vector<std::uint8_t> kHypercallIrqLoop = {
    0xFB,                // sti
    0xE5, PV_HCALL_PORT, // in  $0xE0,%eax
    0xEB, 0xFC,          // jmp top
};

// Interrupt handler: count in *counter_gpa, EOI to the local APIC, iretq. rax is preserved.
// counter_gpa must fit a sign-extended disp32 (it does: below 2 GiB).
inline std::vector<std::uint8_t> counting_handler(std::uint64_t counter_gpa) {
    const auto b = [counter_gpa](unsigned shift) {
        return static_cast<std::uint8_t>((counter_gpa >> shift) & 0xFFU);
    };
    return {
        0x50,                                             // push %rax
        0x48, 0xFF, 0x04, 0x25, b(0), b(8), b(16), b(24), // incq counter
        0xB8, 0xB0, 0x00, 0xE0, 0xFE,                     // mov $0xFEE000B0,%eax
        0xC7, 0x00, 0x00, 0x00, 0x00, 0x00,               // movl $0,(%rax)  (EOI)
        0x58,                                             // pop %rax
        0x48, 0xCF,                                       // iretq
    };
}

} // namespace pvisor::bench
