// mptable.cpp: MP floating pointer + configuration table with processors, PCI and ISA buses,
// one IOAPIC, and interrupt entries for the ISA IRQs.
#include "mptable.hpp"

#include <cstring>

namespace pvisor {
namespace {

constexpr std::size_t kFloatLen = 16;
constexpr std::size_t kHeaderLen = 44;
constexpr std::uint8_t kBusPci = 0;
constexpr std::uint8_t kBusIsa = 1;

class Writer {
  public:
    void u8(std::uint8_t v) { m_b.push_back(v); }
    void u16(std::uint16_t v) { raw(&v, 2); }
    void u32(std::uint32_t v) { raw(&v, 4); }
    void raw(const void* p, std::size_t n) {
        const auto* b = static_cast<const std::uint8_t*>(p);
        m_b.insert(m_b.end(), b, b + n);
    }
    std::vector<std::uint8_t>& bytes() { return m_b; }

  private:
    std::vector<std::uint8_t> m_b;
};

void processor(Writer& w, unsigned id) {
    w.u8(0);
    w.u8(static_cast<std::uint8_t>(id));
    w.u8(0x14);                         // local APIC version
    w.u8(id == 0 ? 0x03 : 0x01);        // enabled, BSP for cpu 0
    w.u32(0x600);                       // family 6 signature
    w.u32(0x201);                       // FPU + APIC feature flags
    w.u32(0);
    w.u32(0);
}

void bus(Writer& w, std::uint8_t id, const char (&name)[7]) {
    w.u8(1);
    w.u8(id);
    w.raw(name, 6);
}

void io_interrupt(Writer& w, std::uint8_t type, std::uint8_t src_irq, std::uint8_t apic,
                  std::uint8_t pin) {
    w.u8(3);
    w.u8(type);
    w.u16(0); // polarity/trigger conform to the bus
    w.u8(kBusIsa);
    w.u8(src_irq);
    w.u8(apic);
    w.u8(pin);
}

void local_interrupt(Writer& w, std::uint8_t type, std::uint8_t pin) {
    w.u8(4);
    w.u8(type);
    w.u16(0);
    w.u8(kBusIsa);
    w.u8(0);
    w.u8(0xFF); // all local APICs
    w.u8(pin);
}

} // namespace

std::uint8_t mp_checksum(const std::uint8_t* p, std::size_t n) {
    unsigned sum = 0;
    for (std::size_t i = 0; i < n; ++i)
        sum += p[i];
    return static_cast<std::uint8_t>(sum);
}

std::vector<std::uint8_t> build_mptable(std::uint32_t gpa, unsigned vcpus) {
    Writer w;
    // Floating pointer.
    w.raw("_MP_", 4);
    w.u32(gpa + static_cast<std::uint32_t>(kFloatLen));
    w.u8(1); // length in 16-byte units
    w.u8(4); // spec 1.4
    w.u8(0); // checksum, below
    for (int i = 0; i < 5; ++i)
        w.u8(0);
    // Configuration table header; length, count and checksum patched below.
    w.raw("PCMP", 4);
    w.u16(0);
    w.u8(4);
    w.u8(0);
    w.raw("PVISOR  ", 8);
    w.raw("PVISOR-VM   ", 12);
    w.u32(0);
    w.u16(0);
    w.u16(0);
    w.u32(kLapicGpa);
    w.u32(0);
    unsigned count = 0;
    for (unsigned i = 0; i < vcpus; ++i, ++count)
        processor(w, i);
    bus(w, kBusPci, "PCI   ");
    bus(w, kBusIsa, "ISA   ");
    const auto ioapic_id = static_cast<std::uint8_t>(vcpus);
    w.u8(2);
    w.u8(ioapic_id);
    w.u8(0x11);
    w.u8(1);
    w.u32(kIoApicGpa);
    count += 3;
    for (unsigned irq = 0; irq < kIsaIrqs; ++irq, ++count)
        io_interrupt(w, 0, static_cast<std::uint8_t>(irq), ioapic_id,
                     static_cast<std::uint8_t>(irq == 0 ? 2 : irq));
    local_interrupt(w, 3, 0); // ExtINT on LINT0
    local_interrupt(w, 1, 1); // NMI on LINT1
    count += 2;

    auto& b = w.bytes();
    const auto table_len = static_cast<std::uint16_t>(b.size() - kFloatLen);
    std::memcpy(&b[kFloatLen + 4], &table_len, 2);
    const auto cnt = static_cast<std::uint16_t>(count);
    std::memcpy(&b[kFloatLen + 34], &cnt, 2);
    b[kFloatLen + 7] = static_cast<std::uint8_t>(-mp_checksum(&b[kFloatLen], table_len));
    b[10] = static_cast<std::uint8_t>(-mp_checksum(b.data(), kFloatLen));
    return b;
}

} // namespace pvisor
