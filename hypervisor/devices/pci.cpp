// pci.cpp: configuration mechanism #1 decoding and the host bridge.
#include "pci.hpp"

#include <pv/pvisor.h>

#include <cstring>

namespace pvisor {

std::uint32_t PciConfigSpace::read32(unsigned reg) const {
    std::uint32_t v = 0;
    std::memcpy(&v, &m_bytes[reg & 0xFCU], 4);
    return v;
}

void PciConfigSpace::write32(unsigned reg, std::uint32_t value, unsigned byte_enable) {
    reg &= 0xFCU;
    for (unsigned i = 0; i < 4; ++i) {
        if ((byte_enable & (1U << i)) == 0)
            continue;
        const auto b = static_cast<std::uint8_t>(value >> (8 * i));
        const std::uint8_t mask = m_writable[reg + i];
        m_bytes[reg + i] = static_cast<std::uint8_t>((m_bytes[reg + i] & ~mask) | (b & mask));
    }
}

void PciConfigSpace::set16(unsigned off, std::uint16_t v) { std::memcpy(&m_bytes[off], &v, 2); }
void PciConfigSpace::set32(unsigned off, std::uint32_t v) { std::memcpy(&m_bytes[off], &v, 4); }

std::uint16_t PciConfigSpace::get16(unsigned off) const {
    std::uint16_t v = 0;
    std::memcpy(&v, &m_bytes[off], 2);
    return v;
}

// Linux's type-1 sanity check accepts a bus once it finds a host bridge (class 06/00).
PciBus::HostBridge::HostBridge() {
    m_cfg.set16(0x00, PV_PLATFORM_VENDOR_ID);
    m_cfg.set16(0x02, 0x0000);
    m_cfg.set32(0x08, 0x06000000U); // class 06 (bridge), subclass 00 (host), revision 0
}

PciBus::PciBus() { m_slots[0] = &m_bridge; }

PciDevice* PciBus::selected() const {
    constexpr std::uint32_t kEnable = 1U << 31;
    const unsigned bus = (m_address >> 16) & 0xFFU;
    const unsigned slot = (m_address >> 11) & 0x1FU;
    const unsigned function = (m_address >> 8) & 0x7U;
    if ((m_address & kEnable) == 0 || bus != 0 || function != 0)
        return nullptr;
    return m_slots[slot];
}

void PciBus::io(std::uint16_t port, bool is_write, std::uint8_t* data, unsigned size) {
    std::lock_guard lock(m_mu);
    if (port == kConfigAddress && size == 4) {
        if (is_write) {
            std::memcpy(&m_address, data, 4);
            m_address &= 0x80FFFFFCU; // reserved bits and the low two read as zero
        } else {
            std::memcpy(data, &m_address, 4);
        }
        return;
    }
    // Byte and word accesses to 0xCF8-0xCFB (mechanism #2 probing, 0xCFB) are ignored.
    if (port < kConfigData || size > 4 || static_cast<unsigned>(port - kConfigData) + size > 4) {
        if (!is_write)
            std::memset(data, 0xFF, size);
        return;
    }
    const unsigned byte = static_cast<unsigned>(port - kConfigData);
    const unsigned shift = 8 * byte;
    const unsigned reg = m_address & 0xFCU;
    PciDevice* dev = selected();
    if (is_write) {
        if (dev == nullptr)
            return;
        std::uint32_t v = 0;
        std::memcpy(&v, data, size);
        const unsigned bytes = (1U << size) - 1;
        dev->config_write(reg, v << shift, bytes << byte);
        return;
    }
    const std::uint32_t v = dev != nullptr ? dev->config_read(reg) : 0xFFFFFFFFU;
    const std::uint32_t part = v >> shift;
    std::memcpy(data, &part, size);
}

} // namespace pvisor
