// netback_options.cpp: strict parsing of pvisor-netback's command line.
#include "netback_options.hpp"

#include "backend_args.hpp"

namespace pvisor::backend {

Result<NetbackOptions> parse_netback_options(std::span<const std::string_view> args,
                                             std::string* why) {
    const auto identity = [](const NetConfig& n) { return "tap=" + n.tap; };
    PV_TRY_ASSIGN(parsed, parse_backend_args<NetConfig>(args, "--net", NetbackOptions::kMaxVifs,
                                                        parse_net_option, identity, why));
    return NetbackOptions{std::move(parsed.control), std::move(parsed.devices)};
}

} // namespace pvisor::backend
