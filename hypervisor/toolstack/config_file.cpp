// config_file.cpp: xl.cfg files and xl's device specs turned into the API's JSON.
#include "config_file.hpp"

#include "domain_spec.hpp"
#include "run_dir.hpp"
#include "xl_config.hpp"

#include <cstdio>
#include <unistd.h>

namespace pvisor::toolstack {
namespace {

// As xl: a relative path in a config file or on the command line is relative to where the
// command runs; the service (and the VMM it starts) runs elsewhere.
std::string absolute(const std::string& p) {
    if (p.empty() || p[0] == '/')
        return p;
    char cwd[4096];
    if (::getcwd(cwd, sizeof cwd) == nullptr)
        return p;
    return std::string(cwd) + "/" + p;
}

Json disk_json(const DiskSpec& d) {
    return {{"target", absolute(d.target)}, {"vdev", d.vdev}, {"read_only", d.read_only}};
}

Json vif_json(const VifSpec& v) {
    Json j = Json::object();
    if (v.mac)
        j["mac"] = format_mac(*v.mac);
    if (v.bridge)
        j["bridge"] = *v.bridge;
    if (v.vifname)
        j["vifname"] = *v.vifname;
    return j;
}

const char* action(ShutdownAction a) {
    return a == ShutdownAction::restart    ? "restart"
           : a == ShutdownAction::preserve ? "preserve"
                                           : "destroy";
}

} // namespace

std::optional<Json> load_config_file(const std::string& path, std::string& why) {
    if (path.ends_with(".json")) {
        std::string text;
        std::optional<Json> j;
        if (read_small_file(path, text))
            j = parse_json_object(text);
        if (!j) {
            why = path + ": not a readable JSON object";
            return std::nullopt;
        }
        for (const char* key : {"kernel", "ramdisk"})
            if (const std::string* p = json_string(*j, key))
                (*j)[key] = absolute(*p);
        return j;
    }
    auto cfg = load_xl_config(path, why);
    if (!cfg.ok())
        return std::nullopt;
    for (const std::string& w : cfg->warnings)
        std::fprintf(stderr, "pvisor create: warning: %s\n", w.c_str());
    Json disks = Json::array();
    for (const DiskSpec& d : cfg->disks)
        disks.push_back(disk_json(d));
    Json vifs = Json::array();
    for (const VifSpec& v : cfg->vifs)
        vifs.push_back(vif_json(v));
    Json j = {{"name", cfg->name},
              {"kernel", absolute(cfg->kernel)},
              {"cmdline", cfg->cmdline},
              {"memory_mib", cfg->memory_mib},
              {"maxmem_mib", cfg->maxmem_mib},
              {"vcpus", cfg->vcpus},
              {"maxvcpus", cfg->maxvcpus},
              {"acpi", cfg->acpi},
              {"disks", disks},
              {"vifs", vifs},
              {"on_poweroff", action(cfg->on_poweroff)},
              {"on_reboot", action(cfg->on_reboot)},
              {"on_crash", action(cfg->on_crash)}};
    if (!cfg->ramdisk.empty())
        j["ramdisk"] = absolute(cfg->ramdisk);
    return j;
}

std::optional<Json> disk_spec_json(const std::string& spec, std::string& why) {
    auto d = parse_xl_disk_spec(spec, why);
    if (!d.ok()) {
        why = "disk spec \"" + spec + "\": " + why;
        return std::nullopt;
    }
    return disk_json(*d);
}

std::optional<Json> vif_spec_json(const std::vector<std::string>& words, std::string& why) {
    auto v = parse_xl_vif_spec(words, why);
    if (!v.ok())
        return std::nullopt;
    return vif_json(*v);
}

} // namespace pvisor::toolstack
