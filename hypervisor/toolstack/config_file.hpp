// config_file.hpp: what the CLI sends for a config file or a device spec (the API's JSON
// forms, docs/api.md), parsed on the client side as xl does before it calls libxl.
#pragma once

#include "json.hpp"

#include <optional>
#include <string>
#include <vector>

namespace pvisor::toolstack {

// An xl.cfg (or, if it ends in .json, the API's config object). Relative paths in it are
// made absolute against the current directory. `why`: "FILE:LINE: KEY: what" for xl.cfg.
[[nodiscard]] std::optional<Json> load_config_file(const std::string& path, std::string& why);
// xl's disk spec (block-attach) as the API's disk object.
[[nodiscard]] std::optional<Json> disk_spec_json(const std::string& spec, std::string& why);
// xl's vif settings (network-attach: one comma list or several words) as the API's vif.
[[nodiscard]] std::optional<Json> vif_spec_json(const std::vector<std::string>& words,
                                                std::string& why);

} // namespace pvisor::toolstack
