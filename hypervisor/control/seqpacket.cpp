// seqpacket.cpp: sendmsg/recvmsg with SCM_RIGHTS for the control socket.
#include "seqpacket.hpp"

#include <cerrno>
#include <cstring>
#include <sys/socket.h>

namespace pvisor::ctl {

Status send_datagram(int sock, std::span<const std::byte> bytes, std::span<const int> fds) {
    if (fds.size() > kMaxFds)
        return Errc::invalid_argument;
    iovec iov{const_cast<std::byte*>(bytes.data()), bytes.size()};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxFds)] = {};
    if (!fds.empty()) {
        msg.msg_control = control;
        msg.msg_controllen = CMSG_SPACE(sizeof(int) * fds.size());
        cmsghdr* c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
        std::memcpy(CMSG_DATA(c), fds.data(), sizeof(int) * fds.size());
    }
    for (;;) {
        const ssize_t n = ::sendmsg(sock, &msg, MSG_NOSIGNAL);
        if (n >= 0)
            return static_cast<std::size_t>(n) == bytes.size() ? Status{} : Status{Errc::io_error};
        if (errno != EINTR)
            return errno == EAGAIN ? Errc::again : Errc::io_error;
    }
}

namespace {

// Takes ownership of every descriptor in the control data, even past what we keep.
void collect_fds(msghdr& msg, Datagram& d) {
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
            continue;
        const std::size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (std::size_t i = 0; i < n; ++i) {
            int fd = -1;
            std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
            d.fds.emplace_back(fd);
        }
    }
}

} // namespace

Result<Datagram> recv_datagram(int sock, std::span<std::byte> buf) {
    iovec iov{buf.data(), buf.size()};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxFds)] = {};
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    for (;;) {
        const ssize_t n = ::recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
        if (n >= 0) {
            Datagram d;
            d.len = static_cast<std::size_t>(n);
            d.truncated = (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0;
            collect_fds(msg, d);
            return d;
        }
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN)
            return Errc::again;
        if (errno == ECONNRESET)
            return Datagram{}; // the peer died: same as an orderly close
        return Errc::io_error;
    }
}

} // namespace pvisor::ctl
