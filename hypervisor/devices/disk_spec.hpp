// disk_spec.hpp: strict parser for `pvisor run --disk path[,ro][,queues=N][,direct=on|off]`.
#pragma once

#include "result.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace pvisor {

// One PV disk as `pvisor run --disk` gives it; pvisor writes it into the vbd's backend
// directory (params, mode, queues, direct-io), where pvisor-blkback reads it.
struct DiskSpec {
    std::string path;
    bool read_only = false;
    std::uint32_t queues = 1; // 1..PV_BLKIF_MAX_QUEUES
    bool direct = false;      // O_DIRECT in the backend
};

// Parses one --disk value. The path is everything before the first comma (a path containing
// a comma cannot be given). Each option may appear once; unknown options, empty parts,
// queues outside 1..PV_BLKIF_MAX_QUEUES and direct values other than on/off are refused
// with Errc::invalid_argument and a message starting with "--disk: " in *why (if given).
[[nodiscard]] Result<DiskSpec> parse_disk_spec(std::string_view text, std::string* why = nullptr);

} // namespace pvisor
