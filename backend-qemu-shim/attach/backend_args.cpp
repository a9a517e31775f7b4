// backend_args.cpp: strict parsing of a backend process's command line.
#include "backend_args.hpp"

#include "device_keys.hpp"

namespace pvisor::backend {

Result<BackendArgs> parse_backend_args(std::span<const std::string_view> args, std::string* why) {
    const auto fail = [why](std::string msg) {
        if (why != nullptr)
            *why = std::move(msg);
        return Errc::invalid_argument;
    };
    BackendArgs out;
    bool seen_domid = false;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string_view a = args[i];
        if (a == "--no-sandbox") {
            if (!out.sandbox)
                return fail("--no-sandbox given twice");
            out.sandbox = false;
            continue;
        }
        if (a != "--store" && a != "--domid" && a != "--control" && a != "--metrics")
            return fail("unknown argument '" + std::string(a) + "'");
        if (i + 1 == args.size() || args[i + 1].empty())
            return fail(std::string(a) + " needs a value");
        const std::string_view v = args[++i];
        if (a == "--domid") {
            if (seen_domid)
                return fail("--domid given twice");
            const auto d = parse_decimal(v, kMaxDomid);
            if (!d || *d == 0)
                return fail("--domid '" + std::string(v) + "': not a domain id (1.." +
                            std::to_string(kMaxDomid) + ")");
            out.domid = static_cast<std::uint16_t>(*d);
            seen_domid = true;
            continue;
        }
        std::string& slot = a == "--store"     ? out.store
                            : a == "--control" ? out.control
                                               : out.metrics;
        if (!slot.empty())
            return fail(std::string(a) + " given twice");
        slot = std::string(v);
    }
    if (out.store.empty())
        return fail("--store SOCKET is required");
    if (!seen_domid)
        return fail("--domid N is required");
    if (out.control.empty())
        return fail("--control SOCKET is required");
    return out;
}

} // namespace pvisor::backend
