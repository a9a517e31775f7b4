// blkback_options.hpp: command line of the block backend process (pvisor-blkback).
#pragma once

#include "blk_disk.hpp"

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace pvisor::backend {

// pvisor-blkback --control PATH --disk SPEC [--disk SPEC ...]
// SPEC is path[,ro][,queues=N][,direct=on|off] (parse_disk_option). At most kMaxDisks disks;
// the same image may not be given twice (two backends writing one file would corrupt it).
struct BlkbackOptions {
    static constexpr std::size_t kMaxDisks = 16;
    std::string control; // pvisor's control socket
    std::vector<BlkDiskConfig> disks;
};

// Parses the arguments after the program name. Errc::invalid_argument with a message in
// *why for any malformed, missing, unknown or repeated option.
[[nodiscard]] Result<BlkbackOptions> parse_blkback_options(std::span<const std::string_view> args,
                                                           std::string* why = nullptr);

} // namespace pvisor::backend
