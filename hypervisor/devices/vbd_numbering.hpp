// vbd_numbering.hpp: the Xen virtual-device numbering of PV disks (xvda = 51712) that pvisor
// gives its --disk options when it writes their store nodes.
#pragma once

#include <cstdint>
#include <string>

namespace pvisor {

// Disks per guest: xvda..xvdp, the first 16 minors-of-16 of Xen's xvd major 202.
inline constexpr unsigned kBlkMaxDisks = 16;

// The --disk given at position `index` (0-based) is virtual-device 202 << 8 | index << 4.
[[nodiscard]] constexpr unsigned blk_devid(unsigned index) noexcept {
    return (202U << 8) | (index << 4);
}

// "xvda" for index 0 ... "xvdp" for index 15 (the name pvblk gives the disk).
[[nodiscard]] inline std::string blk_vdev_name(unsigned index) {
    return std::string("xvd") + static_cast<char>('a' + index % 26);
}

} // namespace pvisor
