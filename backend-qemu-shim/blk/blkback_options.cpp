// blkback_options.cpp: strict parsing of pvisor-blkback's command line.
#include "blkback_options.hpp"

#include "backend_args.hpp"
#include "disk_option.hpp"

namespace pvisor::backend {

Result<BlkbackOptions> parse_blkback_options(std::span<const std::string_view> args,
                                             std::string* why) {
    const auto identity = [](const BlkDiskConfig& d) { return d.path; };
    PV_TRY_ASSIGN(parsed, parse_backend_args<BlkDiskConfig>(args, "--disk",
                                                            BlkbackOptions::kMaxDisks,
                                                            parse_disk_option, identity, why));
    return BlkbackOptions{std::move(parsed.control), std::move(parsed.devices)};
}

} // namespace pvisor::backend
