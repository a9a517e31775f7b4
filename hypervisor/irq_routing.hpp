// irq_routing.hpp: the VM's GSI routing table: the PC's legacy PIC/IOAPIC wiring plus one MSI
// route per irqfd-driven interrupt source (the platform device's upcall vectors).
#pragma once

#include "result.hpp"

#include <cstdint>
#include <map>
#include <mutex>

namespace pvisor {

struct MsiMessage {
    std::uint64_t address = 0;
    std::uint32_t data = 0;
    friend bool operator==(const MsiMessage&, const MsiMessage&) = default;
};

// KVM_SET_GSI_ROUTING replaces the whole table, so every change rewrites the legacy routes
// too. Those follow a PC (and the MP table pvisor writes): ISA IRQ 0, the PIT, reaches IOAPIC
// pin 2; KVM's built-in default would put it on pin 0, where the guest never looks.
class IrqRouting {
  public:
    static constexpr unsigned kIoapicPins = 24;
    static constexpr unsigned kFirstMsiGsi = kIoapicPins; // GSIs below are the legacy pins

    explicit IrqRouting(int vm_fd) : m_vm_fd(vm_fd) {}

    // Installs the legacy routes alone.
    [[nodiscard]] Status install_legacy();
    // Routes `gsi` (>= kFirstMsiGsi) to an MSI; no ioctl if the message did not change.
    [[nodiscard]] Status set_msi(unsigned gsi, MsiMessage msg);
    [[nodiscard]] Status clear_msi(unsigned gsi);

  private:
    [[nodiscard]] Status commit_locked();

    int m_vm_fd;
    std::mutex m_mu;
    std::map<unsigned, MsiMessage> m_msi; // guarded by m_mu
};

} // namespace pvisor
