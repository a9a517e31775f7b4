// xl_cli.cpp: argument parsing, the API call and the human output of each xl-like command.
#include "xl_cli.hpp"

#include "api_client.hpp"
#include "config_file.hpp"
#include "host_terminal.hpp"
#include "pv_console.hpp"
#include "vmm_client.hpp"

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <map>
#include <poll.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace pvisor::toolstack {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitFail = 1;
constexpr int kExitUsage = 2;

struct Command {
    const char* name;
    const char* args;
    const char* help;
};

constexpr Command kCommands[] = {
    {"create", "[-c] FILE", "start a domain from an xl.cfg (-c: attach its console)"},
    {"list", "[-l] [DOM...]", "list domains (-l: JSON)"},
    {"console", "DOM", "attach to the domain's console; Ctrl-] detaches"},
    {"pause", "DOM", "stop the domain's vCPUs"},
    {"unpause", "DOM", "resume them"},
    {"shutdown", "[-w] [-F] [-t SECS] DOM", "ask the guest to power off (-w: wait; -F: destroy "
                                            "it if it has not after -t SECS, default 60)"},
    {"reboot", "[-w] [-F] [-t SECS] DOM", "ask the guest to reboot"},
    {"destroy", "DOM", "stop the domain at once"},
    {"top", "[-d SECS] [-n ITERATIONS]", "per-domain figures, refreshed"},
    {"info", "", "host and toolstack facts"},
    {"block-attach", "DOM DISKSPEC", "add a disk to a running domain (xl's disk syntax)"},
    {"block-detach", "DOM VDEV", "remove it (xvdb...)"},
    {"block-list", "DOM", "the domain's disks"},
    {"network-attach", "DOM [mac=M] [bridge=BR] [vifname=IF]", "add a network interface"},
    {"network-detach", "DOM HANDLE", "remove one"},
    {"network-list", "DOM", "the domain's network interfaces"},
    {"mem-set", "DOM SIZE", "balloon target (KiB, or with suffix b/k/m/g/t as xl)"},
    {"vcpu-pin", "DOM VCPU CPUS", "pin a vCPU to host CPUs (\"2\", \"0-3,6\", \"all\")"},
};

int usage_error(const std::string& cmd, const std::string& what) {
    for (const Command& c : kCommands)
        if (cmd == c.name)
            std::fprintf(stderr, "pvisor %s: %s\nusage: pvisor %s %s\n", cmd.c_str(), what.c_str(),
                         c.name, c.args);
    return kExitUsage;
}

// Sends `req` and prints a failure the way every command does.
std::optional<Json> call(const std::string& cmd, Json req, bool quiet_progress = false) {
    std::string why;
    auto client = ApiClient::connect(RunDir::from_env(), why);
    if (!client) {
        std::fprintf(stderr, "pvisor %s: cannot reach the toolstack service: %s\n", cmd.c_str(),
                     why.c_str());
        return std::nullopt;
    }
    auto reply = client->call(std::move(req), why, [&](const std::string& p) {
        if (!quiet_progress)
            std::fprintf(stderr, "pvisor %s: %s\n", cmd.c_str(), p.c_str());
    });
    if (!reply) {
        std::fprintf(stderr, "pvisor %s: %s\n", cmd.c_str(), why.c_str());
        return std::nullopt;
    }
    if (!json_bool(*reply, "ok").value_or(false)) {
        const Json* e = json_object(*reply, "error");
        const std::string* m = e != nullptr ? json_string(*e, "message") : nullptr;
        std::fprintf(stderr, "pvisor %s: %s\n", cmd.c_str(),
                     m != nullptr ? m->c_str() : json_line(*reply).c_str());
        return std::nullopt;
    }
    return reply;
}

int simple(const std::string& cmd, Json req) {
    return call(cmd, std::move(req)) ? kExitOk : kExitFail;
}

Json dom_arg(const std::string& dom) {
    return dom.find_first_not_of("0123456789") == std::string::npos && !dom.empty() &&
                   dom.size() < 6
               ? Json(std::stoll(dom))
               : Json(dom);
}

