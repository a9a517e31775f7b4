// bzimage.hpp: validates a bzImage (64-bit boot protocol >= 2.12) and lays it out in guest RAM
// with its zero page, command line, initrd and e820 map.
#pragma once

#include "guest_memory.hpp"
#include "result.hpp"

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace pvisor {

// Fixed guest-physical addresses of what the VMM writes before the first instruction.
inline constexpr std::uint64_t kGdtGpa = 0x500;
inline constexpr std::uint64_t kZeroPageGpa = 0x7000;
inline constexpr std::uint64_t kPml4Gpa = 0x9000;      // + PDPT at 0xA000, 4 PDs 0xB000-0xEFFF
inline constexpr std::uint64_t kCmdlineGpa = 0x20000;
inline constexpr std::uint64_t kMpTableGpa = 0xF0000;   // in the reserved 640K-1M hole
inline constexpr std::uint64_t kKernelGpa = 0x100000;
inline constexpr std::uint64_t kLowRamEnd = 0xA0000;    // 640 KiB
inline constexpr std::uint64_t kBootStackTop = 0x8FF0;

enum class E820Type : std::uint32_t { ram = 1, reserved = 2 };
struct E820Entry {
    std::uint64_t addr;
    std::uint64_t size;
    std::uint32_t type;
} __attribute__((packed));
static_assert(sizeof(E820Entry) == 20);

// What validate_bzimage learned from the setup header.
struct BzImageInfo {
    std::uint16_t protocol = 0;
    std::uint32_t setup_bytes = 0;      // real-mode part, including the boot sector
    std::uint32_t initrd_addr_max = 0;
    std::uint32_t cmdline_size = 0;
    std::uint32_t init_size = 0;        // memory the kernel needs from its load address
    std::uint32_t header_end = 0;       // end of the setup header inside the file
};

// Checks "HdrS", protocol >= 2.12 and XLF_KERNEL_64. `why` gets the reason on failure.
[[nodiscard]] Result<BzImageInfo> validate_bzimage(std::span<const std::uint8_t> image,
                                                   std::string& why);

// The e820 map for `ram_bytes` of RAM: RAM below 640K, reserved 640K-1M, RAM from 1M to
// the MMIO hole (and above 4 GiB), the special pages reserved.
[[nodiscard]] std::vector<E820Entry> build_e820(const GuestMemory& mem);

struct BootImages {
    std::span<const std::uint8_t> kernel;
    std::span<const std::uint8_t> initrd; // empty: none
    std::string cmdline;
    std::uint64_t acpi_rsdp = 0; // boot_params.acpi_rsdp_addr (protocol 2.14+); 0: none
};

// Writes the protected-mode kernel at kKernelGpa, the initrd as high as allowed, the command
// line and the zero page. `why` gets the reason on failure (e.g. RAM too small).
[[nodiscard]] Status load_bzimage(const GuestMemory& mem, const BzImageInfo& info,
                                  const BootImages& images, std::string& why);

} // namespace pvisor
