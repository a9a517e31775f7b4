// vif_config.cpp: the vif configuration nodes, each checked with one message per fault.
#include "vif_config.hpp"

#include "config_nodes.hpp"
#include "device_keys.hpp"

#include <pv/netif.h>

namespace pvisor::backend {

Result<VifConfig> read_vif_config(const KeyReader& back, std::string& why) {
    VifConfig cfg;
    const auto tap = back("vifname");
    if (!tap)
        return refuse_node(why, "vifname: missing");
    if (!valid_ifname(*tap))
        return refuse_node(why, "vifname: " + quote_node(*tap) +
                                    " is not an interface name (1..15 bytes)");
    cfg.tap = *tap;
    const auto mac_text = back("mac");
    if (!mac_text)
        return refuse_node(why, "mac: missing");
    const auto mac = parse_mac(*mac_text);
    if (!mac)
        return refuse_node(why, "mac: " + quote_node(*mac_text) +
                                    " is not a unicast MAC address xx:xx:xx:xx:xx:xx");
    cfg.mac = *mac;
    if (const auto bridge = back("bridge")) {
        if (!valid_ifname(*bridge))
            return refuse_node(why, "bridge: " + quote_node(*bridge) +
                                        " is not an interface name (1..15 bytes)");
        cfg.bridge = *bridge;
    }
    PV_TRY_ASSIGN(queues,
                  read_count_node(back, "queues", PV_NETIF_MAX_QUEUES, kVifDefaultQueues, why));
    cfg.queues = queues;
    return cfg;
}

} // namespace pvisor::backend
