// boot_test.cpp: bzImage header checks, zero page, e820 and the MP table.
#include "boot/bzimage.hpp"
#include "arch/x86_boot.hpp"
#include "boot/mptable.hpp"

#include <pv/pvisor.h>

#include <gtest/gtest.h>

#include <cstring>

namespace pvisor {
namespace {

std::vector<std::uint8_t> fake_bzimage(std::uint16_t version, std::uint16_t xloadflags) {
    std::vector<std::uint8_t> img(64 * 1024, 0x90);
    img[0x1F1] = 4; // setup_sects
    img[0x201] = 0x66;
    std::memcpy(&img[0x202], "HdrS", 4);
    std::memcpy(&img[0x206], &version, 2);
    std::memcpy(&img[0x236], &xloadflags, 2);
    const std::uint32_t initrd_max = 0x7FFFFFFF, cmdline_size = 2047, init_size = 1 << 20;
    std::memcpy(&img[0x22C], &initrd_max, 4);
    std::memcpy(&img[0x238], &cmdline_size, 4);
    std::memcpy(&img[0x260], &init_size, 4);
    return img;
}

TEST(BzImage, Validation) {
    std::string why;
    EXPECT_TRUE(validate_bzimage(fake_bzimage(0x20F, 1), why).ok());
    EXPECT_FALSE(validate_bzimage(fake_bzimage(0x20B, 1), why).ok());
    EXPECT_EQ(why, "boot protocol too old (need 2.12 or later)");
    EXPECT_FALSE(validate_bzimage(fake_bzimage(0x20F, 0), why).ok());
    EXPECT_EQ(why, "kernel has no 64-bit entry point (XLF_KERNEL_64)");
    std::vector<std::uint8_t> junk(8192, 0);
    EXPECT_FALSE(validate_bzimage(junk, why).ok());
    EXPECT_EQ(why, "not a bzImage (no \"HdrS\" setup header)");
}

TEST(BzImage, ZeroPageAndE820) {
    auto mem = GuestMemory::create(64 << 20, PV_SPECIAL_PAGES_GPA, PV_SPECIAL_PAGES_COUNT);
    ASSERT_TRUE(mem.ok());
    const auto img = fake_bzimage(0x20F, 1);
    std::string why;
    auto info = validate_bzimage(img, why);
    ASSERT_TRUE(info.ok());
    std::vector<std::uint8_t> initrd(10000, 0xAB);
    ASSERT_TRUE(load_bzimage(*mem, *info, {img, initrd, "console=ttyS0"}, why).ok()) << why;
    EXPECT_EQ(*mem->read_obj<std::uint8_t>(kZeroPageGpa + 0x210), 0xFF);
    EXPECT_EQ(*mem->read_obj<std::uint32_t>(kZeroPageGpa + 0x228), kCmdlineGpa);
    const auto rd = *mem->read_obj<std::uint32_t>(kZeroPageGpa + 0x218);
    EXPECT_EQ(rd % kPageSize, 0U);
    EXPECT_LE(rd + initrd.size(), 64U << 20);
    EXPECT_EQ(*mem->read_obj<std::uint8_t>(rd), 0xAB);
    EXPECT_EQ(*mem->read_obj<std::uint32_t>(kZeroPageGpa + 0x21C), 10000U);
    ASSERT_EQ(*mem->read_obj<std::uint8_t>(kZeroPageGpa + 0x1E8), 4U);
    const auto e = *mem->read_obj<E820Entry>(kZeroPageGpa + 0x2D0 + 2 * sizeof(E820Entry));
    EXPECT_EQ(e.addr, kKernelGpa);
    EXPECT_EQ(e.size, (64U << 20) - kKernelGpa);
    EXPECT_EQ(e.type, 1U);
    const auto sp = *mem->read_obj<E820Entry>(kZeroPageGpa + 0x2D0 + 3 * sizeof(E820Entry));
    EXPECT_EQ(sp.addr, PV_SPECIAL_PAGES_GPA);
    EXPECT_EQ(sp.size, PV_SPECIAL_PAGES_COUNT * kPageSize);
    EXPECT_EQ(sp.type, 2U);
}

// boot_params.acpi_rsdp_addr is written for a kernel of protocol 2.14 or later, only.
TEST(BzImage, AcpiRsdpAddress) {
    for (const std::uint16_t version : {std::uint16_t{0x20D}, std::uint16_t{0x20E}}) {
        auto mem = GuestMemory::create(64 << 20);
        ASSERT_TRUE(mem.ok());
        const auto img = fake_bzimage(version, 1);
        std::string why;
        auto info = validate_bzimage(img, why);
        ASSERT_TRUE(info.ok());
        BootImages images{img, {}, ""};
        images.acpi_rsdp = 0xE0000;
        ASSERT_TRUE(load_bzimage(*mem, *info, images, why).ok()) << why;
        EXPECT_EQ(*mem->read_obj<std::uint64_t>(kZeroPageGpa + 0x70),
                  version >= 0x20E ? 0xE0000U : 0U);
    }
}

TEST(BzImage, MemoryTooSmall) {
    auto mem = GuestMemory::create(0x180000); // 1.5 MiB < 1 MiB + init_size
    ASSERT_TRUE(mem.ok());
    const auto img = fake_bzimage(0x20F, 1);
    std::string why;
    auto info = validate_bzimage(img, why);
    EXPECT_EQ(load_bzimage(*mem, *info, {img, {}, ""}, why).error(), Errc::no_space);
    EXPECT_EQ(why, "memory too small for the kernel");
}

TEST(MpTable, ChecksumsAndCounts) {
    for (unsigned vcpus : {1U, 8U}) {
        const auto t = build_mptable(0xF0000, vcpus);
        EXPECT_EQ(std::memcmp(t.data(), "_MP_", 4), 0);
        EXPECT_EQ(mp_checksum(t.data(), 16), 0);
        std::uint16_t len = 0, count = 0;
        std::memcpy(&len, &t[16 + 4], 2);
        std::memcpy(&count, &t[16 + 34], 2);
        ASSERT_EQ(16U + len, t.size());
        EXPECT_EQ(mp_checksum(&t[16], len), 0);
        EXPECT_EQ(count, vcpus + 3 + kIsaIrqs + 2);
        EXPECT_EQ(len, 44 + 20 * vcpus + 8 * (3 + kIsaIrqs + 2));
        // Processor 0 is the enabled BSP.
        EXPECT_EQ(t[16 + 44 + 3], 0x03);
    }
}

TEST(VcpuCpuid, ApicIdsHypervisorLeavesAndNoArat) {
    std::vector<kvm_cpuid_entry2> supported(3);
    supported[0].function = 1;
    supported[0].ebx = 0xFF000800U; // a stale APIC id in bits 31:24
    supported[1].function = 6;
    supported[1].eax = 0x4; // KVM reports ARAT
    supported[2].function = 0xB;
    const auto out = vcpu_cpuid(supported, 3, 4, true);
    auto leaf = [&](std::uint32_t fn) {
        for (const auto& e : out)
            if (e.function == fn)
                return e;
        ADD_FAILURE() << "no leaf " << fn;
        return kvm_cpuid_entry2{};
    };
    EXPECT_EQ(leaf(1).ebx, 0x03000800U);
    EXPECT_EQ(leaf(1).ecx, (1U << 31) | (1U << 24));
    EXPECT_EQ(leaf(6).eax, 0U);
    EXPECT_EQ(leaf(0xB).edx, 3U);
    EXPECT_EQ(leaf(PV_CPUID_BASE).ebx, PV_CPUID_SIGNATURE_EBX);
    EXPECT_EQ(leaf(PV_CPUID_BASE + 2).eax, PV_HCALL_PORT);
    EXPECT_EQ(leaf(PV_CPUID_BASE + 2).ecx, 4U);
    EXPECT_EQ(vcpu_cpuid(supported, 0, 1, false)[0].ecx, 1U << 31);
}

} // namespace
} // namespace pvisor
