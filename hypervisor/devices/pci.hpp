// pci.hpp: PCI bus 0 behind configuration mechanism #1 (ports 0xCF8-0xCFF), the configuration
// space model its devices share, and the host bridge the guest's PCI probe looks for.
#pragma once

#include <array>
#include <cstdint>
#include <mutex>

namespace pvisor {

// 256 bytes of type-0 configuration space with a per-byte mask of guest-writable bits;
// everything else is read-only (as the device's identity and capabilities are).
class PciConfigSpace {
  public:
    static constexpr unsigned kSize = 256;

    [[nodiscard]] std::uint32_t read32(unsigned reg) const;
    // Writes the bytes of `value` selected by `byte_enable` (bit i = byte i) under the mask.
    void write32(unsigned reg, std::uint32_t value, unsigned byte_enable);

    // Device set-up: raw stores that ignore the mask, and the mask itself.
    void set8(unsigned off, std::uint8_t v) { m_bytes[off] = v; }
    void set16(unsigned off, std::uint16_t v);
    void set32(unsigned off, std::uint32_t v);
    void set_writable(unsigned off, std::uint8_t mask) { m_writable[off] = mask; }
    [[nodiscard]] std::uint8_t get8(unsigned off) const { return m_bytes[off]; }
    [[nodiscard]] std::uint16_t get16(unsigned off) const;

  private:
    std::array<std::uint8_t, kSize> m_bytes{};
    std::array<std::uint8_t, kSize> m_writable{};
};

class PciDevice {
  public:
    virtual ~PciDevice() = default;
    // `reg` is dword-aligned, below 256. Called from vCPU threads; the bus serializes them.
    [[nodiscard]] virtual std::uint32_t config_read(unsigned reg) = 0;
    virtual void config_write(unsigned reg, std::uint32_t value, unsigned byte_enable) = 0;
};

// Bus 0, function 0 of each slot only; absent slots, functions and buses read as all ones.
class PciBus {
  public:
    static constexpr std::uint16_t kConfigAddress = 0xCF8;
    static constexpr std::uint16_t kConfigData = 0xCFC;
    static constexpr unsigned kSlots = 32;

    PciBus();
    // `dev` must outlive the bus; slot 0 holds the host bridge.
    void attach(unsigned slot, PciDevice* dev) { m_slots.at(slot) = dev; }
    [[nodiscard]] static bool claims(std::uint16_t port) { return port >= kConfigAddress && port < kConfigData + 4; }
    void io(std::uint16_t port, bool is_write, std::uint8_t* data, unsigned size);

  private:
    [[nodiscard]] PciDevice* selected() const;

    class HostBridge final : public PciDevice {
      public:
        HostBridge();
        std::uint32_t config_read(unsigned reg) override { return m_cfg.read32(reg); }
        void config_write(unsigned, std::uint32_t, unsigned) override {}

      private:
        PciConfigSpace m_cfg;
    };

    std::mutex m_mu;
    std::uint32_t m_address = 0; // the 0xCF8 latch; guarded by m_mu
    HostBridge m_bridge;
    std::array<PciDevice*, kSlots> m_slots{};
};

} // namespace pvisor
