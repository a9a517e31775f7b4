// api_server.cpp: accept loop, per-client threads, request framing and the daemon command.
#include "api_server.hpp"

#include "unique_fd.hpp"
#include "unix_listener.hpp"

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <thread>
#include <unistd.h>

namespace pvisor::toolstack {
namespace {

std::atomic<unsigned> g_clients{0};

// What ends the service (with a signalfd; every thread has them blocked).
sigset_t stop_signals() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    return set;
}

bool send_all(int fd, const std::string& s) {
    std::size_t done = 0;
    while (done < s.size()) {
        const ssize_t n = ::send(fd, s.data() + done, s.size() - done, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        done += static_cast<std::size_t>(n);
    }
    return true;
}

void serve_client(Daemon& daemon, UniqueFd fd) {
    std::string in;
    char buf[8192];
    for (;;) {
        const auto nl = in.find('\n');
        if (nl == std::string::npos) {
            if (in.size() > kMaxRequestBytes) {
                (void)send_all(fd.get(), json_line(api_fail(ApiError::bad_request,
                                                            "request line over 64 KiB")) +
                                             "\n");
                break;
            }
            const ssize_t n = ::read(fd.get(), buf, sizeof buf);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                break;
            in.append(buf, static_cast<std::size_t>(n));
            continue;
        }
        const std::string line = in.substr(0, nl);
        in.erase(0, nl + 1);
        if (line.empty())
            continue;
        const int out = fd.get();
        Json id;
        if (auto req = parse_json_object(line); req && req->contains("id"))
            id = (*req)["id"];
        const Progress progress = [out, &id](const std::string& what) {
            (void)send_all(out, json_line(Json{{"id", id}, {"progress", what}}) + "\n");
        };
        if (!send_all(out, json_line(answer_line(daemon, line, progress)) + "\n"))
            break;
    }
    g_clients.fetch_sub(1);
}

} // namespace

Json answer_line(Daemon& daemon, std::string_view line, const Progress& progress) {
    auto req = parse_json_object(line);
    if (!req)
        return api_fail(ApiError::bad_request,
                        "a request is one JSON object per line (nesting at most " +
                            std::to_string(kMaxJsonDepth) + ")");
    Json reply = daemon.handle(*req, progress);
    if (req->contains("id"))
        reply["id"] = (*req)["id"];
    return reply;
}

int serve_api(Daemon& daemon, const RunDir& dir) {
    auto listen = listen_unix(dir.api_socket(), SOCK_STREAM);
    if (!listen.ok()) {
        std::fprintf(stderr, "pvisor daemon: %s: %s\n", dir.api_socket().c_str(),
                     listen.error() == Errc::exists ? "exists and is not a socket"
                                                    : std::strerror(errno));
        return 1;
    }
    const sigset_t stop = stop_signals();
    ::pthread_sigmask(SIG_BLOCK, &stop, nullptr);
    ::signal(SIGPIPE, SIG_IGN);
    UniqueFd sigfd(::signalfd(-1, &stop, SFD_CLOEXEC));
    std::fprintf(stderr, "pvisor daemon: serving %s and %s (pid %d)\n", dir.api_socket().c_str(),
                 dir.store_socket().c_str(), ::getpid());
    for (;;) {
        pollfd fds[2] = {{listen->get(), POLLIN, 0}, {sigfd.get(), POLLIN, 0}};
        if (::poll(fds, 2, -1) < 0 && errno != EINTR)
            break;
        if ((fds[1].revents & POLLIN) != 0)
            break;
        if ((fds[0].revents & POLLIN) == 0)
            continue;
        UniqueFd client(::accept4(listen->get(), nullptr, nullptr, SOCK_CLOEXEC));
        if (!client.valid())
            continue;
        if (g_clients.load() >= kMaxApiClients) {
            (void)send_all(client.get(),
                           json_line(api_fail(ApiError::io_error, "too many API clients")) + "\n");
            continue;
        }
        g_clients.fetch_add(1);
        std::thread(serve_client, std::ref(daemon), std::move(client)).detach();
    }
    ::unlink(dir.api_socket().c_str());
    std::fprintf(stderr, "pvisor daemon: stopping; running domains go on\n");
    return 0;
}

int daemon_command_main(int argc, char** argv) {
    DaemonOptions opt;
    opt.dir = RunDir::from_env();
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "-h" || a == "--help") {
            std::printf(
                "usage: pvisor daemon [--blkback PATH] [--netback PATH]\n"
                "The host's toolstack service: domain ids, the store of every domain\n"
                "(%s), each domain's VMM and backends, and the JSON API (%s)\n"
                "the pvisor CLI uses. It stays in the foreground, logging to stderr; the CLI\n"
                "starts it in the background when it is not running. Killing it does not stop\n"
                "any domain: started again, it takes them back.\n"
                "environment: PVISOR_RUN_DIR (default /run/pvisor)\n",
                opt.dir.store_socket().c_str(), opt.dir.api_socket().c_str());
            return 0;
        }
        if ((a == "--blkback" || a == "--netback") && i + 1 < argc) {
            (a == "--blkback" ? opt.blkback : opt.netback) = argv[++i];
            continue;
        }
        std::fprintf(stderr, "pvisor daemon: %s: unknown option (see pvisor daemon --help)\n",
                     a.c_str());
        return 2;
    }
    // Signals blocked before any thread starts, so that all of them inherit the mask.
    const sigset_t stop = stop_signals();
    ::pthread_sigmask(SIG_BLOCK, &stop, nullptr);
    std::string why;
    auto daemon = Daemon::start(opt, why);
    if (!daemon.ok()) {
        std::fprintf(stderr, "pvisor daemon: %s\n", why.c_str());
        return daemon.error() == Errc::busy ? 3 : 1;
    }
    const int status = serve_api(**daemon, opt.dir);
    (*daemon)->stop();
    // Client threads may still be inside the daemon: it is left to the process's exit, and
    // its store links with it (each VMM's ring waits, as it stands, for the next daemon).
    [[maybe_unused]] Daemon* left = std::move(*daemon).release();
    return status;
}

} // namespace pvisor::toolstack
