// config_nodes.hpp: helpers for reading a device's configuration nodes (blk_config, vif_config)
// with one message per fault, each naming its node.
#pragma once

#include "backend_device.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace pvisor::backend {

// Errc::invalid_argument, with `msg` in `why`.
[[nodiscard]] Errc refuse_node(std::string& why, std::string msg);

// A node's value as messages quote it: in single quotes, at most 32 bytes of it.
[[nodiscard]] std::string quote_node(const std::string& value);

// An optional count: `def` when the node is absent, else 1..max; refused as
//   <key>: '<value>' is not a number in 1..<max>
[[nodiscard]] Result<std::uint32_t> read_count_node(const KeyReader& back, std::string_view key,
                                                    std::uint32_t max, std::uint32_t def,
                                                    std::string& why);

} // namespace pvisor::backend
