// blk_features.hpp: the backend's xenstore keys for one disk (written before InitWait).
#pragma once

#include "blk_disk.hpp"

#include <string>
#include <utility>
#include <vector>

namespace pvisor::backend {

// Key/value pairs, relative to backend/vbd/<frontend-domid>/<handle>/, as pv/blkif.h
// documents them: what this disk offers, derived from the same BlkDiskLimits the parser
// enforces. One deliberate difference: a read-only disk does not advertise flush, yet a
// flush without data that arrives anyway is answered OKAY (there is nothing to flush).
[[nodiscard]] std::vector<std::pair<std::string, std::string>>
blk_backend_keys(const BlkDisk& disk);

} // namespace pvisor::backend
