// config_nodes.cpp: refusal messages and the count nodes of device configurations.
#include "config_nodes.hpp"

#include "device_keys.hpp"

namespace pvisor::backend {

Errc refuse_node(std::string& why, std::string msg) {
    why = std::move(msg);
    return Errc::invalid_argument;
}

std::string quote_node(const std::string& value) {
    return "'" + value.substr(0, 32) + "'";
}

Result<std::uint32_t> read_count_node(const KeyReader& back, std::string_view key,
                                      std::uint32_t max, std::uint32_t def, std::string& why) {
    const auto text = back(key);
    if (!text)
        return def;
    const auto n = parse_count(*text, max);
    if (!n)
        return refuse_node(why, std::string(key) + ": " + quote_node(*text) +
                                    " is not a number in 1.." + std::to_string(max));
    return *n;
}

} // namespace pvisor::backend
