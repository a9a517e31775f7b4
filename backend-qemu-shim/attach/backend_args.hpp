// backend_args.hpp: the command line every backend process shares,
//   --store SOCKET --domid N --control SOCKET [--metrics FILE] [--no-sandbox]
// parsed strictly: unknown, repeated, missing or empty arguments are refused with one message.
#pragma once

#include "result.hpp"

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace pvisor::backend {

// One backend process serves one domain's devices of its kind.
struct BackendArgs {
    std::string store;       // the store's socket (the backend is the control domain there)
    std::uint16_t domid = 0; // the frontends' domain: 1..kMaxDomid
    std::string control;     // that domain's control socket (<control dir>/guest.ctl)
    std::string metrics;     // optional: the counters, rewritten every second ("" = none)
    bool sandbox = true;     // --no-sandbox: no seccomp filter (debugging, strace -f)
};

// Xen's last ordinary domain id (DOMID_FIRST_RESERVED - 1).
inline constexpr std::uint16_t kMaxDomid = 0x7FEF;

// Parses the arguments after the program name. Errc::invalid_argument with a message in
// *why for an unknown, repeated, missing or empty option and a domid outside 1..kMaxDomid.
[[nodiscard]] Result<BackendArgs> parse_backend_args(std::span<const std::string_view> args,
                                                     std::string* why = nullptr);

} // namespace pvisor::backend
