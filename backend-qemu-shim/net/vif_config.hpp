// vif_config.hpp: a vif's configuration read from the nodes the toolstack wrote into its
// backend directory: vifname, bridge, mac and pvisor's tuning key queues.
#pragma once

#include "backend_device.hpp"
#include "device_keys.hpp"

#include <cstdint>
#include <string>

namespace pvisor::backend {

// Queues offered when the toolstack writes no `queues` key.
inline constexpr std::uint32_t kVifDefaultQueues = 1;

// One guest network interface, served by a TAP device on the host.
struct VifConfig {
    std::string tap;    // vifname: the host TAP (created if absent)
    std::string bridge; // an existing Linux bridge to add the TAP to; empty: none
    MacAddress mac{};   // the GUEST's address (the backend's "mac" key)
    std::uint32_t queues = kVifDefaultQueues; // TAP queues and ring pairs offered
};

// Reads, relative to the backend directory:
//   vifname  the TAP's name (required; valid_ifname)
//   mac      the guest's MAC, xx:xx:xx:xx:xx:xx (required; unicast, not zero)
//   bridge   an existing bridge (optional; valid_ifname)
//   queues   1..PV_NETIF_MAX_QUEUES (optional, default kVifDefaultQueues)
// Refused: Errc::invalid_argument and, in `why`, a sentence naming the node ("mac: 'x' is not
// a unicast MAC address xx:xx:xx:xx:xx:xx"), the device's hotplug-error.
[[nodiscard]] Result<VifConfig> read_vif_config(const KeyReader& back, std::string& why);

} // namespace pvisor::backend
