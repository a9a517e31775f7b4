// device_keys.cpp: parsing and formatting of device key values (MAC, interface name, count).
#include "device_keys.hpp"

namespace pvisor {

namespace {

int hex_digit(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

} // namespace

std::optional<MacAddress> parse_mac(std::string_view text) {
    if (text.size() != 17)
        return std::nullopt;
    MacAddress mac{};
    for (std::size_t i = 0; i < mac.size(); ++i) {
        const int hi = hex_digit(text[i * 3]);
        const int lo = hex_digit(text[i * 3 + 1]);
        if (hi < 0 || lo < 0 || (i < 5 && text[i * 3 + 2] != ':'))
            return std::nullopt;
        mac[i] = static_cast<std::uint8_t>(hi * 16 + lo);
    }
    if ((mac[0] & 1U) != 0 || mac == MacAddress{})
        return std::nullopt; // multicast or zero: not a NIC's address
    return mac;
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

bool valid_ifname(std::string_view name) {
    if (name.empty() || name.size() > 15 || name == "." || name == "..")
        return false;
    for (const char c : name) {
        if (c == '/' || c == ':' || c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
            c == '\f' || c == '\0')
            return false;
    }
    return true;
}

std::optional<std::uint32_t> parse_decimal(std::string_view text, std::uint32_t max) {
    if (text.empty() || text.size() > 10)
        return std::nullopt;
    std::uint64_t v = 0;
    for (const char c : text) {
        if (c < '0' || c > '9')
            return std::nullopt;
        v = v * 10 + static_cast<std::uint64_t>(c - '0'); // 10 digits cannot overflow 64 bits
    }
    if (v > max)
        return std::nullopt;
    return static_cast<std::uint32_t>(v);
}

std::optional<std::uint32_t> parse_count(std::string_view text, std::uint32_t max) {
    const auto n = parse_decimal(text, max);
    if (!n || *n == 0)
        return std::nullopt;
    return n;
}

} // namespace pvisor
