// bzimage.cpp: the Linux x86 boot protocol (Documentation/x86/boot.rst), 64-bit entry.
#include "bzimage.hpp"

#include <pv/pvisor.h>

#include <algorithm>
#include <cstring>

namespace pvisor {
namespace {

// Offsets into the setup header / zero page (struct boot_params).
constexpr std::size_t kSetupSects = 0x1F1;
constexpr std::size_t kHdrStart = 0x1F1;
constexpr std::size_t kJumpLen = 0x201;
constexpr std::size_t kHeaderMagic = 0x202;
constexpr std::size_t kVersion = 0x206;
constexpr std::size_t kTypeOfLoader = 0x210;
constexpr std::size_t kLoadFlags = 0x211;
constexpr std::size_t kRamdiskImage = 0x218;
constexpr std::size_t kRamdiskSize = 0x21C;
constexpr std::size_t kHeapEndPtr = 0x224;
constexpr std::size_t kCmdLinePtr = 0x228;
constexpr std::size_t kInitrdAddrMax = 0x22C;
constexpr std::size_t kXLoadFlags = 0x236;
constexpr std::size_t kCmdlineSize = 0x238;
constexpr std::size_t kInitSize = 0x260;
constexpr std::size_t kAcpiRsdpAddr = 0x070;
constexpr std::size_t kExtRamdiskImage = 0x0C0;
constexpr std::size_t kExtRamdiskSize = 0x0C4;
constexpr std::size_t kExtCmdLinePtr = 0x0C8;
constexpr std::size_t kE820Entries = 0x1E8;
constexpr std::size_t kE820Table = 0x2D0;
constexpr std::size_t kE820Max = 128;
constexpr std::uint8_t kCanUseHeap = 0x80;
constexpr std::uint16_t kXlfKernel64 = 1;
constexpr std::uint16_t kProtocolAcpiRsdp = 0x020E; // boot_params.acpi_rsdp_addr

template <typename T>
T load(std::span<const std::uint8_t> b, std::size_t off) {
    T v;
    std::memcpy(&v, b.data() + off, sizeof v);
    return v;
}

template <typename T>
void store(std::span<std::uint8_t> b, std::size_t off, T v) {
    std::memcpy(b.data() + off, &v, sizeof v);
}

} // namespace

Result<BzImageInfo> validate_bzimage(std::span<const std::uint8_t> image, std::string& why) {
    if (image.size() < 0x1000 || load<std::uint32_t>(image, kHeaderMagic) != 0x53726448U) {
        why = "not a bzImage (no \"HdrS\" setup header)";
        return Errc::invalid_argument;
    }
    BzImageInfo info;
    info.protocol = load<std::uint16_t>(image, kVersion);
    if (info.protocol < 0x020C) {
        why = "boot protocol too old (need 2.12 or later)";
        return Errc::invalid_argument;
    }
    if ((load<std::uint16_t>(image, kXLoadFlags) & kXlfKernel64) == 0) {
        why = "kernel has no 64-bit entry point (XLF_KERNEL_64)";
        return Errc::invalid_argument;
    }
    unsigned sects = image[kSetupSects];
    if (sects == 0)
        sects = 4;
    info.setup_bytes = (sects + 1) * 512;
    info.header_end = 0x202U + image[kJumpLen];
    if (info.setup_bytes >= image.size() || info.header_end > info.setup_bytes) {
        why = "truncated bzImage";
        return Errc::invalid_argument;
    }
    info.initrd_addr_max = load<std::uint32_t>(image, kInitrdAddrMax);
    info.cmdline_size = load<std::uint32_t>(image, kCmdlineSize);
    info.init_size = load<std::uint32_t>(image, kInitSize);
    return info;
}

std::vector<E820Entry> build_e820(const GuestMemory& mem) {
    std::vector<E820Entry> map;
    const auto ram = [&](std::uint64_t a, std::uint64_t s) {
        map.push_back({a, s, static_cast<std::uint32_t>(E820Type::ram)});
    };
    ram(0, kLowRamEnd);
    map.push_back({kLowRamEnd, kKernelGpa - kLowRamEnd,
                   static_cast<std::uint32_t>(E820Type::reserved)});
    for (const GuestRegion& r : mem.regions()) {
        if (!r.is_ram) {
            map.push_back({r.gpa, r.size, static_cast<std::uint32_t>(E820Type::reserved)});
        } else if (r.gpa + r.size > kKernelGpa) {
            const std::uint64_t start = std::max(r.gpa, kKernelGpa);
            ram(start, r.gpa + r.size - start);
        }
    }
    return map;
}

namespace {

Status place_initrd(const GuestMemory& mem, const BzImageInfo& info,
                    std::span<const std::uint8_t> initrd, std::uint64_t kernel_end,
                    std::uint64_t& gpa, std::string& why) {
    std::uint64_t top = std::min<std::uint64_t>(
        std::min<std::uint64_t>(mem.ram_bytes(), kMmioHoleStart), std::uint64_t{info.initrd_addr_max} + 1);
    if (initrd.size() > top || ((top - initrd.size()) & ~(kPageSize - 1)) < kernel_end) {
        why = "memory too small for kernel and initrd";
        return Errc::no_space;
    }
    gpa = (top - initrd.size()) & ~(kPageSize - 1);
    return mem.write(gpa, initrd.data(), initrd.size());
}

} // namespace

Status load_bzimage(const GuestMemory& mem, const BzImageInfo& info, const BootImages& images,
                    std::string& why) {
    const auto kernel = images.kernel.subspan(info.setup_bytes);
    const std::uint64_t kernel_end =
        kKernelGpa + std::max<std::uint64_t>(kernel.size(), info.init_size);
    if (kernel_end > std::min<std::uint64_t>(mem.ram_bytes(), kMmioHoleStart)) {
        why = "memory too small for the kernel";
        return Errc::no_space;
    }
    PV_TRY(mem.write(kKernelGpa, kernel.data(), kernel.size()));

    if (images.cmdline.size() + 1 > std::min<std::uint64_t>(info.cmdline_size + 1U, 0x10000U)) {
        why = "command line too long";
        return Errc::too_big;
    }
    PV_TRY(mem.write(kCmdlineGpa, images.cmdline.c_str(), images.cmdline.size() + 1));

    std::vector<std::uint8_t> zp(4096, 0);
    std::copy(images.kernel.begin() + kHdrStart, images.kernel.begin() + info.header_end,
              zp.begin() + kHdrStart);
    std::span<std::uint8_t> z(zp);
    z[kTypeOfLoader] = 0xFF;
    z[kLoadFlags] = static_cast<std::uint8_t>(z[kLoadFlags] | kCanUseHeap);
    store<std::uint16_t>(z, kHeapEndPtr, 0xFE00);
    store<std::uint32_t>(z, kCmdLinePtr, static_cast<std::uint32_t>(kCmdlineGpa));
    store<std::uint32_t>(z, kExtCmdLinePtr, 0);
    if (images.acpi_rsdp != 0 && info.protocol >= kProtocolAcpiRsdp)
        store<std::uint64_t>(z, kAcpiRsdpAddr, images.acpi_rsdp);
    if (!images.initrd.empty()) {
        std::uint64_t gpa = 0;
        PV_TRY(place_initrd(mem, info, images.initrd, kernel_end, gpa, why));
        store<std::uint32_t>(z, kRamdiskImage, static_cast<std::uint32_t>(gpa));
        store<std::uint32_t>(z, kRamdiskSize, static_cast<std::uint32_t>(images.initrd.size()));
        store<std::uint32_t>(z, kExtRamdiskImage, static_cast<std::uint32_t>(gpa >> 32));
        store<std::uint32_t>(z, kExtRamdiskSize,
                             static_cast<std::uint32_t>(images.initrd.size() >> 32));
    }
    const auto e820 = build_e820(mem);
    if (e820.size() > kE820Max)
        return Errc::too_big;
    z[kE820Entries] = static_cast<std::uint8_t>(e820.size());
    std::memcpy(zp.data() + kE820Table, e820.data(), e820.size() * sizeof(E820Entry));
    return mem.write(kZeroPageGpa, zp.data(), zp.size());
}

} // namespace pvisor
