// netback_options.cpp: strict parsing of pvisor-netback's command line.
#include "netback_options.hpp"

namespace pvisor::backend {

namespace {

Errc fail(std::string* why, std::string msg) {
    if (why != nullptr)
        *why = std::move(msg);
    return Errc::invalid_argument;
}

} // namespace

Result<NetbackOptions> parse_netback_options(std::span<const std::string_view> args,
                                             std::string* why) {
    NetbackOptions opts;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string_view a = args[i];
        if (a != "--control" && a != "--net")
            return fail(why, "unknown argument '" + std::string(a) + "'");
        if (i + 1 == args.size() || args[i + 1].empty())
            return fail(why, std::string(a) + " needs a value");
        const std::string_view v = args[++i];
        if (a == "--control") {
            if (!opts.control.empty())
                return fail(why, "--control given twice");
            opts.control = std::string(v);
            continue;
        }
        if (opts.nets.size() == NetbackOptions::kMaxVifs)
            return fail(why, "too many --net (at most " + std::to_string(NetbackOptions::kMaxVifs) +
                                 ")");
        PV_TRY_ASSIGN(net, parse_net_option(v, why));
        for (const NetConfig& n : opts.nets) {
            if (n.tap == net.tap)
                return fail(why, "--net tap=" + net.tap + " given twice");
        }
        opts.nets.push_back(std::move(net));
    }
    if (opts.control.empty())
        return fail(why, "--control PATH is required");
    if (opts.nets.empty())
        return fail(why, "at least one --net is required");
    return opts;
}

} // namespace pvisor::backend
