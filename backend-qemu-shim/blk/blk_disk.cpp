// blk_disk.cpp: opening an image or block device and working out its capacity.
#include "blk_disk.hpp"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

namespace pvisor::backend {

Result<BlkDisk> BlkDisk::open(const BlkDiskConfig& cfg) {
    if (cfg.path.empty() || cfg.queues == 0 || cfg.queues > PV_BLKIF_MAX_QUEUES)
        return Errc::invalid_argument;
    int flags = (cfg.read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC;
    if (cfg.direct)
        flags |= O_DIRECT;
    UniqueFd fd(::open(cfg.path.c_str(), flags));
    if (!fd.valid())
        return errno == ENOENT ? Errc::not_found : Errc::system_error;
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0)
        return Errc::system_error;
    std::uint64_t bytes = 0;
    int logical = static_cast<int>(BLKIF_SECTOR_SIZE);
    if (S_ISBLK(st.st_mode)) {
        if (::ioctl(fd.get(), BLKGETSIZE64, &bytes) != 0 ||
            ::ioctl(fd.get(), BLKSSZGET, &logical) != 0)
            return Errc::system_error;
    } else if (S_ISREG(st.st_mode)) {
        bytes = static_cast<std::uint64_t>(st.st_size);
    } else {
        return Errc::invalid_argument;
    }
    BlkDiskLimits lim;
    lim.capacity_sectors = bytes >> BLKIF_SECTOR_SHIFT;
    lim.read_only = cfg.read_only;
    // Buffered I/O takes any 512-byte range; O_DIRECT needs the device's logical sector.
    if (cfg.direct && logical == 4096)
        lim.sector_size = 4096;
    else if (cfg.direct && logical != static_cast<int>(BLKIF_SECTOR_SIZE))
        return Errc::not_supported;
    lim.flush = true; // on a read-only disk only a flush without data is accepted
    lim.discard = !cfg.read_only;
    return BlkDisk(std::move(fd), cfg, lim);
}

} // namespace pvisor::backend
