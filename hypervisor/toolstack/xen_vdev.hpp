// xen_vdev.hpp: Xen's virtual-device names for disks (xvda, d1p2, sdb3, hdc, 51712) and the
// virtual-device numbers they stand for (xen-vbd-interface(7)).
#pragma once

#include "result.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace pvisor::toolstack {

enum class VdevKind {
    xvd,   // Xen virtual disk: xvdN[P], dN[pP], or a number in the 202<<8 or 1<<28 form
    scsi,  // sdN[P], or a number in the 8<<8 form
    ide,   // hdN[P], or a number in the 3<<8 or 22<<8 form
    other, // a number in none of the forms above (deprecated or reserved by Xen)
};

struct XenVdev {
    VdevKind kind = VdevKind::other;
    std::uint32_t disk = 0;      // disk index (xvda = 0); 0 for VdevKind::other
    std::uint32_t partition = 0; // 0 is the whole disk
    std::uint32_t devid = 0;     // the number written to the store's virtual-device keys
};

// Decodes a vdev as libxl__device_disk_dev_number() does: xvd disks 0..2^20-1 with
// partitions 0..255 (letters are bijective base 26: xvdz = 25, xvdaa = 26), dN / dNpM
// likewise (decimal without leading zeros), sd disks 0..15 with partitions 0..15, hd disks
// 0..3 with partitions 0..63, or the number itself (decimal, 0 octal or 0x hex, at most
// 2^31 - 1) which is then classified by its form. A partition number has no leading zero.
// Errc::invalid_argument for anything else. (libxl refuses "d0" without "p0" through a
// quirk of sscanf; the documented form is accepted here.)
[[nodiscard]] Result<XenVdev> decode_xen_vdev(std::string_view name);

// The number of whole xvd disk `disk`: 202 << 8 | disk << 4 below 16, 1 << 28 | disk << 8
// from 16 on (disk < 2^20).
[[nodiscard]] std::uint32_t xvd_devid(std::uint32_t disk);

// "xvda" for disk 0, "xvdz" for 25, "xvdaa" for 26 (libxl__devid_to_vdev's letters).
[[nodiscard]] std::string xvd_name(std::uint32_t disk);

} // namespace pvisor::toolstack
