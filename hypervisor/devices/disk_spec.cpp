// disk_spec.cpp: --disk option parsing with one error message per malformed part.
#include "disk_spec.hpp"

#include "device_keys.hpp"

#include <pv/blkif.h>

namespace pvisor {

namespace {

Errc fail(std::string* why, std::string msg) {
    if (why != nullptr)
        *why = std::move(msg);
    return Errc::invalid_argument;
}

} // namespace

Result<DiskSpec> parse_disk_spec(std::string_view text, std::string* why) {
    DiskSpec cfg;
    const std::size_t comma = text.find(',');
    cfg.path = std::string(text.substr(0, comma));
    if (cfg.path.empty())
        return fail(why, "--disk: missing path");
    bool seen_ro = false, seen_queues = false, seen_direct = false;
    std::string_view rest =
        comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    if (comma != std::string_view::npos && rest.empty())
        return fail(why, "--disk: empty option after ','");
    while (!rest.empty()) {
        const std::size_t next = rest.find(',');
        const std::string_view part = rest.substr(0, next);
        rest = next == std::string_view::npos ? std::string_view{} : rest.substr(next + 1);
        if (part.empty() || (next != std::string_view::npos && rest.empty()))
            return fail(why, "--disk: empty option");
        const std::size_t eq = part.find('=');
        const std::string_view key = part.substr(0, eq);
        const std::string_view val =
            eq == std::string_view::npos ? std::string_view{} : part.substr(eq + 1);
        if (key == "ro" && eq == std::string_view::npos && !seen_ro) {
            seen_ro = cfg.read_only = true;
        } else if (key == "queues" && eq != std::string_view::npos && !seen_queues) {
            const auto n = parse_count(val, PV_BLKIF_MAX_QUEUES);
            if (!n)
                return fail(why,
                            "--disk: queues must be 1.." + std::to_string(PV_BLKIF_MAX_QUEUES));
            cfg.queues = *n;
            seen_queues = true;
        } else if (key == "direct" && eq != std::string_view::npos && !seen_direct) {
            if (val != "on" && val != "off")
                return fail(why, "--disk: direct must be on or off");
            cfg.direct = val == "on";
            seen_direct = true;
        } else {
            return fail(why, "--disk: unknown, malformed or repeated option '" + std::string(part) +
                                 "'");
        }
    }
    return cfg;
}

} // namespace pvisor
