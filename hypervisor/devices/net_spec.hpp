// net_spec.hpp: strict parser for `pvisor run --net tap=NAME[,bridge=BR][,mac=MAC][,queues=N]`
// and the guest MAC pvisor derives when none is given.
#pragma once

#include "device_keys.hpp"
#include "result.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pvisor {

// Network interfaces per guest that `pvisor run` takes.
inline constexpr unsigned kMaxVifs = 8;

// One network interface as `pvisor run --net` gives it; pvisor writes it into the vif's
// backend directory (vifname, bridge, mac, queues), where pvisor-netback reads it.
struct NetSpec {
    std::string tap;               // host TAP name (created by the backend if absent)
    std::optional<MacAddress> mac; // the GUEST's MAC; default_guest_mac() if absent
    std::string bridge;            // existing Linux bridge to attach the TAP to; empty: none
    std::uint32_t queues = 1;      // 1..PV_NETIF_MAX_QUEUES (TAP queues and ring pairs)
};

// Parses one --net value. tap= is required and comes first. Interface names follow the
// kernel's rule (valid_ifname), a MAC parse_mac's. Each option once. Anything else is
// Errc::invalid_argument with a message starting with "--net: " in *why (if given).
[[nodiscard]] Result<NetSpec> parse_net_spec(std::string_view text, std::string* why = nullptr);

// The guest MAC used when --net gives none: locally administered, unicast, 02:50:56 followed
// by the guest's domid and the interface handle (stable across backend restarts; distinct
// for every domain the toolstack numbers).
[[nodiscard]] MacAddress default_guest_mac(std::uint16_t domid, std::uint8_t handle);

} // namespace pvisor
