// error_quote.hpp: user text shown inside an error message, safely quoted and bounded.
#pragma once

#include <string>
#include <string_view>

namespace pvisor::toolstack {

// `text` in double quotes for an error message: '"' and '\' are escaped, bytes outside
// printable ASCII are shown as \xNN, and text past 60 bytes is cut and ends in "...".
[[nodiscard]] std::string quoted(std::string_view text);

} // namespace pvisor::toolstack
