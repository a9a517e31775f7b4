// size_parse.cpp: memory size strings from the command line.
#include "size_parse.hpp"

#include <limits>

namespace pvisor {
namespace {

unsigned suffix_shift(char c) {
    switch (c) {
    case 'k': case 'K': return 10;
    case 'm': case 'M': return 20;
    case 'g': case 'G': return 30;
    case 't': case 'T': return 40;
    default: return 64; // not a suffix
    }
}

} // namespace

Result<std::uint64_t> parse_size(std::string_view text) {
    unsigned shift = 0;
    if (!text.empty() && suffix_shift(text.back()) != 64) {
        shift = suffix_shift(text.back());
        text.remove_suffix(1);
    }
    if (text.empty())
        return Errc::invalid_argument;
    constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
    std::uint64_t value = 0;
    for (char c : text) {
        if (c < '0' || c > '9')
            return Errc::invalid_argument;
        const auto digit = static_cast<std::uint64_t>(c - '0');
        if (value > (kMax - digit) / 10)
            return Errc::too_big;
        value = value * 10 + digit;
    }
    if (value == 0)
        return Errc::invalid_argument;
    if (value > (kMax >> shift))
        return Errc::too_big;
    return value << shift;
}

} // namespace pvisor
