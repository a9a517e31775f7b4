// xl_number.cpp: xl's number forms, read with overflow checks.
#include "xl_number.hpp"

#include <limits>

namespace pvisor::toolstack {

int hex_digit_value(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

Result<std::uint64_t> parse_xl_number(std::string_view text) {
    unsigned base = 10;
    if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
        base = 16;
        text.remove_prefix(2);
    } else if (text.size() > 1 && text[0] == '0') {
        base = 8;
        text.remove_prefix(1);
    }
    if (text.empty())
        return Errc::invalid_argument;
    constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
    std::uint64_t value = 0;
    bool overflow = false;
    for (char c : text) {
        const int digit = hex_digit_value(c);
        if (digit < 0 || static_cast<unsigned>(digit) >= base)
            return Errc::invalid_argument;
        const auto d = static_cast<unsigned>(digit);
        if (value > (kMax - d) / base)
            overflow = true; // keep reading: "99...9z" is malformed, not too big
        else
            value = value * base + d;
    }
    if (overflow)
        return Errc::too_big;
    return value;
}

} // namespace pvisor::toolstack
