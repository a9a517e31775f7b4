// json.cpp: the checked JSON accessors and the depth-limited parse.
#include "json.hpp"

namespace pvisor::toolstack {
namespace {

// Nesting depth of the brackets outside strings; stops counting once over the limit.
bool depth_within(std::string_view text, int limit) {
    int depth = 0;
    bool in_string = false;
    bool escaped = false;
    for (const char c : text) {
        if (in_string) {
            if (escaped)
                escaped = false;
            else if (c == '\\')
                escaped = true;
            else if (c == '"')
                in_string = false;
            continue;
        }
        if (c == '"')
            in_string = true;
        else if (c == '[' || c == '{')
            ++depth;
        else if (c == ']' || c == '}')
            --depth;
        if (depth > limit)
            return false;
    }
    return true;
}

} // namespace

std::optional<Json> parse_json_object(std::string_view text) {
    if (!depth_within(text, kMaxJsonDepth))
        return std::nullopt;
    Json j = Json::parse(text.begin(), text.end(), nullptr, false);
    if (j.is_discarded() || !j.is_object())
        return std::nullopt;
    return j;
}

const std::string* json_string(const Json& obj, const char* key) {
    if (!obj.is_object())
        return nullptr;
    const auto it = obj.find(key);
    if (it == obj.end() || !it->is_string())
        return nullptr;
    return it->get_ptr<const std::string*>();
}

std::optional<std::int64_t> json_int(const Json& obj, const char* key) {
    if (!obj.is_object())
        return std::nullopt;
    const auto it = obj.find(key);
    if (it == obj.end())
        return std::nullopt;
    if (it->is_number_integer())
        return it->get<std::int64_t>();
    if (it->is_number_unsigned()) {
        const auto v = it->get<std::uint64_t>();
        if (v <= static_cast<std::uint64_t>(INT64_MAX))
            return static_cast<std::int64_t>(v);
    }
    return std::nullopt;
}

std::optional<bool> json_bool(const Json& obj, const char* key) {
    if (!obj.is_object())
        return std::nullopt;
    const auto it = obj.find(key);
    if (it == obj.end() || !it->is_boolean())
        return std::nullopt;
    return it->get<bool>();
}

const Json* json_array(const Json& obj, const char* key) {
    if (!obj.is_object())
        return nullptr;
    const auto it = obj.find(key);
    return it != obj.end() && it->is_array() ? &*it : nullptr;
}

const Json* json_object(const Json& obj, const char* key) {
    if (!obj.is_object())
        return nullptr;
    const auto it = obj.find(key);
    return it != obj.end() && it->is_object() ? &*it : nullptr;
}

std::string json_line(const Json& j) {
    return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

} // namespace pvisor::toolstack
