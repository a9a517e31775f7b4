// netback_options.hpp: command line of the network backend process (pvisor-netback).
#pragma once

#include "net_option.hpp"

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace pvisor::backend {

// pvisor-netback --control PATH --net SPEC [--net SPEC ...]
// SPEC is tap=NAME[,bridge=BR][,mac=..][,queues=N] (parse_net_option). The i-th --net serves
// the guest's vif with handle i. At most kMaxVifs; a TAP name may not be given twice.
struct NetbackOptions {
    static constexpr std::size_t kMaxVifs = 8;
    std::string control; // pvisor's control socket
    std::vector<NetConfig> nets;
};

// Parses the arguments after the program name. Errc::invalid_argument with a message in
// *why for any malformed, missing, unknown or repeated option.
[[nodiscard]] Result<NetbackOptions> parse_netback_options(std::span<const std::string_view> args,
                                                           std::string* why = nullptr);

} // namespace pvisor::backend
