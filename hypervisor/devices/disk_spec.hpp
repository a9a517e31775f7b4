// disk_option.hpp: strict parser for --disk path[,ro][,queues=N][,direct=on|off].
#pragma once

#include "blk_disk.hpp"

#include <string>
#include <string_view>

namespace pvisor::backend {

// Parses one --disk value. The path is everything before the first comma (a path containing
// a comma cannot be given). Each option may appear once; unknown options, empty parts,
// queues outside 1..PV_BLKIF_MAX_QUEUES and direct values other than on/off are refused
// with Errc::invalid_argument and a message in *why (if given).
[[nodiscard]] Result<BlkDiskConfig> parse_disk_option(std::string_view text,
                                                      std::string* why = nullptr);

} // namespace pvisor::backend
