// platform_device_test.cpp: the PCI host bridge and the platform device's MSI-X upcall vectors,
// driven through pvisor's own port and MMIO dispatch on a real KVM VM (config mechanism #1,
// BAR sizing, table programming, PBA latching, the guest's malformed accesses).
#include "kvm_vm.hpp"

#include <pv/pvisor.h>

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

namespace pvisor {
namespace {

constexpr std::uint32_t kMsixCap = 0x40;

class CountingHooks final : public PvHooks {
  public:
    std::int32_t hypercall(VcpuAccess&, const HypercallRegs&) override { return 0; }
    void notify(VcpuAccess&, std::uint32_t) override {}
    void upcall_enabled(unsigned vcpu) override { enabled.push_back(vcpu); }
    std::vector<unsigned> enabled;
};

class PlatformDeviceTest : public ::testing::Test {
  protected:
    void SetUp() override {
        VmConfig vc;
        vc.memory_bytes = 16 << 20;
        vc.vcpus = 2;
        std::string why;
        auto vm = Vm::create(vc, why);
        if (!vm.ok())
            GTEST_SKIP() << "no usable /dev/kvm: " << why;
        m_vm = std::move(*vm);
        ASSERT_TRUE(m_vm->create_vcpus(0x100000, 0, 0x80000).ok());
        m_vm->set_hooks(&m_hooks);
    }

    std::uint32_t cfg_read(unsigned slot, unsigned reg, unsigned size = 4) {
        select(slot, reg);
        std::uint8_t data[4] = {};
        m_vm->port_io(m_vm->vcpu(0), static_cast<std::uint16_t>(0xCFC + (reg & 3)), false, data, size);
        std::uint32_t v = 0;
        std::memcpy(&v, data, size);
        return v;
    }
    void cfg_write(unsigned slot, unsigned reg, std::uint32_t v, unsigned size = 4) {
        select(slot, reg);
        std::uint8_t data[4];
        std::memcpy(data, &v, 4);
        m_vm->port_io(m_vm->vcpu(0), static_cast<std::uint16_t>(0xCFC + (reg & 3)), true, data, size);
    }
    void select(unsigned slot, unsigned reg) {
        const std::uint32_t addr = 0x80000000U | (slot << 11) | (reg & 0xFCU);
        std::uint8_t data[4];
        std::memcpy(data, &addr, 4);
        m_vm->port_io(m_vm->vcpu(0), 0xCF8, true, data, 4);
    }
    std::uint32_t mmio_read(std::uint64_t gpa, unsigned len = 4) {
        std::uint8_t data[8] = {};
        m_vm->mmio(gpa, false, data, len);
        std::uint32_t v = 0;
        std::memcpy(&v, data, 4);
        return v;
    }
    void mmio_write(std::uint64_t gpa, std::uint32_t v, unsigned len = 4) {
        std::uint8_t data[8] = {};
        std::memcpy(data, &v, 4);
        m_vm->mmio(gpa, true, data, len);
    }
    // Enables memory decoding and MSI-X, and programs vector i with an unmasked message.
    void program_vector(unsigned i, bool unmask) {
        cfg_write(PvPlatformDevice::kSlot, 0x04, 0x6); // memory + bus master
        const std::uint64_t entry = PvPlatformDevice::kDefaultBar0 + 16 * i;
        mmio_write(entry + 0, 0xFEE00000U);
        mmio_write(entry + 4, 0);
        mmio_write(entry + 8, 0x40U + i);
        mmio_write(entry + 12, unmask ? 0U : 1U);
    }
    void set_msix_control(std::uint16_t bits) { cfg_write(PvPlatformDevice::kSlot, kMsixCap + 2, bits, 2); }

