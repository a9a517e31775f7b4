// net_option.hpp: strict parser for --net tap=NAME[,mac=xx:xx:xx:xx:xx:xx][,bridge=BR][,queues=N].
#pragma once

#include "result.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pvisor::backend {

using MacAddress = std::array<std::uint8_t, 6>;

// One network interface of a guest, served by a TAP device on the host.
struct NetConfig {
    std::string tap;               // host TAP name (created if absent)
    std::optional<MacAddress> mac; // the GUEST's MAC (backend "mac" key); generated if absent
    std::string bridge;            // existing Linux bridge to attach the TAP to; empty: none
    std::uint32_t queues = 1;      // 1..PV_NETIF_MAX_QUEUES (TAP queues and ring pairs)
};

// Parses one --net value. tap= is required and comes first. Interface names follow the
// kernel's rule (1..15 bytes, no '/', ':' or whitespace, not "." or ".."). A MAC is six
// two-digit hex bytes separated by ':', unicast and not all-zero. Each option once. Anything
// else is Errc::invalid_argument with a message in *why (if given).
[[nodiscard]] Result<NetConfig> parse_net_option(std::string_view text, std::string* why = nullptr);

// The guest MAC used when --net gives none: locally administered, unicast, 02:50:56 followed
// by the frontend's domid and the interface handle (stable across restarts of the backend).
[[nodiscard]] MacAddress default_guest_mac(std::uint16_t domid, std::uint8_t handle);

// "xx:xx:xx:xx:xx:xx", lower case.
[[nodiscard]] std::string format_mac(const MacAddress& mac);

} // namespace pvisor::backend