// Copies between the terminal and the console socket until Ctrl-] (or either side ends).
int attach_console(const std::string& dom) {
    auto reply = call("console", {{"op", "console"}, {"dom", dom_arg(dom)}});
    if (!reply)
        return kExitFail;
    const std::string sock = *json_string(*reply, "socket");
    UniqueFd fd(connect_unix(sock));
    for (int i = 0; !fd.valid() && i < 100; ++i) { // a domain just created opens it soon
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        fd.reset(connect_unix(sock));
    }
    if (!fd.valid()) {
        std::fprintf(stderr, "pvisor console: %s: %s\n", sock.c_str(), std::strerror(errno));
        return kExitFail;
    }
    const RawTerminal term(STDIN_FILENO);
    if (term.active())
        std::fprintf(stderr, "pvisor console: attached to %s; Ctrl-] detaches\r\n", dom.c_str());
    bool stdin_open = true;
    char buf[4096];
    for (;;) {
        pollfd fds[2] = {{fd.get(), POLLIN, 0}, {STDIN_FILENO, static_cast<short>(stdin_open ? POLLIN : 0), 0}};
        if (::poll(fds, 2, -1) < 0 && errno != EINTR)
            break;
        if ((fds[0].revents & (POLLIN | POLLHUP)) != 0) {
            const ssize_t n = ::read(fd.get(), buf, sizeof buf);
            if (n <= 0)
                break; // the domain ended
            if (::write(STDOUT_FILENO, buf, static_cast<std::size_t>(n)) < 0)
                break;
        }
        if ((fds[1].revents & (POLLIN | POLLHUP)) != 0) {
            const ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
            if (n <= 0) {
                stdin_open = false; // input ended: keep showing output
                continue;
            }
            const auto len = static_cast<std::size_t>(n);
            const std::size_t keep = term.active() ? bytes_before_escape(buf, len) : len;
            if (keep > 0 && ::write(fd.get(), buf, keep) < 0)
                break;
            if (keep < len)
                break;
        }
    }
    if (term.active())
        std::fprintf(stderr, "\r\npvisor console: detached\r\n");
    return kExitOk;
}

int cmd_create(int argc, char** argv) {
    bool console = false;
    std::string file;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "-c")
            console = true;
        else if (!a.empty() && a[0] == '-')
            return usage_error("create", a + ": unknown option");
        else if (file.empty())
            file = a;
        else
            return usage_error("create", "one config file only");
    }
    if (file.empty())
        return usage_error("create", "a config file is required");
    std::string why;
    auto cfg = load_config_file(file, why);
    if (!cfg) {
        std::fprintf(stderr, "pvisor create: %s\n", why.c_str());
        return kExitFail;
    }
    auto reply = call("create", {{"op", "create"}, {"config", *cfg}});
    if (!reply)
        return kExitFail;
    std::printf("created domain %lld (%s)\n",
                static_cast<long long>(json_int(*reply, "domid").value_or(0)),
                json_string(*reply, "name")->c_str());
    std::fflush(stdout);
    return console ? attach_console(*json_string(*reply, "name")) : kExitOk;
}

int cmd_list(int argc, char** argv) {
    bool long_form = false;
    std::vector<std::string> only;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "-l" || a == "--long")
            long_form = true;
        else if (!a.empty() && a[0] == '-')
            return usage_error("list", a + ": unknown option");
        else
            only.push_back(a);
    }
    auto reply = call("list", {{"op", "list"}, {"long", long_form}});
    if (!reply)
        return kExitFail;
    Json doms = Json::array();
    for (const Json& d : *json_array(*reply, "domains")) {
        bool wanted = only.empty();
        for (const std::string& o : only)
            wanted = wanted || o == *json_string(d, "name") ||
                     o == std::to_string(json_int(d, "domid").value_or(-1));
        if (wanted)
            doms.push_back(d);
    }
    if (doms.size() < only.size()) {
        std::fprintf(stderr, "pvisor list: no such domain among %zu asked\n", only.size());
        return kExitFail;
    }
    if (long_form) {
        std::printf("%s\n", doms.dump(2, ' ', false, Json::error_handler_t::replace).c_str());
        return kExitOk;
    }
    std::printf("%-32s %5s %6s %5s %-9s %9s\n", "Name", "ID", "Mem", "VCPUs", "State", "Time(s)");
    for (const Json& d : doms)
        std::printf("%-32s %5lld %6lld %5lld %-9s %9lld\n", json_string(d, "name")->c_str(),
                    static_cast<long long>(json_int(d, "domid").value_or(0)),
                    static_cast<long long>(json_int(d, "memory_mib").value_or(0)),
                    static_cast<long long>(json_int(d, "vcpus").value_or(0)),
                    json_string(d, "state")->c_str(),
                    static_cast<long long>(json_int(d, "uptime_s").value_or(0)));
    return kExitOk;
}