    std::unique_ptr<Vm> m_vm;
    CountingHooks m_hooks;
};

TEST_F(PlatformDeviceTest, ConfigMechanismOneFindsHostBridgeAndPlatformDevice) {
    std::uint8_t data[4];
    const std::uint32_t addr = 0x80000800U | 0x3U; // the low two bits read back as zero
    std::memcpy(data, &addr, 4);
    m_vm->port_io(m_vm->vcpu(0), 0xCF8, true, data, 4);
    std::memset(data, 0, 4);
    m_vm->port_io(m_vm->vcpu(0), 0xCF8, false, data, 4);
    std::uint32_t back = 0;
    std::memcpy(&back, data, 4);
    EXPECT_EQ(back, 0x80000800U);

    EXPECT_EQ(cfg_read(0, 0x08) >> 16, 0x0600U); // host bridge class
    EXPECT_EQ(cfg_read(PvPlatformDevice::kSlot, 0x00),
              (PV_PLATFORM_DEVICE_ID << 16) | PV_PLATFORM_VENDOR_ID);
    EXPECT_EQ(cfg_read(PvPlatformDevice::kSlot, 0x08) >> 8, PV_PLATFORM_CLASS);
    EXPECT_EQ(cfg_read(PvPlatformDevice::kSlot, 0x02, 2), PV_PLATFORM_DEVICE_ID); // word at +2
    EXPECT_EQ(cfg_read(2, 0x00), 0xFFFFFFFFU);                                     // empty slot
    EXPECT_EQ(cfg_read(PvPlatformDevice::kSlot, 0x34) & 0xFFU, kMsixCap);
    EXPECT_EQ(cfg_read(PvPlatformDevice::kSlot, kMsixCap) & 0xFFU, 0x11U);   // MSI-X cap id
    EXPECT_EQ(cfg_read(PvPlatformDevice::kSlot, kMsixCap) >> 16, 1U);        // 2 vectors
    EXPECT_EQ(cfg_read(PvPlatformDevice::kSlot, kMsixCap + 8), PV_PLATFORM_MSIX_PBA_OFFSET);
    // Identity registers are read-only.
    cfg_write(PvPlatformDevice::kSlot, 0x00, 0x12345678U);
    EXPECT_EQ(cfg_read(PvPlatformDevice::kSlot, 0x00) & 0xFFFFU, PV_PLATFORM_VENDOR_ID);
}

TEST_F(PlatformDeviceTest, Bar0SizesAndMoves) {
    cfg_write(PvPlatformDevice::kSlot, 0x10, 0xFFFFFFFFU);
    EXPECT_EQ(cfg_read(PvPlatformDevice::kSlot, 0x10), ~(PV_PLATFORM_BAR0_SIZE - 1));
    constexpr std::uint32_t kMoved = 0xFE100000U;
    cfg_write(PvPlatformDevice::kSlot, 0x10, kMoved);
    // Memory decoding still off: the BAR claims nothing.
    EXPECT_EQ(mmio_read(kMoved + 12), 0xFFFFFFFFU);
    cfg_write(PvPlatformDevice::kSlot, 0x04, 0x2);
    EXPECT_EQ(mmio_read(kMoved + 12), 1U); // vector control: masked at reset
    EXPECT_EQ(mmio_read(PvPlatformDevice::kDefaultBar0 + 12), 0xFFFFFFFFU);
}

TEST_F(PlatformDeviceTest, UpcallLatchedWhileMaskedThenDeliveredOnUnmask) {
    PvPlatformDevice& dev = m_vm->platform_device();
    m_vm->raise_upcall(0);
    EXPECT_EQ(dev.latched(0), 1U);
    EXPECT_EQ(dev.raised(0), 0U);
    program_vector(0, true);
    EXPECT_TRUE(m_hooks.enabled.empty()); // MSI-X itself still disabled
    EXPECT_EQ(mmio_read(PvPlatformDevice::kDefaultBar0 + PV_PLATFORM_MSIX_PBA_OFFSET), 1U);

    set_msix_control(0x8000);
    ASSERT_EQ(m_hooks.enabled, std::vector<unsigned>{0});
    EXPECT_EQ(dev.raised(0), 1U); // the latched upcall went out through the irqfd
    EXPECT_EQ(mmio_read(PvPlatformDevice::kDefaultBar0 + PV_PLATFORM_MSIX_PBA_OFFSET), 0U);
    EXPECT_EQ(mmio_read(PvPlatformDevice::kDefaultBar0 + 8), 0x40U);

    m_vm->raise_upcall(0);
    EXPECT_EQ(dev.raised(0), 2U);
    m_vm->raise_upcall(1); // vector 1 never unmasked
    EXPECT_EQ(dev.raised(1), 0U);
    EXPECT_EQ(dev.latched(1), 1U);
    EXPECT_EQ(mmio_read(PvPlatformDevice::kDefaultBar0 + PV_PLATFORM_MSIX_PBA_OFFSET), 2U);
}

TEST_F(PlatformDeviceTest, FunctionMaskAndEntryMaskHoldUpcalls) {
    PvPlatformDevice& dev = m_vm->platform_device();
    program_vector(1, true);
    set_msix_control(0x8000 | 0x4000); // enabled but function-masked
    m_vm->raise_upcall(1);
    EXPECT_EQ(dev.raised(1), 0U);
    EXPECT_TRUE(m_hooks.enabled.empty());
    set_msix_control(0x8000);
    EXPECT_EQ(dev.raised(1), 1U);
    mmio_write(PvPlatformDevice::kDefaultBar0 + 16 + 12, 1); // mask entry 1
    m_vm->raise_upcall(1);
    EXPECT_EQ(dev.raised(1), 1U);
    EXPECT_EQ(dev.latched(1), 2U);
    EXPECT_EQ(m_hooks.enabled, std::vector<unsigned>{1});
}

TEST_F(PlatformDeviceTest, MalformedAccessesAreIgnored) {
    PvPlatformDevice& dev = m_vm->platform_device();
    cfg_write(PvPlatformDevice::kSlot, 0x04, 0x2);
    // Byte access to the table: reads zero, writes dropped.
    EXPECT_EQ(mmio_read(PvPlatformDevice::kDefaultBar0 + 12, 1), 0U);
    mmio_write(PvPlatformDevice::kDefaultBar0 + 12, 0, 1);
    EXPECT_EQ(mmio_read(PvPlatformDevice::kDefaultBar0 + 12), 1U);
    // Misaligned dword, and the hole past the last entry.
    mmio_write(PvPlatformDevice::kDefaultBar0 + 2, 0xFFFFFFFFU);
    EXPECT_EQ(mmio_read(PvPlatformDevice::kDefaultBar0), 0U);
    EXPECT_EQ(mmio_read(PvPlatformDevice::kDefaultBar0 + 0x400), 0U);
    mmio_write(PvPlatformDevice::kDefaultBar0 + 0x400, 0xFFFFFFFFU);
    // A write to the read-only PBA changes nothing.
    m_vm->raise_upcall(0);
    mmio_write(PvPlatformDevice::kDefaultBar0 + PV_PLATFORM_MSIX_PBA_OFFSET, 0);
    EXPECT_EQ(mmio_read(PvPlatformDevice::kDefaultBar0 + PV_PLATFORM_MSIX_PBA_OFFSET), 1U);
    // Out-of-range vCPU.
    m_vm->raise_upcall(7);
    EXPECT_EQ(dev.raised(7), 0U);
    EXPECT_EQ(dev.latched(7), 0U);
    // Config mechanism #1 with the enable bit clear, or on bus 1: all ones.
    std::uint8_t data[4];
    const std::uint32_t off = 0x00000800U;
    std::memcpy(data, &off, 4);
    m_vm->port_io(m_vm->vcpu(0), 0xCF8, true, data, 4);
    m_vm->port_io(m_vm->vcpu(0), 0xCFC, false, data, 4);
    std::uint32_t v = 0;
    std::memcpy(&v, data, 4);
    EXPECT_EQ(v, 0xFFFFFFFFU);
}

} // namespace
} // namespace pvisor
