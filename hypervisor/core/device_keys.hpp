// device_keys.hpp: the values of device configuration keys in the store (MAC addresses,
// interface names, counts): one grammar for the toolstack that writes them and the backends
// that read them.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pvisor {

using MacAddress = std::array<std::uint8_t, 6>;

// Six two-digit hex bytes separated by ':' (either case), unicast and not all-zero: a guest
// NIC's address. nullopt otherwise.
[[nodiscard]] std::optional<MacAddress> parse_mac(std::string_view text);

// "xx:xx:xx:xx:xx:xx", lower case.
[[nodiscard]] std::string format_mac(const MacAddress& mac);

// The kernel's dev_valid_name(): 1..15 bytes, no '/', ':' or whitespace, not "." or "..";
// what TUNSETIFF and SIOCBRADDIF accept.
[[nodiscard]] bool valid_ifname(std::string_view name);

// Decimal digits only (no sign, blanks or "0x"), 1..10 of them, value <= max; nullopt
// otherwise.
[[nodiscard]] std::optional<std::uint32_t> parse_decimal(std::string_view text,
                                                         std::uint32_t max = UINT32_MAX);

// A count of queues or the like: parse_decimal within 1..max.
[[nodiscard]] std::optional<std::uint32_t> parse_count(std::string_view text, std::uint32_t max);

} // namespace pvisor
