// acpi_tables_test.cpp: the AML encoder's bytes and the ACPI tables' checksums, lengths,
// pointers and contents for 1, 4 and the maximum number of vCPUs.
#include "boot/acpi_tables.hpp"
#include "boot/aml.hpp"
#include "boot/mptable.hpp"

#include <pv/pvisor.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>

namespace pvisor {
namespace {

using aml::Bytes;

template <typename T>
T at(std::span<const std::uint8_t> b, std::size_t off) {
    T v{};
    std::memcpy(&v, b.data() + off, sizeof v);
    return v;
}

bool contains(std::span<const std::uint8_t> hay, const Bytes& needle) {
    return std::search(hay.begin(), hay.end(), needle.begin(), needle.end()) != hay.end();
}

TEST(Aml, PkgLengthBoundaries) {
    EXPECT_EQ(aml::pkg_length(0), (Bytes{0x01}));
    EXPECT_EQ(aml::pkg_length(62), (Bytes{0x3F}));
    // 63 + 2 = 65 = 0x41: low nibble 1 in the lead byte, 0x04 after it.
    EXPECT_EQ(aml::pkg_length(63), (Bytes{0x41, 0x04}));
    EXPECT_EQ(aml::pkg_length(4093), (Bytes{0x4F, 0xFF}));
    EXPECT_EQ(aml::pkg_length(4094), (Bytes{0x81, 0x00, 0x01}));
}

TEST(Aml, Integers) {
    EXPECT_EQ(aml::integer(0), (Bytes{0x00}));
    EXPECT_EQ(aml::integer(1), (Bytes{0x01}));
    EXPECT_EQ(aml::integer(2), (Bytes{0x0A, 0x02}));
    EXPECT_EQ(aml::integer(0x100), (Bytes{0x0B, 0x00, 0x01}));
    EXPECT_EQ(aml::integer(0xC0000000U), (Bytes{0x0C, 0x00, 0x00, 0x00, 0xC0}));
    EXPECT_EQ(aml::integer(1ULL << 32), (Bytes{0x0E, 0, 0, 0, 0, 1, 0, 0, 0}));
}

TEST(Aml, EisaIdStringAndNames) {
    // iasl compiles EisaId("PNP0A03") to DWordConst 0x030AD041.
    EXPECT_EQ(aml::eisa_id("PNP0A03"), (Bytes{0x0C, 0x41, 0xD0, 0x0A, 0x03}));
    EXPECT_EQ(aml::eisa_id("PNP0501"), (Bytes{0x0C, 0x41, 0xD0, 0x05, 0x01}));
    EXPECT_EQ(aml::string("ab"), (Bytes{0x0D, 'a', 'b', 0x00}));
    EXPECT_EQ(aml::name("_UID", aml::integer(0)), (Bytes{0x08, '_', 'U', 'I', 'D', 0x00}));
    EXPECT_EQ(aml::device("COM1", {}), (Bytes{0x5B, 0x82, 0x05, 'C', 'O', 'M', '1'}));
    EXPECT_EQ(aml::root_scope("_SB_", {}), (Bytes{0x10, 0x06, 0x5C, '_', 'S', 'B', '_'}));
}

TEST(Aml, ResourceDescriptors) {
    EXPECT_EQ(aml::res::io(0x3F8, 0x3F8, 1, 8),
              (Bytes{0x47, 0x01, 0xF8, 0x03, 0xF8, 0x03, 0x01, 0x08}));
    EXPECT_EQ(aml::res::irq_no_flags(4), (Bytes{0x22, 0x10, 0x00}));
    EXPECT_EQ(aml::res::word_bus_number(0, 0),
              (Bytes{0x88, 0x0D, 0x00, 0x02, 0x0C, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x00}));
    const Bytes mem = aml::res::dword_memory(0xC0000000U, 0xFEBFFFFFU);
    ASSERT_EQ(mem.size(), 26U);
    EXPECT_EQ(mem[0], 0x87);
    EXPECT_EQ(at<std::uint16_t>(mem, 1), 23U);
    EXPECT_EQ(at<std::uint32_t>(mem, 10), 0xC0000000U);
    EXPECT_EQ(at<std::uint32_t>(mem, 14), 0xFEBFFFFFU);
    EXPECT_EQ(at<std::uint32_t>(mem, 22), 0x3EC00000U); // length
    // A template is a Buffer: size, the descriptors, the End Tag.
    EXPECT_EQ(aml::resource_template(aml::res::irq_no_flags(4)),
              (Bytes{0x11, 0x08, 0x0A, 0x05, 0x22, 0x10, 0x00, 0x79, 0x00}));
}

const AcpiTable* find(const AcpiTables& t, const char* sig) {
    for (const AcpiTable& x : t.tables)
        if (x.signature == sig)
            return &x;
    return nullptr;
}

void check_tables(unsigned vcpus) {
    SCOPED_TRACE("vcpus=" + std::to_string(vcpus));
    const AcpiTables t = build_acpi_tables(kAcpiGpa, vcpus);
    ASSERT_LE(t.gpa + t.bytes.size(), kAcpiAreaEnd);
    // RSDP: signature, revision 2, both checksums, the XSDT's address.
    const auto r = t.rsdp();
    ASSERT_EQ(r.size(), 36U);
    EXPECT_EQ(std::memcmp(r.data(), "RSD PTR ", 8), 0);
    EXPECT_EQ(r[15], 2);
    EXPECT_EQ(mp_checksum(r.data(), 20), 0);
    EXPECT_EQ(mp_checksum(r.data(), 36), 0);
    EXPECT_EQ(at<std::uint32_t>(r, 20), 36U);
    const AcpiTable* xsdt = find(t, "XSDT");
    ASSERT_NE(xsdt, nullptr);
    EXPECT_EQ(at<std::uint64_t>(r, 24), xsdt->gpa);
    // Every table: its header's signature and Length, a zero byte sum, inside the bytes.
    for (const AcpiTable& x : t.tables) {
        SCOPED_TRACE(x.signature);
        ASSERT_LE(x.offset + x.length, t.bytes.size());
        EXPECT_EQ(x.gpa, t.gpa + x.offset);
        EXPECT_EQ(x.gpa % 16, 0U);
        const auto b = t.table(x);
        EXPECT_EQ(std::string(reinterpret_cast<const char*>(b.data()), 4), x.signature);
        EXPECT_EQ(at<std::uint32_t>(b, 4), x.length);
        EXPECT_EQ(mp_checksum(b.data(), b.size()), 0);
        EXPECT_EQ(std::memcmp(b.data() + 10, "PVISOR", 6), 0);
    }
    // XSDT: the MADT and the FADT; the FADT names the DSDT (32- and 64-bit fields).
    const AcpiTable* madt = find(t, "APIC");
    const AcpiTable* fadt = find(t, "FACP");
    const AcpiTable* dsdt = find(t, "DSDT");
    ASSERT_TRUE(madt != nullptr && fadt != nullptr && dsdt != nullptr);
    const auto x = t.table(*xsdt);
    ASSERT_EQ(x.size(), 36U + 16U);
    EXPECT_EQ(at<std::uint64_t>(x, 36), madt->gpa);
    EXPECT_EQ(at<std::uint64_t>(x, 44), fadt->gpa);
    const auto f = t.table(*fadt);
    ASSERT_EQ(f.size(), 276U);
    EXPECT_EQ(f[8], 6); // revision
    EXPECT_EQ(at<std::uint32_t>(f, 40), dsdt->gpa);
    EXPECT_EQ(at<std::uint64_t>(f, 140), dsdt->gpa);
    EXPECT_NE(at<std::uint32_t>(f, 112) & (1U << 20), 0U); // HW_REDUCED_ACPI
    EXPECT_NE(at<std::uint32_t>(f, 112) & (1U << 10), 0U); // RESET_REG_SUP
    EXPECT_EQ(at<std::uint64_t>(f, 120), 0x64U);           // reset register: i8042 port
    EXPECT_EQ(f[128], 0xFE);
    EXPECT_EQ(at<std::uint16_t>(f, 109) & (1U << 3), 0U); // MSI supported
    // MADT: one enabled local APIC per vCPU with APIC id = UID = i, then the IOAPIC,
    // the IRQ 0 -> GSI 2 override and the LINT1 NMI.
    const auto m = t.table(*madt);
    EXPECT_EQ(at<std::uint32_t>(m, 36), kLapicGpa);
    ASSERT_EQ(m.size(), 44U + 8U * vcpus + 12U + 10U + 6U);
    for (unsigned i = 0; i < vcpus; ++i) {
        const std::size_t e = 44 + 8 * i;
        EXPECT_EQ(m[e], 0);
        EXPECT_EQ(m[e + 1], 8);
        EXPECT_EQ(m[e + 2], i);
        EXPECT_EQ(m[e + 3], i);
        EXPECT_EQ(at<std::uint32_t>(m, e + 4), 1U);
    }
    const std::size_t io = 44 + 8 * vcpus;
    EXPECT_EQ(m[io], 1);
    EXPECT_EQ(m[io + 2], vcpus);
    EXPECT_EQ(at<std::uint32_t>(m, io + 4), kIoApicGpa);
    EXPECT_EQ(at<std::uint32_t>(m, io + 8), 0U);
    EXPECT_EQ(m[io + 12], 2);
    EXPECT_EQ(m[io + 12 + 3], 0);                        // ISA IRQ 0
    EXPECT_EQ(at<std::uint32_t>(m, io + 12 + 4), 2U);    // -> GSI 2
    EXPECT_EQ(m[io + 22], 4);
    EXPECT_EQ(m[io + 22 + 5], 1); // LINT1
    // DSDT: the host bridge PNP0A03 with bus 0, the config ports and the MMIO window that
    // holds the platform device's BAR0; COM1 at 0x3F8 on IRQ 4.
    const auto d = t.table(*dsdt);
    EXPECT_TRUE(contains(d, {'P', 'C', 'I', '0'}));
    EXPECT_TRUE(contains(d, aml::name("_HID", aml::eisa_id("PNP0A03"))));
    EXPECT_TRUE(contains(d, aml::res::word_bus_number(0, 0)));
    EXPECT_TRUE(contains(d, aml::res::io(0xCF8, 0xCF8, 1, 8)));
    EXPECT_TRUE(contains(d, aml::res::dword_memory(0xC0000000U, 0xFEBFFFFFU)));
    EXPECT_TRUE(contains(d, aml::name("_HID", aml::eisa_id("PNP0501"))));
    EXPECT_TRUE(contains(d, aml::res::irq_no_flags(4)));
}

TEST(AcpiTables, OneVcpu) { check_tables(1); }
TEST(AcpiTables, FourVcpus) { check_tables(4); }
TEST(AcpiTables, MaxVcpus) { check_tables(PV_MAX_VCPUS); }

// The DSDT's AML parses as one Scope whose PkgLength covers exactly the rest of the table.
TEST(AcpiTables, DsdtScopeSpansTheTable) {
    const AcpiTables t = build_acpi_tables(kAcpiGpa, 2);
    const auto d = t.table(*find(t, "DSDT"));
    ASSERT_GT(d.size(), 38U);
    EXPECT_EQ(d[36], 0x10); // ScopeOp
    const unsigned lead = d[37];
    const unsigned extra = lead >> 6;
    std::size_t len = extra == 0 ? lead : (lead & 0x0F);
    for (unsigned i = 0; i < extra; ++i)
        len |= std::size_t{d[38 + i]} << (4 + 8 * i);
    EXPECT_EQ(36 + 1 + len, d.size());
}

} // namespace
} // namespace pvisor
