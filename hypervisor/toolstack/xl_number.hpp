// xl_number.hpp: xl's NUMBER: decimal, octal with a leading 0, hexadecimal with 0x.
#pragma once

#include "result.hpp"

#include <cstdint>
#include <string_view>

namespace pvisor::toolstack {

// Reads `text` as xl reads a number (strtol with base 0, as xl.cfg(5) documents: "010" is 8,
// "0x10" is 16), but strictly: the whole text, no sign, no spaces. Errc::invalid_argument for
// anything else, Errc::too_big past 2^64 - 1.
[[nodiscard]] Result<std::uint64_t> parse_xl_number(std::string_view text);

// 0..15 for [0-9a-fA-F], -1 for any other byte.
[[nodiscard]] int hex_digit_value(char c);

} // namespace pvisor::toolstack
