// vif_loop.cpp: poll() over the wake fd and the sessions' store sockets.
#include "vif_loop.hpp"

#include <cerrno>
#include <poll.h>
#include <vector>

namespace pvisor::backend {

Status serve_vifs(std::span<VifSession* const> sessions, int wake_fd,
                  const std::function<bool()>& on_wake) {
    std::vector<pollfd> fds(sessions.size() + 1);
    for (;;) {
        // Events read during a request sit in the client, invisible to poll(): take them first.
        for (VifSession* s : sessions) {
            while (s->has_buffered())
                PV_TRY(s->on_readable());
        }
        fds[0] = pollfd{wake_fd, POLLIN, 0};
        for (std::size_t i = 0; i < sessions.size(); ++i)
            fds[i + 1] = pollfd{sessions[i]->fd(), POLLIN, 0};
        if (::poll(fds.data(), fds.size(), -1) < 0) {
            if (errno == EINTR)
                continue;
            return Errc::system_error;
        }
        if ((fds[0].revents & POLLIN) != 0 && !on_wake())
            return {};
        for (std::size_t i = 0; i < sessions.size(); ++i) {
            if ((fds[i + 1].revents & (POLLIN | POLLHUP | POLLERR)) != 0)
                PV_TRY(sessions[i]->on_readable());
        }
    }
}

} // namespace pvisor::backend
