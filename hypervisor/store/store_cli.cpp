// store_cli.cpp: argument parsing and output of `pvisor store`.
#include "store_cli.hpp"

#include "store_client.hpp"
#include "store_serve.hpp"

#include <cstdio>
#include <cstdlib>
#include <sys/stat.h>
#include <optional>
#include <unistd.h>
#include <vector>

namespace pvisor::store {
namespace {

constexpr const char* kUsage =
    "usage: pvisor store ls|read|write|rm|watch|stats [--control DIR] [--count N] [PATH [VALUE]]\n"
    "       pvisor store serve --socket PATH [--domains N]\n"
    "  ls PATH           list the children of PATH with their values\n"
    "  read PATH         print the value of PATH\n"
    "  write PATH VALUE  set PATH to VALUE (missing parents are created)\n"
    "  rm PATH           remove PATH and everything below it\n"
    "  watch PATH        print each changed path at or below PATH (first: PATH itself)\n"
    "  stats             print the store's counters\n"
    "  serve             run a standalone store on a socket (pvisor store serve --help)\n"
    "  --control DIR     a standalone guest's store (`pvisor run --control DIR`): the\n"
    "                    socket DIR/store.sock. Without it: $XENSTORED_PATH if set (as\n"
    "                    Xen's xenstore tools), else the toolstack's store of every domain\n"
    "                    ($PVISOR_RUN_DIR, default /run/pvisor, /xenstored.sock) if it\n"
    "                    runs, else the standalone default: $PVISOR_CONTROL, else\n"
    "                    $XDG_RUNTIME_DIR/pvisor, else /tmp/pvisor-<uid>\n"
    "  --count N         watch: exit after N events\n";

struct Args {
    std::string op;
    std::string control;
    std::optional<unsigned long> count;
    std::vector<std::string> positional;
};

int usage_error(const char* msg) {
    std::fprintf(stderr, "pvisor store: %s\n%s", msg, kUsage);
    return 2;
}

// Returns nullopt after printing a usage error; `help` set for --help.
std::optional<Args> parse_args(int argc, char** argv, bool& help) {
    Args a;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (arg == "--help" || arg == "-h") {
            help = true;
            return std::nullopt;
        }
        if ((arg == "--control" || arg == "--count") && i + 1 >= argc) {
            usage_error("option needs a value");
            return std::nullopt;
        }
        if (arg == "--control") {
            a.control = argv[++i];
        } else if (arg.starts_with("--control=")) {
            a.control = std::string(arg.substr(10));
        } else if (arg == "--count") {
            char* end = nullptr;
            a.count = std::strtoul(argv[++i], &end, 10);
            if (*end != '\0' || *a.count == 0) {
                usage_error("--count needs a positive number");
                return std::nullopt;
            }
        } else if (arg.starts_with("--")) {
            usage_error("unknown option");
            return std::nullopt;
        } else if (a.op.empty()) {
            a.op = std::string(arg);
        } else {
            a.positional.emplace_back(arg);
        }
    }
    return a;
}

int store_error(const Args& a, XsErr e) {
    const std::string what = a.positional.empty() ? a.op : a.op + " " + a.positional[0];
    std::fprintf(stderr, "pvisor store: %s: %s\n", what.c_str(),
                 std::string(xs_err_name(e)).c_str());
    return 1;
}

// Printable rendering of a value: non-printable bytes as \xNN, quotes and backslashes escaped.
std::string quoted(std::string_view v) {
    std::string out = "\"";
    for (const char ch : v) {
        const auto c = static_cast<unsigned char>(ch);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += ch;
        } else if (c < 0x20 || c >= 0x7f) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02x", c);
            out += buf;
        } else {
            out += ch;
        }
    }
    return out + "\"";
}

int do_ls(StoreClient& client, const Args& a) {
    const std::string& path = a.positional[0];
    auto names = client.directory(path);
    if (!names)
        return store_error(a, names.error());
    for (const auto& name : *names) {
        const std::string child = path == "/" ? "/" + name : path + "/" + name;
        auto value = client.read(child);
        if (value)
            std::printf("%s = %s\n", name.c_str(), quoted(*value).c_str());
        else
            std::printf("%s\n", name.c_str());
    }
    return 0;
}

