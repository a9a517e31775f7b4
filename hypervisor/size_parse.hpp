// size_parse.hpp: parses memory sizes given on the command line ("512M", "2G", "1048576K", bytes).
#pragma once

#include "result.hpp"

#include <cstdint>
#include <string_view>

namespace pvisor {

// Accepts decimal digits with an optional K/M/G/T suffix (binary units, either case).
// Rejects empty strings, other characters, zero and anything that overflows 64 bits
// (Errc::invalid_argument for garbage/zero, Errc::too_big for overflow).
[[nodiscard]] Result<std::uint64_t> parse_size(std::string_view text);

} // namespace pvisor
