// irq_routing.cpp: builds and installs the GSI routing table.
#include "irq_routing.hpp"

#include "arch/kvm_abi.hpp"

#include <vector>

namespace pvisor {
namespace {

kvm_irq_routing_entry irqchip_route(unsigned gsi, unsigned chip, unsigned pin) {
    kvm_irq_routing_entry e{};
    e.gsi = gsi;
    e.type = KVM_IRQ_ROUTING_IRQCHIP;
    e.u.irqchip.irqchip = chip;
    e.u.irqchip.pin = pin;
    return e;
}

// The 8259 pair serves GSIs 0-15 (2 is the cascade); the IOAPIC serves 0-23, GSI 0 on pin 2
// and nothing on pin 0 (what QEMU's PC machine installs, and what an MP table's ISA IRQ 0 ->
// pin 2 entry promises).
std::vector<kvm_irq_routing_entry> legacy_routes() {
    std::vector<kvm_irq_routing_entry> routes;
    for (unsigned i = 0; i < 16; ++i) {
        if (i == 2)
            continue;
        if (i < 8)
            routes.push_back(irqchip_route(i, KVM_IRQCHIP_PIC_MASTER, i));
        else
            routes.push_back(irqchip_route(i, KVM_IRQCHIP_PIC_SLAVE, i - 8));
    }
    for (unsigned gsi = 0; gsi < IrqRouting::kIoapicPins; ++gsi) {
        if (gsi == 2)
            continue;
        routes.push_back(irqchip_route(gsi, KVM_IRQCHIP_IOAPIC, gsi == 0 ? 2 : gsi));
    }
    return routes;
}

} // namespace

Status IrqRouting::install_legacy() {
    std::lock_guard lock(m_mu);
    return commit_locked();
}

Status IrqRouting::set_msi(unsigned gsi, MsiMessage msg) {
    if (gsi < kFirstMsiGsi)
        return Errc::invalid_argument;
    std::lock_guard lock(m_mu);
    auto it = m_msi.find(gsi);
    if (it != m_msi.end() && it->second == msg)
        return {};
    m_msi[gsi] = msg;
    return commit_locked();
}

Status IrqRouting::clear_msi(unsigned gsi) {
    std::lock_guard lock(m_mu);
    if (m_msi.erase(gsi) == 0)
        return {};
    return commit_locked();
}

Status IrqRouting::commit_locked() {
    std::vector<kvm_irq_routing_entry> routes = legacy_routes();
    for (const auto& [gsi, msg] : m_msi) {
        kvm_irq_routing_entry e{};
        e.gsi = gsi;
        e.type = KVM_IRQ_ROUTING_MSI;
        e.u.msi.address_lo = static_cast<std::uint32_t>(msg.address);
        e.u.msi.address_hi = static_cast<std::uint32_t>(msg.address >> 32);
        e.u.msi.data = msg.data;
        routes.push_back(e);
    }
    kvm::FlexBuffer<kvm_irq_routing_entry> buf(routes.size());
    std::copy(routes.begin(), routes.end(), buf.entries());
    if (::ioctl(m_vm_fd, kvm::kSetGsiRouting, buf.data()) < 0)
        return Errc::system_error;
    return {};
}

} // namespace pvisor
