// net_spec.cpp: --net option parsing with one error message per malformed part.
#include "net_spec.hpp"

#include <pv/netif.h>

namespace pvisor {

namespace {

Errc fail(std::string* why, std::string msg) {
    if (why != nullptr)
        *why = std::move(msg);
    return Errc::invalid_argument;
}

// fail() for the bool-returning helpers.
bool refuse(std::string* why, std::string msg) {
    fail(why, std::move(msg));
    return false;
}

struct Seen {
    bool mac = false, bridge = false, queues = false;
};

// One key=value part after tap=; false with *why set if it is refused.
bool apply(std::string_view key, std::string_view val, NetSpec& cfg, Seen& seen, std::string* why) {
    if (key == "mac" && !seen.mac) {
        const auto m = parse_mac(val);
        if (!m)
            return refuse(why, "--net: mac must be six hex bytes xx:xx:..., unicast, not zero");
        cfg.mac = m;
        seen.mac = true;
        return true;
    }
    if (key == "bridge" && !seen.bridge) {
        if (!valid_ifname(val))
            return refuse(why, "--net: bridge must be an interface name (1..15 bytes)");
        cfg.bridge = std::string(val);
        seen.bridge = true;
        return true;
    }
    if (key == "queues" && !seen.queues) {
        const auto n = parse_count(val, PV_NETIF_MAX_QUEUES);
        if (!n)
            return refuse(why, "--net: queues must be 1.." + std::to_string(PV_NETIF_MAX_QUEUES));
        cfg.queues = *n;
        seen.queues = true;
        return true;
    }
    return refuse(why, "--net: unknown, malformed or repeated option '" + std::string(key) + "'");
}

} // namespace

Result<NetSpec> parse_net_spec(std::string_view text, std::string* why) {
    NetSpec cfg;
    Seen seen;
    bool first = true;
    while (first || !text.empty()) {
        const std::size_t next = text.find(',');
        const std::string_view part = text.substr(0, next);
        text = next == std::string_view::npos ? std::string_view{} : text.substr(next + 1);
        if (part.empty() || (next != std::string_view::npos && text.empty()))
            return fail(why, "--net: empty option");
        const std::size_t eq = part.find('=');
        if (eq == std::string_view::npos)
            return fail(why, "--net: option '" + std::string(part) + "' needs a value");
        const std::string_view key = part.substr(0, eq);
        const std::string_view val = part.substr(eq + 1);
        if (first) {
            if (key != "tap")
                return fail(why, "--net: must start with tap=NAME");
            if (!valid_ifname(val))
                return fail(why, "--net: tap must be an interface name (1..15 bytes)");
            cfg.tap = std::string(val);
            first = false;
            continue;
        }
        if (!apply(key, val, cfg, seen, why))
            return Errc::invalid_argument;
    }
    return cfg;
}

MacAddress default_guest_mac(std::uint16_t domid, std::uint8_t handle) {
    return {0x02,
            0x50,
            0x56,
            static_cast<std::uint8_t>(domid >> 8),
            static_cast<std::uint8_t>(domid & 0xFF),
            handle};
}

} // namespace pvisor
