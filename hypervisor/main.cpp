// main.cpp: the pvisor command dispatcher (run, store, version, help).
#include "cli.hpp"
#include "run_command.hpp"
#include "vmm_request_cli.hpp"
#include "store_cli.hpp"
#include "xl_cli.hpp"
#include "api_server.hpp"

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

int main(int argc, char** argv) {
    using namespace pvisor;
    if (argc < 2) {
        std::fputs(main_usage(), stderr);
        return kExitUsage;
    }
    const std::string cmd = argv[1];
    if (cmd == "--help" || cmd == "-h" || cmd == "help") {
        std::fputs(main_usage(), stdout);
        std::fputs(toolstack::xl_usage(), stdout);
        return 0;
    }
    if (cmd == "version" || cmd == "--version") {
        std::printf("pvisor %s\n", PVISOR_VERSION);
        return 0;
    }
    if (cmd == "store")
        return store::store_command_main(argc - 1, argv + 1);
    if (cmd == "vmm-request")
        return vmm_request_main(argc - 1, argv + 1);
    if (cmd == "daemon")
        return toolstack::daemon_command_main(argc - 1, argv + 1);
    if (toolstack::is_xl_command(cmd))
        return toolstack::xl_command_main(argc - 1, argv + 1);
    if (cmd != "run") {
        std::fprintf(stderr, "pvisor: %s: unknown command (see pvisor --help)\n", cmd.c_str());
        return kExitUsage;
    }
    std::vector<std::string> args(argv + 2, argv + argc);
    std::string error;
    auto opt = parse_run_args(args, error);
    if (!opt.ok()) {
        std::fprintf(stderr, "pvisor: %s\n", error.c_str());
        return kExitUsage;
    }
    if (opt->help) {
        std::fputs(run_usage(), stdout);
        return 0;
    }
    return run_guest(*opt);
}
