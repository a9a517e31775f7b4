// config_file.cpp: config files and device specs turned into the API's JSON.
#include "config_file.hpp"

#include "run_dir.hpp"

#include <unistd.h>

namespace pvisor::toolstack {
namespace {

std::string absolute(const std::string& p) {
    if (p.empty() || p[0] == '/')
        return p;
    char cwd[4096];
    if (::getcwd(cwd, sizeof cwd) == nullptr)
        return p;
    return std::string(cwd) + "/" + p;
}

} // namespace

std::optional<Json> load_config_file(const std::string& path, std::string& why) {
    std::string text;
    if (!read_small_file(path, text)) {
        why = path + ": cannot read it";
        return std::nullopt;
    }
    if (!path.ends_with(".json")) {
        why = path + ": xl.cfg files are not supported yet (use the API's JSON form)";
        return std::nullopt;
    }
    auto j = parse_json_object(text);
    if (!j) {
        why = path + ": not a JSON object";
        return std::nullopt;
    }
    for (const char* key : {"kernel", "ramdisk"})
        if (const std::string* p = json_string(*j, key))
            (*j)[key] = absolute(*p);
    return j;
}

std::optional<Json> disk_spec_json(const std::string& spec, std::string& why) {
    why = spec + ": disk specs are not supported yet";
    return std::nullopt;
}

std::optional<Json> vif_spec_json(const std::vector<std::string>& words, std::string& why) {
    Json vif = Json::object();
    for (const std::string& w : words) {
        std::size_t start = 0;
        while (start <= w.size()) {
            const auto comma = w.find(',', start);
            const std::string item = w.substr(start, comma - start);
            start = comma == std::string::npos ? w.size() + 1 : comma + 1;
            if (item.empty())
                continue;
            const auto eq = item.find('=');
            const std::string key = item.substr(0, eq);
            if (eq == std::string::npos || (key != "mac" && key != "bridge" && key != "vifname")) {
                why = item + ": expected mac=, bridge= or vifname=";
                return std::nullopt;
            }
            vif[key] = item.substr(eq + 1);
        }
    }
    return vif;
}

} // namespace pvisor::toolstack
