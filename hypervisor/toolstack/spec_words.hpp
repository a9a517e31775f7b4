// spec_words.hpp: a device specification given as several command-line words (xl's
// block-attach and network-attach), read word by word by one parser.
#pragma once

#include "result.hpp"

#include <string>
#include <vector>

namespace pvisor::toolstack {

// Feeds each word to `parser.word(w)` (false: stop, the parser has set its error), then
// returns `parser.finish(spec)` with spec the words joined by ','.
template <typename Parser>
[[nodiscard]] auto parse_spec_words(Parser& parser, const std::vector<std::string>& words)
    -> decltype(parser.finish(std::string{})) {
    std::string spec;
    for (const auto& w : words) {
        if (!parser.word(w))
            return Errc::invalid_argument;
        spec += (spec.empty() ? "" : ",") + w;
    }
    return parser.finish(std::move(spec));
}

} // namespace pvisor::toolstack
