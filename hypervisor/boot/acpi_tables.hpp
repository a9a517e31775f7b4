// acpi_tables.hpp: the ACPI tables (RSDP, XSDT, MADT, FADT, DSDT) that describe pvisor's
// machine to a guest booted with ACPI: its CPUs, the IOAPIC and ISA routing, the PCI host
// bridge and the COM1 UART. Hardware-reduced ACPI: no PM blocks, SCI or FACS to emulate.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace pvisor {

// The RSDP and the tables follow each other from here, inside the BIOS area the kernel scans
// for "RSD PTR " (0xE0000-0xFFFFF, 16-byte steps) and inside the e820-reserved 640K-1M hole;
// they end before kMpTableGpa (0xF0000), where the MP table goes in the other mode.
inline constexpr std::uint64_t kAcpiGpa = 0xE0000;
inline constexpr std::uint64_t kAcpiAreaEnd = 0xF0000;

// The PCI host bridge's windows in the DSDT: bus 0 only (configuration mechanism #1 at
// 0xCF8-0xCFF, no ECAM, hence no MCFG); the legacy I/O ports below 0xCF8 (8250, i8042,
// pvisor's hypercall and notify ports); 32-bit MMIO from the hole below 4 GiB up to the
// IOAPIC, which holds the platform device's BAR0 (and any place the guest moves it to).
inline constexpr std::uint16_t kPciIoWindowLast = 0x0CF7;
inline constexpr std::uint32_t kPciMmioWindowFirst = 0xC0000000U;
inline constexpr std::uint32_t kPciMmioWindowLast = 0xFEBFFFFFU;

struct AcpiTable {
    std::string signature;    // "XSDT", "APIC", "FACP", "DSDT"
    std::uint64_t gpa = 0;    // where it lies in the guest
    std::size_t offset = 0;   // into AcpiTables::bytes
    std::size_t length = 0;   // its header's Length
};

// What build_acpi_tables lays out: `bytes` go to guest-physical `gpa`; the RSDP is first.
struct AcpiTables {
    std::uint64_t gpa = 0;
    std::vector<std::uint8_t> bytes;
    std::size_t rsdp_length = 0;
    std::vector<AcpiTable> tables; // in the order the XSDT lists them, then the DSDT

    [[nodiscard]] std::span<const std::uint8_t> rsdp() const {
        return {bytes.data(), rsdp_length};
    }
    [[nodiscard]] std::span<const std::uint8_t> table(const AcpiTable& t) const {
        return {bytes.data() + t.offset, t.length};
    }
};

// The tables for `vcpus` CPUs (1..PV_MAX_VCPUS), laid out from `gpa` (16-byte aligned):
// processor i has APIC id i and ACPI UID i; the IOAPIC's id is `vcpus`; ISA IRQ 0 goes to
// GSI 2, the others to their own number (as build_mptable routes them). The whole fits
// below kAcpiAreaEnd when gpa is kAcpiGpa.
[[nodiscard]] AcpiTables build_acpi_tables(std::uint64_t gpa, unsigned vcpus);

} // namespace pvisor