int cmd_shutdown(const std::string& cmd, int argc, char** argv) {
    Json req = {{"op", cmd}};
    std::string dom;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "-w") {
            req["wait"] = true;
        } else if (a == "-F") {
            req["force"] = true;
            req["wait"] = true;
        } else if (a == "-t" && i + 1 < argc) {
            const std::string v = argv[++i];
            if (v.empty() || v.size() > 5 || v.find_first_not_of("0123456789") != std::string::npos)
                return usage_error(cmd, "-t " + v + ": seconds expected");
            req["timeout"] = std::stoll(v);
        } else if (!a.empty() && a[0] == '-') {
            return usage_error(cmd, a + ": unknown option");
        } else if (dom.empty()) {
            dom = a;
        } else {
            return usage_error(cmd, "one domain only");
        }
    }
    if (dom.empty())
        return usage_error(cmd, "which domain?");
    req["dom"] = dom_arg(dom);
    auto reply = call(cmd, req);
    if (!reply)
        return kExitFail;
    if (json_bool(*reply, "destroyed").value_or(false))
        std::fprintf(stderr, "pvisor %s: %s did not %s in time and was destroyed\n",
                     cmd.c_str(), dom.c_str(), cmd == "reboot" ? "reboot" : "shut down");
    return kExitOk;
}

// xl's size syntax for mem-set: a number, default unit KiB, or with b/k/m/g/t.
std::optional<std::int64_t> parse_kib(const std::string& s) {
    if (s.empty() || s.size() > 20 || !std::isdigit(static_cast<unsigned char>(s[0])))
        return std::nullopt;
    std::size_t used = 0;
    const unsigned long long v = std::stoull(s, &used);
    const std::string unit = s.substr(used);
    std::uint64_t shift_kib = 0; // value * 2^shift KiB; bytes handled apart
    if (unit == "b" || unit == "B")
        return static_cast<std::int64_t>(v / 1024);
    if (unit.empty() || unit == "k" || unit == "K")
        shift_kib = 0;
    else if (unit == "m" || unit == "M")
        shift_kib = 10;
    else if (unit == "g" || unit == "G")
        shift_kib = 20;
    else if (unit == "t" || unit == "T")
        shift_kib = 30;
    else
        return std::nullopt;
    if (v > (1ULL << 40) >> shift_kib)
        return std::nullopt;
    return static_cast<std::int64_t>(v << shift_kib);
}

// "2", "0-3,6", "all".
std::optional<Json> parse_cpus(const std::string& s) {
    Json cpus = Json::array();
    if (s == "all") {
        for (long c = 0; c < ::sysconf(_SC_NPROCESSORS_CONF); ++c)
            cpus.push_back(c);
        return cpus;
    }
    std::size_t start = 0;
    while (start <= s.size()) {
        const auto comma = s.find(',', start);
        const std::string item = s.substr(start, comma - start);
        start = comma == std::string::npos ? s.size() + 1 : comma + 1;
        const auto dash = item.find('-');
        const std::string lo = item.substr(0, dash);
        const std::string hi = dash == std::string::npos ? lo : item.substr(dash + 1);
        const auto digits = [](const std::string& v) {
            return !v.empty() && v.size() < 5 && v.find_first_not_of("0123456789") == std::string::npos;
        };
        if (!digits(lo) || !digits(hi) || std::stoi(hi) < std::stoi(lo))
            return std::nullopt;
        for (int c = std::stoi(lo); c <= std::stoi(hi); ++c)
            cpus.push_back(c);
    }
    return cpus;
}

// The sum of a counters object's integer values whose names pass `take`.
std::int64_t sum_counters(const Json* counters, const std::function<bool(std::string_view)>& take) {
    std::int64_t n = 0;
    if (counters == nullptr)
        return 0;
    for (const auto& [k, v] : counters->items())
        if ((v.is_number_integer() || v.is_number_unsigned()) && take(k))
            n += v.get<std::int64_t>();
    return n;
}

