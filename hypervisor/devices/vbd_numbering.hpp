// blk_vdev.hpp: the Xen virtual-device numbering of PV disks (xvda = 51712), shared by pvisor
// (which writes the store nodes) and pvisor-blkback (which serves them).
#pragma once

#include <cstdint>
#include <string>

namespace pvisor::backend {

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

// The backend directory, relative to the control domain's home (/local/domain/0/).
[[nodiscard]] inline std::string blk_backend_dir(unsigned domid, unsigned devid) {
    return "backend/vbd/" + std::to_string(domid) + "/" + std::to_string(devid);
}

} // namespace pvisor::backend