int do_watch(StoreClient& client, const Args& a) {
    const std::string token = "pvisor-store-cli";
    if (auto st = client.watch(a.positional[0], token); !st)
        return store_error(a, st.error());
    for (unsigned long seen = 0; !a.count || seen < *a.count; ++seen) {
        auto ev = client.wait_event();
        if (!ev)
            return store_error(a, ev.error());
        std::printf("%s\n", ev->path.c_str());
        std::fflush(stdout);
    }
    return 0;
}

int do_stats(StoreClient& client, const Args& a) {
    auto r = client.request(XS_CONTROL, std::string_view("stats\0", 6));
    if (!r)
        return store_error(a, r.error());
    std::fputs(r->c_str(), stdout);
    return 0;
}

int run_op(StoreClient& client, const Args& a) {
    if (a.op == "stats")
        return do_stats(client, a);
    if (a.op == "ls")
        return do_ls(client, a);
    if (a.op == "watch")
        return do_watch(client, a);
    if (a.op == "read") {
        auto v = client.read(a.positional[0]);
        if (!v)
            return store_error(a, v.error());
        std::fwrite(v->data(), 1, v->size(), stdout);
        std::fputc('\n', stdout);
        return 0;
    }
    const XsStatus st = a.op == "write" ? client.write(a.positional[0], a.positional[1])
                                        : client.rm(a.positional[0]);
    return st ? 0 : store_error(a, st.error());
}

int connect_error(const std::string& socket, Errc e) {
    const char* why = e == Errc::not_found           ? "no store socket (is `pvisor run` running?)"
                      : e == Errc::permission_denied ? "permission denied"
                      : e == Errc::invalid_argument  ? "socket path too long"
                                                     : "connection refused";
    std::fprintf(stderr, "pvisor store: %s: %s\n", socket.c_str(), why);
    return 1;
}

} // namespace

std::string default_control_dir() {
    if (const char* dir = std::getenv("PVISOR_CONTROL"); dir != nullptr && *dir != '\0')
        return dir;
    if (const char* run = std::getenv("XDG_RUNTIME_DIR"); run != nullptr && *run != '\0')
        return std::string(run) + "/pvisor";
    return "/tmp/pvisor-" + std::to_string(::getuid());
}

std::string default_store_socket() {
    if (const char* xs = std::getenv("XENSTORED_PATH"); xs != nullptr && *xs != '\0')
        return xs;
    const char* run = std::getenv("PVISOR_RUN_DIR");
    const std::string toolstack =
        std::string(run != nullptr && *run != '\0' ? run : "/run/pvisor") + "/xenstored.sock";
    struct stat st {};
    if (::stat(toolstack.c_str(), &st) == 0 && S_ISSOCK(st.st_mode))
        return toolstack;
    return store_socket_path(default_control_dir());
}

std::string store_socket_path(std::string_view control_dir) {
    return std::string(control_dir) + "/store.sock";
}

int store_command_main(int argc, char** argv) {
    if (argc > 1 && std::string_view(argv[1]) == "serve")
        return store_serve_main(argc - 1, argv + 1);
    bool help = false;
    const auto args = parse_args(argc, argv, help);
    if (help) {
        std::fputs(kUsage, stdout);
        return 0;
    }
    if (!args)
        return 2;
    const bool known = args->op == "ls" || args->op == "read" || args->op == "write" ||
                       args->op == "rm" || args->op == "watch" || args->op == "stats";
    if (!known)
        return usage_error(args->op.empty() ? "missing operation" : "unknown operation");
    const std::size_t want = args->op == "write" ? 2 : args->op == "stats" ? 0 : 1;
    if (args->positional.size() != want)
        return usage_error(want == 2   ? "write needs PATH and VALUE"
                           : want == 0 ? "stats takes no PATH"
                                       : "needs exactly one PATH");
    const std::string socket = args->control.empty() ? default_store_socket()
                                                     : store_socket_path(args->control);
    auto client = StoreClient::connect(socket);
    if (!client)
        return connect_error(socket, client.error());
    return run_op(*client, *args);
}

} // namespace pvisor::store
