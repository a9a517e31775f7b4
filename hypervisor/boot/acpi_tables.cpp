// acpi_tables.cpp: the byte layouts of ACPI 6.0 §5.2 (RSDP, headers, XSDT, FADT, MADT) and
// the DSDT's AML, each table checksummed.
#include "acpi_tables.hpp"

#include "aml.hpp"
#include "devices/pv_platform.hpp"
#include "devices/serial8250.hpp"
#include "guest_memory.hpp"
#include "mptable.hpp"

#include <pv/pvisor.h>

#include <cassert>
#include <cstring>

namespace pvisor {
namespace {

using aml::Bytes;

constexpr std::size_t kHeaderLen = 36;
constexpr std::size_t kRsdpLen = 36;
constexpr std::size_t kAlign = 16;
constexpr std::size_t kChecksumOffset = 9;

// FADT (ACPI 6.0, revision 6.0, 276 bytes): the offsets pvisor fills in.
constexpr std::size_t kFadtLen = 276;
constexpr std::size_t kFadtDsdt = 40;
constexpr std::size_t kFadtSciInt = 46;
constexpr std::size_t kFadtBootArch = 109;
constexpr std::size_t kFadtFlags = 112;
constexpr std::size_t kFadtResetReg = 116;
constexpr std::size_t kFadtResetValue = 128;
constexpr std::size_t kFadtMinorVersion = 131;
constexpr std::size_t kFadtXDsdt = 140;
constexpr std::size_t kFadtHypervisorId = 268;
constexpr std::uint16_t kBootArchNoVga = 1U << 2;    // VGA Not Present
constexpr std::uint16_t kBootArchNoCmosRtc = 1U << 5; // CMOS RTC Not Present
// 8042 (bit 1) stays clear: pvisor's i8042 is only its reset line (the reset register).
constexpr std::uint32_t kFadtWbinvd = 1U << 0;
constexpr std::uint32_t kFadtPowerButton = 1U << 4; // no fixed-feature power button
constexpr std::uint32_t kFadtSleepButton = 1U << 5; // no fixed-feature sleep button
constexpr std::uint32_t kFadtResetRegSup = 1U << 10;
constexpr std::uint32_t kFadtHwReduced = 1U << 20;
constexpr std::uint16_t kI8042Command = 0x64;
constexpr std::uint8_t kI8042PulseReset = 0xFE;
constexpr std::uint16_t kSciIrq = 9; // unused in hardware-reduced mode; the PC convention

// MADT structures (§5.2.12).
constexpr std::uint8_t kMadtLocalApic = 0;
constexpr std::uint8_t kMadtIoApic = 1;
constexpr std::uint8_t kMadtIntSourceOverride = 2;
constexpr std::uint8_t kMadtLocalApicNmi = 4;
constexpr std::uint32_t kLocalApicEnabled = 1;

void put(Bytes& out, std::uint64_t v, unsigned bytes) {
    for (unsigned i = 0; i < bytes; ++i)
        out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

void put_text(Bytes& out, const char* text, std::size_t len) {
    assert(std::strlen(text) == len);
    out.insert(out.end(), text, text + len);
}

void patch(Bytes& b, std::size_t off, std::uint64_t v, unsigned bytes) {
    for (unsigned i = 0; i < bytes; ++i)
        b[off + i] = static_cast<std::uint8_t>(v >> (8 * i));
}

// The System Description Table Header; Length and Checksum are set by finish().
Bytes header(const char* signature, std::uint8_t revision) {
    Bytes out;
    put_text(out, signature, 4);
    put(out, 0, 4);
    out.push_back(revision);
    out.push_back(0);
    put_text(out, "PVISOR", 6);   // OEMID
    put_text(out, "PVISORVM", 8); // OEM Table ID
    put(out, 1, 4);               // OEM Revision
    put_text(out, "PVSR", 4);     // Creator ID
    put(out, 1, 4);               // Creator Revision
    return out;
}

// ACPI checksums are the MP specification's: all bytes sum to 0 modulo 256.
std::uint8_t fix(std::span<const std::uint8_t> b) {
    return static_cast<std::uint8_t>(-mp_checksum(b.data(), b.size()));
}

void finish(Bytes& table) {
    patch(table, 4, table.size(), 4);
    table[kChecksumOffset] = 0;
    table[kChecksumOffset] = fix(table);
}

Bytes madt(unsigned vcpus) {
    Bytes t = header("APIC", 4);
    put(t, kLapicGpa, 4);
    put(t, 0, 4); // flags: no PCAT_COMPAT (hardware-reduced: no 8259 to mask)
    for (unsigned i = 0; i < vcpus; ++i) {
        t.insert(t.end(), {kMadtLocalApic, 8, static_cast<std::uint8_t>(i),
                           static_cast<std::uint8_t>(i)});
        put(t, kLocalApicEnabled, 4);
    }
    t.insert(t.end(), {kMadtIoApic, 12, static_cast<std::uint8_t>(vcpus), 0});
    put(t, kIoApicGpa, 4);
    put(t, 0, 4); // GSI base
    // ISA IRQ 0 (the PIT) arrives on IOAPIC pin 2, as KVM routes it; flags 0 = ISA's
    // edge/high. The other ISA IRQs are identity-mapped, which needs no entry.
    t.insert(t.end(), {kMadtIntSourceOverride, 10, 0, 0});
    put(t, 2, 4);
    put(t, 0, 2);
    // NMI on LINT1 of every processor (UID 0xFF), as the MP table says.
    t.insert(t.end(), {kMadtLocalApicNmi, 6, 0xFF});
    put(t, 0, 2);
    t.push_back(1);
    finish(t);
    return t;
}

Bytes fadt(std::uint64_t dsdt_gpa) {
    Bytes t = header("FACP", 6);
    t.resize(kFadtLen, 0);
    patch(t, kFadtDsdt, dsdt_gpa, 4);
    patch(t, kFadtSciInt, kSciIrq, 2);
    patch(t, kFadtBootArch, kBootArchNoVga | kBootArchNoCmosRtc, 2);
    patch(t, kFadtFlags,
          kFadtWbinvd | kFadtPowerButton | kFadtSleepButton | kFadtResetRegSup | kFadtHwReduced,
          4);
    // RESET_REG: Generic Address Structure, system I/O, 8 bits, byte access, port 0x64.
    const std::uint8_t gas[4] = {1, 8, 0, 1};
    std::memcpy(&t[kFadtResetReg], gas, sizeof gas);
    patch(t, kFadtResetReg + 4, kI8042Command, 8);
    t[kFadtResetValue] = kI8042PulseReset;
    t[kFadtMinorVersion] = 0;
    patch(t, kFadtXDsdt, dsdt_gpa, 8);
    std::memcpy(&t[kFadtHypervisorId], "PVISOR\0\0", 8);
    finish(t);
    return t;
}

Bytes pci_host_bridge() {
    using namespace aml;
    Bytes crs = res::word_bus_number(0, 0);
    const Bytes cfg = res::io(0x0CF8, 0x0CF8, 1, 8); // consumed: configuration mechanism #1
    const Bytes io = res::word_io(0, kPciIoWindowLast);
    const Bytes mmio = res::dword_memory(kPciMmioWindowFirst, kPciMmioWindowLast);
    crs.insert(crs.end(), cfg.begin(), cfg.end());
    crs.insert(crs.end(), io.begin(), io.end());
    crs.insert(crs.end(), mmio.begin(), mmio.end());
    Bytes body = name("_HID", eisa_id("PNP0A03"));
    for (const Bytes& more :
         {name("_UID", integer(0)), name("_SEG", integer(0)), name("_BBN", integer(0)),
          name("_CRS", resource_template(crs))})
        body.insert(body.end(), more.begin(), more.end());
    return device("PCI0", body);
}

Bytes com1() {
    using namespace aml;
    Bytes crs = res::io(Serial8250::kBase, Serial8250::kBase, 1, 8);
    const Bytes irq = res::irq_no_flags(Serial8250::kIrq);
    crs.insert(crs.end(), irq.begin(), irq.end());
    Bytes body = name("_HID", eisa_id("PNP0501"));
    for (const Bytes& more : {name("_UID", integer(1)), name("_CRS", resource_template(crs))})
        body.insert(body.end(), more.begin(), more.end());
    return device("COM1", body);
}

Bytes dsdt() {
    Bytes t = header("DSDT", 2); // revision 2: 64-bit integers
    Bytes sb = pci_host_bridge();
    const Bytes uart = com1();
    sb.insert(sb.end(), uart.begin(), uart.end());
    const Bytes scope = aml::root_scope("_SB_", sb);
    t.insert(t.end(), scope.begin(), scope.end());
    finish(t);
    return t;
}

Bytes xsdt(const std::vector<std::uint64_t>& entries) {
    Bytes t = header("XSDT", 1);
    for (const std::uint64_t gpa : entries)
        put(t, gpa, 8);
    finish(t);
    return t;
}

Bytes rsdp(std::uint64_t xsdt_gpa) {
    Bytes r;
    put_text(r, "RSD PTR ", 8);
    r.push_back(0); // checksum of the first 20 bytes
    put_text(r, "PVISOR", 6);
    r.push_back(2); // ACPI 2.0+: the XSDT is used
    put(r, 0, 4);   // no RSDT
    put(r, kRsdpLen, 4);
    put(r, xsdt_gpa, 8);
    r.push_back(0); // extended checksum, of all 36 bytes
    put(r, 0, 3);
    r[8] = fix(std::span<const std::uint8_t>(r).first(20));
    r[32] = fix(r);
    return r;
}

std::size_t aligned(std::size_t n) { return (n + kAlign - 1) & ~(kAlign - 1); }

} // namespace

// The platform device's BAR0 must lie inside the MMIO window the DSDT gives the host bridge.
static_assert(PvPlatformDevice::kDefaultBar0 >= kPciMmioWindowFirst &&
              PvPlatformDevice::kDefaultBar0 + PV_PLATFORM_BAR0_SIZE - 1 <= kPciMmioWindowLast);
static_assert(kPciMmioWindowFirst == kMmioHoleStart && kPciMmioWindowLast + 1 == kIoApicGpa);
static_assert(kPciMmioWindowLast < PV_SPECIAL_PAGES_GPA);

AcpiTables build_acpi_tables(std::uint64_t gpa, unsigned vcpus) {
    assert(gpa % kAlign == 0 && vcpus >= 1 && vcpus <= PV_MAX_VCPUS);
    AcpiTables out;
    out.gpa = gpa;
    out.rsdp_length = kRsdpLen;
    // Layout: RSDP, XSDT (two entries), MADT, FADT, DSDT, each 16-byte aligned.
    const Bytes m = madt(vcpus);
    const Bytes d = dsdt();
    const std::uint64_t xsdt_gpa = gpa + aligned(kRsdpLen);
    const std::uint64_t madt_gpa = xsdt_gpa + aligned(kHeaderLen + 2 * 8);
    const std::uint64_t fadt_gpa = madt_gpa + aligned(m.size());
    const std::uint64_t dsdt_gpa = fadt_gpa + aligned(kFadtLen);
    const Bytes x = xsdt({madt_gpa, fadt_gpa});
    const Bytes f = fadt(dsdt_gpa);
    const auto place = [&](const Bytes& b, std::uint64_t at, const char* sig) {
        out.bytes.resize(at - gpa, 0);
        out.bytes.insert(out.bytes.end(), b.begin(), b.end());
        if (sig != nullptr)
            out.tables.push_back({sig, at, static_cast<std::size_t>(at - gpa), b.size()});
    };
    place(rsdp(xsdt_gpa), gpa, nullptr);
    place(x, xsdt_gpa, "XSDT");
    place(m, madt_gpa, "APIC");
    place(f, fadt_gpa, "FACP");
    place(d, dsdt_gpa, "DSDT");
    return out;
}

} // namespace pvisor
