// api_client.cpp: connect (or start the service), then one request line, replies by line.
#include "api_client.hpp"

#include "process.hpp"
#include "vmm_client.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <sys/socket.h>
#include <unistd.h>

namespace pvisor::toolstack {
namespace {

constexpr int kServiceStartWaitMs = 10000;

} // namespace

std::optional<ApiClient> ApiClient::connect(const RunDir& dir, std::string& why,
                                            bool start_service) {
    UniqueFd fd(connect_unix(dir.api_socket()));
    if (fd.valid())
        return ApiClient(std::move(fd));
    if (!start_service || (errno != ENOENT && errno != ECONNREFUSED)) {
        why = dir.api_socket() + ": " + std::strerror(errno);
        return std::nullopt;
    }
    if (!make_dirs(dir.root)) {
        why = dir.root + ": " + std::strerror(errno);
        return std::nullopt;
    }
    auto proc = spawn_detached({self_exe(), "daemon"}, dir.log_file(), why);
    if (!proc.ok())
        return std::nullopt;
    std::fprintf(stderr, "pvisor: started the toolstack service (pid %d, log %s)\n", proc->pid,
                 dir.log_file().c_str());
    for (int waited = 0; waited < kServiceStartWaitMs; waited += 20) {
        fd.reset(connect_unix(dir.api_socket()));
        if (fd.valid())
            return ApiClient(std::move(fd));
        if (reap_child(*proc)) {
            why = "the toolstack service ended at start (see " + dir.log_file() + ")";
            return std::nullopt;
        }
        ::usleep(20000);
    }
    why = "the toolstack service did not open " + dir.api_socket() + " in 10 s";
    return std::nullopt;
}

std::optional<Json> ApiClient::call(Json request, std::string& why,
                                    const std::function<void(const std::string&)>& on_progress) {
    const std::uint64_t id = m_next_id++;
    request["id"] = id;
    const std::string line = json_line(request) + "\n";
    if (::send(m_fd.get(), line.data(), line.size(), MSG_NOSIGNAL) !=
        static_cast<ssize_t>(line.size())) {
        why = "the toolstack service closed the connection";
        return std::nullopt;
    }
    char buf[8192];
    for (;;) {
        const auto nl = m_in.find('\n');
        if (nl == std::string::npos) {
            const ssize_t n = ::read(m_fd.get(), buf, sizeof buf);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0) {
                why = "the toolstack service closed the connection";
                return std::nullopt;
            }
            m_in.append(buf, static_cast<std::size_t>(n));
            continue;
        }
        auto reply = parse_json_object(std::string_view(m_in).substr(0, nl));
        m_in.erase(0, nl + 1);
        if (!reply) {
            why = "the toolstack service answered something else than JSON";
            return std::nullopt;
        }
        if (const std::string* p = json_string(*reply, "progress")) {
            if (on_progress)
                on_progress(*p);
            continue;
        }
        reply->erase("id");
        return reply;
    }
}

} // namespace pvisor::toolstack
