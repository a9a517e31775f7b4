// xl_vif.hpp: xl's network interface specification (xl-network-configuration(5)) for pvisor.
#pragma once

#include "result.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pvisor::toolstack {

using MacAddress = std::array<std::uint8_t, 6>;

// One guest network interface as pvisor serves it; what is absent is the caller's default.
struct VifSpec {
    std::optional<MacAddress> mac;      // the guest's MAC
    std::optional<std::string> bridge;  // host bridge to attach the interface to
    std::optional<std::string> vifname; // host interface name (TAP)
    std::string spec;                   // the specification as given (words joined with ',')
};

// Parses one VIFSPEC as xl does (parse_nic_config): comma-separated key=value parts, empty
// parts and spaces before a part skipped, a key given again replaces the earlier value; the
// empty spec is a vif with every default. pvisor reads:
//  - mac=xx:xx:xx:xx:xx:xx (six two-digit hex octets; unicast, not all zero),
//  - bridge=NAME, vifname=NAME (Linux interface names: 1..15 bytes, no '/', ':' or
//    whitespace, not "." or ".."),
//  - type=vif (what pvisor's NICs are; type=ioemu is for HVM guests: an error).
// xl's other keys are errors that say pvisor does not support them (model, ip, script,
// rate, gatewaydev, netdev, backend, mtu, devid, vlan, accel, forwarddev, trusted,
// untrusted, colo_*); anything else is an unknown parameter. `error` holds the reason
// without a prefix; callers prefix where the spec came from.
[[nodiscard]] Result<VifSpec> parse_xl_vif_spec(std::string_view spec, std::string& error);

// The same over several words, as `xl network-attach DOM WORD...` takes them (xl reads one
// key=value per word; each word may also hold several, comma-separated).
[[nodiscard]] Result<VifSpec> parse_xl_vif_spec(const std::vector<std::string>& words,
                                                std::string& error);

// "xx:xx:xx:xx:xx:xx", lower case.
[[nodiscard]] std::string format_mac(const MacAddress& mac);

} // namespace pvisor::toolstack
