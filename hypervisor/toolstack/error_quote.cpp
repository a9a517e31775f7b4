// error_quote.cpp: quoting of user text in error messages.
#include "error_quote.hpp"

namespace pvisor::toolstack {

std::string quoted(std::string_view text) {
    constexpr std::size_t kShown = 60;
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out = "\"";
    for (std::size_t i = 0; i < text.size() && i < kShown; ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
        } else if (c >= 0x20 && c < 0x7f) {
            out += static_cast<char>(c);
        } else {
            out += "\\x";
            out += kHex[c >> 4];
            out += kHex[c & 0xf];
        }
    }
    if (text.size() > kShown)
        out += "...";
    out += '"';
    return out;
}

} // namespace pvisor::toolstack
