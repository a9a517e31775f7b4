// blk_features.cpp: BlkDiskLimits and BlkDiskConfig rendered as blkif backend keys.
#include "blk_features.hpp"

namespace pvisor::backend {

std::vector<std::pair<std::string, std::string>> blk_backend_keys(const BlkDisk& disk) {
    const BlkDiskLimits& lim = disk.limits();
    const BlkDiskConfig& cfg = disk.config();
    auto b = [](bool v) { return std::string(v ? "1" : "0"); };
    std::vector<std::pair<std::string, std::string>> keys = {
        {BLKIF_KEY_MODE, cfg.read_only ? "r" : "w"},
        {"params", cfg.path},
        {BLKIF_KEY_INFO, std::to_string(cfg.read_only ? VDISK_READONLY : 0U)},
        {BLKIF_KEY_SECTORS, std::to_string(lim.capacity_sectors)},
        {BLKIF_KEY_SECTOR_SIZE, std::to_string(lim.sector_size)},
        {BLKIF_KEY_PHYS_SECTOR_SIZE, std::to_string(lim.sector_size)},
        {BLKIF_KEY_FEATURE_FLUSH, b(lim.flush && !lim.read_only)},
        {BLKIF_KEY_FEATURE_BARRIER, "0"},
        {BLKIF_KEY_FEATURE_DISCARD, b(lim.discard)},
        {BLKIF_KEY_FEATURE_PERSISTENT, "1"},
        {BLKIF_KEY_FEATURE_MAX_INDIRECT, std::to_string(lim.max_indirect_segments)},
        {BLKIF_KEY_MAX_RING_PAGE_ORDER, std::to_string(PV_BLKIF_MAX_RING_PAGE_ORDER)},
        {BLKIF_KEY_MQ_MAX_QUEUES, std::to_string(cfg.queues)},
    };
    if (lim.discard) {
        keys.emplace_back(BLKIF_KEY_DISCARD_GRANULARITY, std::to_string(lim.sector_size));
        keys.emplace_back(BLKIF_KEY_DISCARD_ALIGNMENT, "0");
        keys.emplace_back(BLKIF_KEY_DISCARD_SECURE, b(lim.discard_secure));
    }
    return keys;
}

} // namespace pvisor::backend
