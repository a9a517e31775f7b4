// vmm_request_cli.cpp: `pvisor vmm-request [--control DIR] [--timeout S] JSON`: one request on a
// running `pvisor run`'s vmm.sock, its reply printed; for scripts and the e2e host half.
#include "vmm_request_cli.hpp"

#include "store_cli.hpp"
#include "vmm_client.hpp"

#include <charconv>
#include <cstdio>
#include <string>

namespace pvisor {

int vmm_request_main(int argc, char** argv) {
    std::string dir;
    std::string request;
    int timeout_s = 600; // a save of a large guest takes a while
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if ((a == "--control" || a == "--timeout") && i + 1 < argc) {
            const std::string v = argv[++i];
            if (a == "--control") {
                dir = v;
                continue;
            }
            auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), timeout_s);
            if (ec != std::errc{} || p != v.data() + v.size() || timeout_s <= 0 || timeout_s > 86400) {
                std::fprintf(stderr, "pvisor vmm-request: --timeout %s: not 1..86400 seconds\n",
                             v.c_str());
                return 2;
            }
        } else if (request.empty() && !a.empty() && a[0] != '-') {
            request = a;
        } else {
            std::fprintf(stderr, "usage: pvisor vmm-request [--control DIR] [--timeout S] JSON\n");
            return 2;
        }
    }
    if (request.empty()) {
        std::fprintf(stderr, "usage: pvisor vmm-request [--control DIR] [--timeout S] JSON\n");
        return 2;
    }
    auto req = toolstack::parse_json_object(request);
    if (!req) {
        std::fprintf(stderr, "pvisor vmm-request: the request is not one JSON object\n");
        return 2;
    }
    const std::string sock = (dir.empty() ? store::default_control_dir() : dir) + "/vmm.sock";
    std::string why;
    auto reply = toolstack::vmm_request(sock, *req, why, timeout_s * 1000);
    if (!reply) {
        std::fprintf(stderr, "pvisor vmm-request: %s: %s\n", sock.c_str(), why.c_str());
        return 1;
    }
    std::printf("%s\n", reply->dump().c_str());
    const auto ok = reply->find("ok");
    return ok != reply->end() && ok->is_boolean() && ok->get<bool>() ? 0 : 1;
}

} // namespace pvisor
