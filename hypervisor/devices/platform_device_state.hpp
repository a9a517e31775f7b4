// platform_device_state.hpp: the platform PCI device's guest-programmed state as plain values,
// for save/restore (hypervisor/snapshot encodes it as a stream record).
#pragma once

#include <cstdint>
#include <vector>

namespace pvisor {

// The guest-programmed state of the device, for save/restore: its writable configuration
// dwords and each MSI-X entry with its pending bit.
struct MsixVectorState {
    std::uint64_t address = 0;
    std::uint32_t data = 0;
    std::uint8_t masked = 1;
    std::uint8_t pending = 0;
    std::uint16_t pad = 0;
};
static_assert(sizeof(MsixVectorState) == 16);

struct PlatformDeviceState {
    std::uint32_t command = 0;      // dword 0x04 (command; status is read-only)
    std::uint32_t bar0 = 0;         // dword 0x10
    std::uint32_t int_line = 0;     // dword 0x3C
    std::uint32_t msix_control = 0; // the MSI-X capability's first dword
    std::vector<MsixVectorState> vectors;
};

} // namespace pvisor
