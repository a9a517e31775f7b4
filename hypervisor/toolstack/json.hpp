// json.hpp: JSON for the toolstack API, read only through checked accessors.
//
// nlohmann::json is built here without exceptions: a wrong-type access aborts the process.
// So untrusted JSON is touched only through the helpers below, which check kind and range
// before reading, and parse_json() refuses what the parser would choke on (bad syntax, more
// than kMaxDepth levels) as a value.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pvisor::toolstack {

using Json = nlohmann::json;

inline constexpr int kMaxJsonDepth = 32;

// nullopt for malformed text, nesting deeper than kMaxJsonDepth, or a top level that is not
// an object.
[[nodiscard]] std::optional<Json> parse_json_object(std::string_view text);

// Each: nullptr/nullopt when `key` is absent or of another kind.
[[nodiscard]] const std::string* json_string(const Json& obj, const char* key);
[[nodiscard]] std::optional<std::int64_t> json_int(const Json& obj, const char* key);
[[nodiscard]] std::optional<bool> json_bool(const Json& obj, const char* key);
[[nodiscard]] const Json* json_array(const Json& obj, const char* key);
[[nodiscard]] const Json* json_object(const Json& obj, const char* key);
[[nodiscard]] inline bool json_has(const Json& obj, const char* key) {
    return obj.is_object() && obj.contains(key);
}

// One line of output: compact, no newline inside (strings are escaped), invalid UTF-8
// replaced rather than aborting.
[[nodiscard]] std::string json_line(const Json& j);

} // namespace pvisor::toolstack
