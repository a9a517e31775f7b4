// pv_platform.hpp: the platform PCI device 5850:0001 (pv/pvisor.h): BAR0 holds an MSI-X table
// with one entry per vCPU, and entry i is vCPU i's event channel upcall, delivered through an
// irqfd routed to whatever message the guest programs there.
#pragma once

#include "irq_routing.hpp"
#include "platform_device_state.hpp"
#include "pci.hpp"
#include "result.hpp"
#include "unique_fd.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

namespace pvisor {

class PvPlatformDevice final : public PciDevice {
  public:
    // Where BAR0 sits until the guest moves it: below the IOAPIC, clear of RAM and the
    // special pages.
    static constexpr std::uint64_t kDefaultBar0 = 0xFE000000ULL;
    static constexpr unsigned kSlot = 1;

    // One vector per vCPU; vector i uses GSI IrqRouting::kFirstMsiGsi + i and an irqfd.
    // `on_enabled(i)` runs (outside the device lock) when vector i becomes deliverable.
    static Result<std::unique_ptr<PvPlatformDevice>> create(int vm_fd, IrqRouting& routing,
                                                            unsigned vectors,
                                                            std::function<void(unsigned)> on_enabled);

    std::uint32_t config_read(unsigned reg) override;
    void config_write(unsigned reg, std::uint32_t value, unsigned byte_enable) override;

    // BAR0 accesses; false if `gpa` is not inside the (enabled) BAR.
    bool mmio(std::uint64_t gpa, bool is_write, std::uint8_t* data, unsigned len);

    // Raises vector `i` (any thread). Masked or not yet enabled: latched in the PBA and
    // delivered when the guest unmasks it.
    void raise(unsigned i);

    // Save/restore. restore() writes the configuration through its writable masks (so a
    // stream cannot change the device's identity), then the entries, then routes every live
    // one; a pending entry that is live fires. Errc::invalid_argument if the vector count
    // differs.
    [[nodiscard]] PlatformDeviceState save() const;
    [[nodiscard]] Status restore(const PlatformDeviceState& state);

    // Counters for tests and the host's view.
    [[nodiscard]] std::uint64_t raised(unsigned i) const;
    [[nodiscard]] std::uint64_t latched(unsigned i) const;

  private:
    struct Vector {
        MsiMessage msg;
        bool masked = true;
        bool pending = false;
        bool live = false; // routed and unmasked: raise() writes the irqfd
        UniqueFd irqfd;
        std::uint64_t raised = 0;
        std::uint64_t latched = 0;
    };

    PvPlatformDevice(IrqRouting& routing, unsigned vectors,
                     std::function<void(unsigned)> on_enabled);
    void init_config();
    void table_access(unsigned off, bool is_write, std::uint8_t* data, unsigned len,
                      std::vector<unsigned>& enabled);
    void pba_read(unsigned off, std::uint8_t* data, unsigned len);
    // Re-evaluates vector i after a change; appends i to `enabled` when it became live.
    void update_locked(unsigned i, std::vector<unsigned>& enabled);
    void fire_locked(Vector& v);
    void notify(const std::vector<unsigned>& enabled);
    [[nodiscard]] bool msix_active_locked() const;
    [[nodiscard]] std::uint64_t bar0_locked() const;

    IrqRouting& m_routing;
    std::function<void(unsigned)> m_on_enabled;
    mutable std::mutex m_mu;
    PciConfigSpace m_cfg;            // guarded by m_mu
    std::vector<Vector> m_vectors;   // guarded by m_mu
};

} // namespace pvisor
