// store_serve.cpp: `pvisor store serve`: options, StoreService setup, wait for a signal.
#include "store_serve.hpp"

#include "store_service.hpp"

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

namespace pvisor::store {
namespace {

constexpr const char* kUsage =
    "usage: pvisor store serve --socket PATH [--domains N]\n"
    "  serve the store on the unix socket PATH (xenstore protocol; every client acts as the\n"
    "  control domain; Xen's tools reach it with XENSTORED_PATH=PATH) until SIGTERM/SIGINT\n"
    "  --socket PATH   where to listen (a stale socket there is replaced)\n"
    "  --domains N     introduce domains 1..N: /local/domain/<id> exists for each (default 0)\n";

// The largest N for --domains: domain ids below DOMID_FIRST_RESERVED.
constexpr unsigned long kMaxDomains = 0x7fef;

struct ServeArgs {
    std::string socket;
    unsigned long domains = 0;
};

int usage_error(const char* msg) {
    std::fprintf(stderr, "pvisor store serve: %s\n%s", msg, kUsage);
    return 2;
}

// Returns the exit status for a usage error or --help; nullopt when the args are fine.
std::optional<int> parse(int argc, char** argv, ServeArgs& a) {
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (arg == "--help" || arg == "-h") {
            std::fputs(kUsage, stdout);
            return 0;
        }
        if (arg != "--socket" && arg != "--domains")
            return usage_error(arg.starts_with("-") ? "unknown option" : "unexpected argument");
        if (i + 1 >= argc)
            return usage_error("option needs a value");
        const char* value = argv[++i];
        if (arg == "--socket") {
            a.socket = value;
            continue;
        }
        char* end = nullptr;
        a.domains = std::strtoul(value, &end, 10);
        if (*value < '0' || *value > '9' || *end != '\0' || a.domains > kMaxDomains)
            return usage_error("--domains needs a number from 0 to 32751");
    }
    if (a.socket.empty())
        return usage_error("--socket PATH is required");
    return std::nullopt;
}

} // namespace

int store_serve_main(int argc, char** argv) {
    ServeArgs args;
    if (const auto status = parse(argc, argv, args))
        return *status;
    // Blocked before the service thread starts, so only sigwait() below receives them.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

    StoreConfig config;
    config.socket_path = args.socket;
    config.guest_domid = 0; // no guest ring: domains come from --domains
    auto service = StoreService::create(std::move(config));
    if (!service) {
        std::fprintf(stderr, "pvisor store serve: %s: cannot serve (%s)\n", args.socket.c_str(),
                     std::string(errc_name(service.error())).c_str());
        return 1;
    }
    bool introduced = true;
    (*service)->with_store([&](Store& store) {
        for (unsigned long d = 1; d <= args.domains; ++d) {
            const std::string name = "domain-" + std::to_string(d);
            introduced = introduced && store.introduce_domain(static_cast<DomId>(d), name).ok();
        }
    });
    if (!introduced || !(*service)->start()) {
        std::fprintf(stderr, "pvisor store serve: cannot start the store\n");
        return 1;
    }
    std::printf("store: serving %s\n", args.socket.c_str());
    std::fflush(stdout);
    int sig = 0;
    while (sigwait(&stop_signals, &sig) != 0) {
    }
    (*service)->stop();
    return 0;
}

} // namespace pvisor::store
