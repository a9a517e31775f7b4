// net_port.cpp: the socketpair port used where no TAP device is available.
#include "net_port.hpp"

#include <sys/socket.h>

namespace pvisor::backend {

Result<std::pair<std::unique_ptr<SocketPort>, UniqueFd>> SocketPort::create() {
    int fds[2] = {-1, -1};
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) != 0)
        return Errc::system_error;
    UniqueFd mine(fds[0]);
    UniqueFd peer(fds[1]);
    // Room for many frames in flight each way (FORCE needs CAP_NET_ADMIN; otherwise the
    // sysctl net.core.wmem_max caps it). A full buffer makes the queue's write wait.
    const int buf = 8 << 20;
    for (int fd : {mine.get(), peer.get()}) {
        if (::setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &buf, sizeof buf) != 0)
            ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf);
    }
    std::unique_ptr<SocketPort> port(new SocketPort(std::move(mine)));
    return std::make_pair(std::move(port), std::move(peer));
}

Status SocketPort::set_offloads(const NetOffloads& o) {
    m_offloads = o; // the peer (a test) reads this to decide what it may send
    return {};
}

} // namespace pvisor::backend
