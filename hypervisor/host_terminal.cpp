// host_terminal.cpp: raw mode, the console escape key and the stop signals.
#include "host_terminal.hpp"

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace pvisor {

RawTerminal::RawTerminal(int fd) : m_fd(fd) {
    if (::isatty(fd) == 0 || ::tcgetattr(fd, &m_saved) != 0)
        return;
    termios raw = m_saved;
    ::cfmakeraw(&raw);
    // Output post-processing stays on, so that pvisor's own messages keep their line starts.
    raw.c_oflag |= OPOST;
    m_active = ::tcsetattr(fd, TCSANOW, &raw) == 0;
}

RawTerminal::~RawTerminal() {
    if (m_active)
        (void)::tcsetattr(m_fd, TCSANOW, &m_saved);
}

Result<std::unique_ptr<StopSignals>> StopSignals::start(std::function<void(int)> on_signal) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    if (::pthread_sigmask(SIG_BLOCK, &set, nullptr) != 0)
        return Errc::system_error;
    UniqueFd sigfd(::signalfd(-1, &set, SFD_CLOEXEC));
    UniqueFd stopfd(::eventfd(0, EFD_CLOEXEC));
    if (!sigfd.valid() || !stopfd.valid())
        return Errc::system_error;
    std::unique_ptr<StopSignals> s(new StopSignals(std::move(sigfd), std::move(stopfd)));
    s->m_thread = std::thread(&StopSignals::loop, s.get(), std::move(on_signal));
    return s;
}

StopSignals::~StopSignals() {
    const std::uint64_t one = 1;
    (void)!::write(m_stopfd.get(), &one, sizeof one);
    if (m_thread.joinable())
        m_thread.join();
}

void StopSignals::loop(std::function<void(int)> on_signal) {
    pollfd fds[2] = {{m_sigfd.get(), POLLIN, 0}, {m_stopfd.get(), POLLIN, 0}};
    while (::poll(fds, 2, -1) >= 0 || errno == EINTR) {
        if ((fds[1].revents & POLLIN) != 0)
            return;
        if ((fds[0].revents & POLLIN) == 0)
            continue;
        signalfd_siginfo info{};
        if (::read(m_sigfd.get(), &info, sizeof info) == static_cast<ssize_t>(sizeof info))
            on_signal(static_cast<int>(info.ssi_signo));
    }
}

} // namespace pvisor
