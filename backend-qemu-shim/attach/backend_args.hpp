// backend_args.hpp: the command line every backend process shares,
//   --control PATH --DEVICE SPEC [--DEVICE SPEC ...]
// parsed strictly: unknown, repeated, missing or empty arguments are refused with one message.
#pragma once

#include "result.hpp"

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace pvisor::backend {

template <typename Config>
struct BackendArgs {
    std::string control; // pvisor's control socket
    std::vector<Config> devices;
};

// `device` is the option that names one device ("--disk"); parse(SPEC, why) turns its value
// into a Config and identity(config) names what may not be served twice (the image path,
// "tap=NAME"). At most max devices. Errc::invalid_argument with a message in *why for
// anything else.
template <typename Config, typename Parse, typename Identity>
[[nodiscard]] Result<BackendArgs<Config>> parse_backend_args(
    std::span<const std::string_view> args, std::string_view device, std::size_t max,
    Parse parse, Identity identity, std::string* why) {
    const auto fail = [why](std::string msg) {
        if (why != nullptr)
            *why = std::move(msg);
        return Errc::invalid_argument;
    };
    const std::string dev(device);
    BackendArgs<Config> out;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string_view a = args[i];
        if (a != "--control" && a != device)
            return fail("unknown argument '" + std::string(a) + "'");
        if (i + 1 == args.size() || args[i + 1].empty())
            return fail(std::string(a) + " needs a value");
        const std::string_view v = args[++i];
        if (a == "--control") {
            if (!out.control.empty())
                return fail("--control given twice");
            out.control = std::string(v);
            continue;
        }
        if (out.devices.size() == max)
            return fail("too many " + dev + " (at most " + std::to_string(max) + ")");
        Result<Config> config = parse(v, why);
        if (!config)
            return config.error();
        for (const Config& c : out.devices) {
            if (identity(c) == identity(*config))
                return fail(dev + " " + identity(*config) + " given twice");
        }
        out.devices.push_back(std::move(*config));
    }
    if (out.control.empty())
        return fail("--control PATH is required");
    if (out.devices.empty())
        return fail("at least one " + dev + " is required");
    return out;
}

} // namespace pvisor::backend
