// xl_vif.cpp: xl's VIFSPEC, read part by part as xl's parse_nic_config reads it.
#include "xl_vif.hpp"

#include "error_quote.hpp"
#include "spec_words.hpp"
#include "xl_number.hpp"

namespace pvisor::toolstack {

namespace {

// The kernel's dev_valid_name(): what TUNSETIFF and SIOCBRADDIF accept.
bool valid_ifname(std::string_view n) {
    if (n.empty() || n.size() > 15 || n == "." || n == "..")
        return false;
    for (char c : n) {
        if (c == '/' || c == ':' || c == ' ' || (c >= '\t' && c <= '\r') || c == '\0')
            return false;
    }
    return true;
}

bool parse_mac(std::string_view v, MacAddress& out) {
    if (v.size() != 17)
        return false;
    for (std::size_t i = 0; i < 6; ++i) {
        const int hi = hex_digit_value(v[i * 3]);
        const int lo = hex_digit_value(v[i * 3 + 1]);
        if (hi < 0 || lo < 0 || (i < 5 && v[i * 3 + 2] != ':'))
            return false;
        out[i] = static_cast<std::uint8_t>(hi * 16 + lo);
    }
    return true;
}

bool is_unsupported_key(std::string_view key) {
    static constexpr std::string_view kKeys[] = {"model",      "ip",     "script",  "rate",
                                                 "gatewaydev", "netdev", "backend", "mtu",
                                                 "devid",      "vlan",   "accel",   "forwarddev"};
    for (std::string_view k : kKeys) {
        if (key == k)
            return true;
    }
    return key.substr(0, 5) == "colo_";
}

class VifParser {
  public:
    explicit VifParser(std::string& error) : m_error(error) {}

    bool word(std::string_view w);
    [[nodiscard]] Result<VifSpec> finish(std::string spec) {
        m_vif.spec = std::move(spec);
        return std::move(m_vif);
    }

  private:
    bool fail(std::string why) {
        m_error = std::move(why);
        return false;
    }
    bool part(std::string_view p);

    std::string& m_error;
    VifSpec m_vif;
};

bool VifParser::word(std::string_view w) {
    if (w.find('\0') != std::string_view::npos)
        return fail("NUL byte in the vif specification");
    while (!w.empty()) {
        const std::size_t comma = w.find(',');
        std::string_view p = w.substr(0, comma);
        w = comma == std::string_view::npos ? std::string_view{} : w.substr(comma + 1);
        while (!p.empty() && p.front() == ' ')
            p.remove_prefix(1);
        if (!p.empty() && !part(p))
            return false;
    }
    return true;
}

bool VifParser::part(std::string_view p) {
    const std::size_t eq = p.find('=');
    if (eq == std::string_view::npos) {
        if (p == "trusted" || p == "untrusted")
            return fail(std::string(p) + " is not supported by pvisor");
        return fail("unknown parameter " + quoted(p));
    }
    const std::string_view key = p.substr(0, eq);
    const std::string_view value = p.substr(eq + 1);
    if (key == "mac") {
        MacAddress mac{};
        if (!parse_mac(value, mac))
            return fail("mac " + quoted(value) + " is not six hex octets (xx:xx:xx:xx:xx:xx)");
        if ((mac[0] & 1U) != 0)
            return fail("mac " + quoted(value) +
                        " is a multicast address (the first octet is odd)");
        if (mac == MacAddress{})
            return fail("mac " + quoted(value) + " is all zero");
        m_vif.mac = mac;
        return true;
    }
    if (key == "bridge" || key == "vifname") {
        if (!valid_ifname(value))
            return fail(std::string(key) + " " + quoted(value) +
                        " is not a Linux interface name (1..15 bytes, no \"/\", \":\" or "
                        "whitespace)");
        (key == "bridge" ? m_vif.bridge : m_vif.vifname) = std::string(value);
        return true;
    }
    if (key == "type") {
        if (value == "vif")
            return true;
        if (value == "ioemu")
            return fail("type=ioemu is for HVM guests: pvisor's interfaces are type=vif");
        return fail("type " + quoted(value) + " is not vif or ioemu");
    }
    if (is_unsupported_key(key))
        return fail(std::string(key) + "= is not supported by pvisor");
    return fail("unknown parameter " + quoted(p));
}

} // namespace

Result<VifSpec> parse_xl_vif_spec(std::string_view spec, std::string& error) {
    return parse_xl_vif_spec(std::vector<std::string>{std::string(spec)}, error);
}

Result<VifSpec> parse_xl_vif_spec(const std::vector<std::string>& words, std::string& error) {
    VifParser parser(error);
    return parse_spec_words(parser, words);
}

std::string format_mac(const MacAddress& mac) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string s;
    for (std::size_t i = 0; i < mac.size(); ++i) {
        if (i > 0)
            s += ':';
        s += kHex[mac[i] >> 4];
        s += kHex[mac[i] & 0xf];
    }
    return s;
}

} // namespace pvisor::toolstack