// One refresh of `top`, from the service's `list -l` (each VMM's figures and each backend's
// counters): CPU time and share, exits, event-channel sends, upcalls, disk and network bytes.
void print_top(const Json& doms, std::map<std::int64_t, std::pair<double, double>>& last) {
    std::printf("%-20s %5s %-8s %9s %6s %11s %9s %9s %9s %9s %9s %9s\n", "NAME", "ID", "STATE",
                "CPU(s)", "CPU(%)", "EXITS", "EVTCHN", "UPCALLS", "BLK-RD", "BLK-WR", "NET-TX",
                "NET-RX");
    const auto now = std::chrono::duration<double>(
                         std::chrono::steady_clock::now().time_since_epoch())
                         .count();
    const auto suffix = [](std::string_view s) {
        return [s](std::string_view k) { return k.ends_with(s); };
    };
    const auto mib = [](std::int64_t bytes) { return static_cast<double>(bytes) / 1048576.0; };
    for (const Json& d : doms) {
        const auto id = json_int(d, "domid").value_or(0);
        double cpu_s = 0;
        std::int64_t exits = 0;
        const Json* vmm = json_object(d, "vmm");
        if (const Json* vcpus = vmm ? json_array(*vmm, "vcpus") : nullptr)
            for (const Json& v : *vcpus) {
                cpu_s += static_cast<double>(json_int(v, "cpu_ns").value_or(0)) / 1e9;
                exits += json_int(v, "exits").value_or(0);
            }
        const Json* counters = vmm ? json_object(*vmm, "counters") : nullptr;
        const auto evtchn = sum_counters(counters, [](std::string_view k) {
            return k.starts_with("evtchn.sends") || k == "evtchn.sent";
        });
        const auto upcalls = sum_counters(counters, [](std::string_view k) {
            return k.starts_with("upcall") && k.ends_with(".raised");
        });
        const Json* backs = json_object(d, "backends");
        const Json* vbd = backs ? json_object(*backs, "vbd") : nullptr;
        const Json* vif = backs ? json_object(*backs, "vif") : nullptr;
        const Json* blk = vbd ? json_object(*vbd, "counters") : nullptr;
        const Json* net = vif ? json_object(*vif, "counters") : nullptr;
        double pct = 0;
        if (const auto it = last.find(id); it != last.end() && now > it->second.second)
            pct = 100.0 * (cpu_s - it->second.first) / (now - it->second.second);
        last[id] = {cpu_s, now};
        std::printf("%-20s %5lld %-8s %9.1f %6.1f %11lld %9lld %9lld %9.1f %9.1f %9.1f %9.1f\n",
                    json_string(d, "name")->c_str(), static_cast<long long>(id),
                    json_string(d, "state")->c_str(), cpu_s, pct, static_cast<long long>(exits),
                    static_cast<long long>(evtchn), static_cast<long long>(upcalls),
                    mib(sum_counters(blk, suffix(".bytes_read"))),
                    mib(sum_counters(blk, suffix(".bytes_written"))),
                    mib(sum_counters(net, suffix(".tx_bytes"))),
                    mib(sum_counters(net, suffix(".rx_bytes"))));
    }
    std::printf("(CPU: the guest's vCPU time; BLK and NET columns: MiB through the backends)\n");
}

int cmd_top(int argc, char** argv) {
    int delay = 1;
    int iterations = -1;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if ((a == "-d" || a == "-n") && i + 1 < argc) {
            const std::string v = argv[++i];
            if (v.empty() || v.size() > 4 || v.find_first_not_of("0123456789") != std::string::npos ||
                std::stoi(v) == 0)
                return usage_error("top", a + " " + v + ": a positive number expected");
            (a == "-d" ? delay : iterations) = std::stoi(v);
        } else {
            return usage_error("top", a + ": unknown option");
        }
    }
    std::map<std::int64_t, std::pair<double, double>> last;
    const bool tty = ::isatty(STDOUT_FILENO) != 0;
    for (int n = 0; iterations < 0 || n < iterations; ++n) {
        auto reply = call("top", {{"op", "list"}, {"long", true}});
        if (!reply)
            return kExitFail;
        if (tty)
            std::printf("\033[H\033[2J");
        print_top(*json_array(*reply, "domains"), last);
        std::fflush(stdout);
        if (iterations < 0 || n + 1 < iterations)
            std::this_thread::sleep_for(std::chrono::seconds(delay));
    }
    return kExitOk;
}

int print_json_reply(const std::string& cmd, Json req) {
    auto reply = call(cmd, std::move(req));
    if (!reply)
        return kExitFail;
    reply->erase("ok");
    std::printf("%s\n", reply->dump(2, ' ', false, Json::error_handler_t::replace).c_str());
    return kExitOk;
}

} // namespace

bool is_xl_command(const std::string& cmd) {
    for (const Command& c : kCommands)
        if (cmd == c.name)
            return true;
    return false;
}

const char* xl_usage() {
    static const std::string text = [] {
        std::string t = "toolstack commands (DOM: a domain name or id; the service starts on "
                        "first use):\n";
        for (const Command& c : kCommands) {
            const std::string head = std::string(c.name) + " " + c.args;
            char line[256];
            std::snprintf(line, sizeof line, "  pvisor %-40s %s\n", head.c_str(), c.help);
            t += line;
        }
        return t;
    }();
    return text.c_str();
}

