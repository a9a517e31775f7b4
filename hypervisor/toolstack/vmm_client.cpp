// vmm_client.cpp: line-framed JSON over a unix stream socket, with a deadline.
#include "vmm_client.hpp"

#include "unique_fd.hpp"

#include <cerrno>
#include <cstring>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace pvisor::toolstack {

int connect_unix(const std::string& path) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.size() >= sizeof addr.sun_path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    // SAFETY: sockaddr_un is what AF_UNIX connect expects.
    if (!fd.valid() ||
        ::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) // NOLINT
        return -1;
    return fd.release();
}

std::optional<Json> vmm_request(const std::string& socket_path, const Json& request,
                                std::string& why, int timeout_ms) {
    UniqueFd fd(connect_unix(socket_path));
    if (!fd.valid()) {
        why = socket_path + ": " + std::strerror(errno);
        return std::nullopt;
    }
    const std::string line = json_line(request) + "\n";
    if (::send(fd.get(), line.data(), line.size(), MSG_NOSIGNAL) !=
        static_cast<ssize_t>(line.size())) {
        why = "the VMM closed its management socket";
        return std::nullopt;
    }
    std::string in;
    char buf[4096];
    while (in.find('\n') == std::string::npos) {
        pollfd p{fd.get(), POLLIN, 0};
        if (::poll(&p, 1, timeout_ms) <= 0) {
            why = "the VMM did not answer in time";
            return std::nullopt;
        }
        const ssize_t n = ::read(fd.get(), buf, sizeof buf);
        if (n <= 0 || in.size() > (1U << 20)) {
            why = "the VMM closed its management socket";
            return std::nullopt;
        }
        in.append(buf, static_cast<std::size_t>(n));
    }
    auto reply = parse_json_object(std::string_view(in).substr(0, in.find('\n')));
    if (!reply)
        why = "the VMM answered something else than JSON";
    return reply;
}

} // namespace pvisor::toolstack
