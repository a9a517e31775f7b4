// mptable.hpp: the Intel MultiProcessor table (spec 1.4) that tells an ACPI-less guest its
// CPUs, buses, IOAPIC and ISA interrupt routing.
#pragma once

#include <cstdint>
#include <vector>

namespace pvisor {

inline constexpr std::uint32_t kIoApicGpa = 0xFEC00000;
inline constexpr std::uint32_t kLapicGpa = 0xFEE00000;
inline constexpr unsigned kIsaIrqs = 16;

// Bytes of the floating pointer followed by the configuration table, to be written at `gpa`
// (16-byte aligned, inside 0xF0000-0xFFFFF). Processor i has APIC id i; the IOAPIC's id is
// `vcpus`. ISA IRQ 0 goes to IOAPIC pin 2 (as KVM's default routing does), others identity.
[[nodiscard]] std::vector<std::uint8_t> build_mptable(std::uint32_t gpa, unsigned vcpus);

// Sum of bytes modulo 256 (0 for a correct MP structure).
[[nodiscard]] std::uint8_t mp_checksum(const std::uint8_t* p, std::size_t n);

} // namespace pvisor
