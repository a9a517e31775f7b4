// net_option.cpp: --net option parsing with one error message per malformed part.
#include "net_option.hpp"

#include <charconv>
#include <pv/netif.h>

namespace pvisor::backend {

namespace {

Errc fail(std::string* why, std::string msg) {
    if (why != nullptr)
        *why = std::move(msg);
    return Errc::invalid_argument;
}

// The kernel's dev_valid_name(): what SIOCBRADDIF and TUNSETIFF accept.
bool valid_ifname(std::string_view n) {
    if (n.empty() || n.size() > 15 || n == "." || n == "..")
        return false;
    for (char c : n) {
        if (c == '/' || c == ':' || c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
            c == '\f' || c == '\0')
            return false;
    }
    return true;
}

int hex_digit(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

bool parse_mac(std::string_view v, MacAddress& out) {
    if (v.size() != 17)
        return false;
    for (std::size_t i = 0; i < 6; ++i) {
        const int hi = hex_digit(v[i * 3]);
        const int lo = hex_digit(v[i * 3 + 1]);
        if (hi < 0 || lo < 0 || (i < 5 && v[i * 3 + 2] != ':'))
            return false;
        out[i] = static_cast<std::uint8_t>(hi * 16 + lo);
    }
    const bool zero = out == MacAddress{};
    return (out[0] & 1U) == 0 && !zero; // a guest NIC address is unicast
}

bool parse_queues(std::string_view v, std::uint32_t& out) {
    if (v.empty() || v.size() > 2)
        return false;
    std::uint32_t n = 0;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec != std::errc() || end != v.data() + v.size() || n == 0 || n > PV_NETIF_MAX_QUEUES)
        return false;
    out = n;
    return true;
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
bool apply(std::string_view key, std::string_view val, NetConfig& cfg, Seen& seen,
           std::string* why) {
    if (key == "mac" && !seen.mac) {
        MacAddress m{};
        if (!parse_mac(val, m))
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
        if (!parse_queues(val, cfg.queues))
            return refuse(why, "--net: queues must be 1.." + std::to_string(PV_NETIF_MAX_QUEUES));
        seen.queues = true;
        return true;
    }
    return refuse(why, "--net: unknown, malformed or repeated option '" + std::string(key) + "'");
}

} // namespace

Result<NetConfig> parse_net_option(std::string_view text, std::string* why) {
    NetConfig cfg;
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

std::string format_mac(const MacAddress& mac) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string s;
    for (std::size_t i = 0; i < mac.size(); ++i) {
        if (i != 0)
            s += ':';
        s += kHex[mac[i] >> 4];
        s += kHex[mac[i] & 0xF];
    }
    return s;
}

} // namespace pvisor::backend