int xl_command_main(int argc, char** argv) {
    const std::string cmd = argv[0];
    for (int i = 1; i < argc; ++i) {
        if (std::string(argv[i]) == "--help" || std::string(argv[i]) == "-h") {
            for (const Command& c : kCommands)
                if (cmd == c.name)
                    std::printf("usage: pvisor %s %s\n  %s\n", c.name, c.args, c.help);
            return kExitOk;
        }
    }
    if (cmd == "create")
        return cmd_create(argc, argv);
    if (cmd == "list")
        return cmd_list(argc, argv);
    if (cmd == "top")
        return cmd_top(argc, argv);
    if (cmd == "info")
        return argc == 1 ? print_json_reply(cmd, {{"op", "info"}}) : usage_error(cmd, "no arguments");
    if (cmd == "shutdown" || cmd == "reboot")
        return cmd_shutdown(cmd, argc, argv);
    // Everything else: DOM first.
    if (argc < 2 || argv[1][0] == '-')
        return usage_error(cmd, "which domain?");
    const Json dom = dom_arg(argv[1]);
    const auto args = [&](int n) { return argc == 2 + n; };
    if (cmd == "console")
        return args(0) ? attach_console(argv[1]) : usage_error(cmd, "one domain");
    if (cmd == "pause" || cmd == "unpause" || cmd == "destroy")
        return args(0) ? simple(cmd, {{"op", cmd}, {"dom", dom}}) : usage_error(cmd, "one domain");
    if (cmd == "block-list" || cmd == "network-list")
        return args(0) ? print_json_reply(cmd, {{"op", cmd}, {"dom", dom}})
                       : usage_error(cmd, "one domain");
    if (cmd == "block-attach") {
        if (!args(1))
            return usage_error(cmd, "a domain and a disk spec");
        std::string why;
        auto disk = disk_spec_json(argv[2], why);
        if (!disk) {
            std::fprintf(stderr, "pvisor block-attach: %s\n", why.c_str());
            return kExitUsage;
        }
        return simple(cmd, {{"op", cmd}, {"dom", dom}, {"disk", *disk}});
    }
    if (cmd == "block-detach")
        return args(1) ? simple(cmd, {{"op", cmd}, {"dom", dom}, {"vdev", argv[2]}})
                       : usage_error(cmd, "a domain and a vdev");
    if (cmd == "network-attach") {
        std::string why;
        auto vif = vif_spec_json(std::vector<std::string>(argv + 2, argv + argc), why);
        if (!vif) {
            std::fprintf(stderr, "pvisor network-attach: %s\n", why.c_str());
            return kExitUsage;
        }
        auto reply = call(cmd, {{"op", cmd}, {"dom", dom}, {"vif", *vif}});
        if (!reply)
            return kExitFail;
        std::printf("vif %lld mac %s\n", static_cast<long long>(json_int(*reply, "handle").value_or(0)),
                    json_string(*reply, "mac")->c_str());
        return kExitOk;
    }
    if (cmd == "network-detach") {
        const std::string h = argc == 3 ? argv[2] : "";
        if (h.empty() || h.size() > 2 || h.find_first_not_of("0123456789") != std::string::npos)
            return usage_error(cmd, "a domain and a vif handle");
        return simple(cmd, {{"op", cmd}, {"dom", dom}, {"handle", std::stoi(h)}});
    }
    if (cmd == "mem-set") {
        const auto kib = args(1) ? parse_kib(argv[2]) : std::nullopt;
        if (!kib)
            return usage_error(cmd, "a domain and a size (KiB, or 512m, 1g ...)");
        return simple(cmd, {{"op", cmd}, {"dom", dom}, {"kib", *kib}});
    }
    if (cmd == "vcpu-pin") {
        const std::string v = argc == 4 ? argv[2] : "";
        const auto cpus = argc == 4 ? parse_cpus(argv[3]) : std::nullopt;
        if (v.empty() || v.size() > 3 || v.find_first_not_of("0123456789") != std::string::npos ||
            !cpus)
            return usage_error(cmd, "a domain, a vCPU number and CPUs (2, 0-3,6, all)");
        return simple(cmd, {{"op", cmd}, {"dom", dom}, {"vcpu", std::stoi(v)}, {"cpus", *cpus}});
    }
    return usage_error(cmd, "unknown command");
}

} // namespace pvisor::toolstack
