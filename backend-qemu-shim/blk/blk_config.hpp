// blk_config.hpp: a vbd's configuration read from the nodes the toolstack wrote into its
// backend directory: params, mode and pvisor's tuning keys queues and direct-io.
#pragma once

#include "backend_device.hpp"
#include "blk_disk.hpp"

#include <string>

namespace pvisor::backend {

// Queues offered when the toolstack writes no `queues` key.
inline constexpr std::uint32_t kBlkDefaultQueues = 1;

// Reads, relative to the backend directory:
//   params     the image or block device path (required, not empty)
//   mode       r | w (required): read-only or read-write
//   queues     1..PV_BLKIF_MAX_QUEUES (optional, default kBlkDefaultQueues)
//   direct-io  0 | 1 (optional, default 0): O_DIRECT
// Refused: Errc::invalid_argument and, in `why`, a sentence naming the node ("mode: 'x' is
// not r or w"), the device's hotplug-error.
[[nodiscard]] Result<BlkDiskConfig> read_blk_config(const KeyReader& back, std::string& why);

} // namespace pvisor::backend
