// console_hub.cpp: one output ring shared by every reader, each with its own offset.
#include "console_hub.hpp"

#include "unix_listener.hpp"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace pvisor {

Result<std::unique_ptr<ConsoleHub>> ConsoleHub::create(std::string socket_path) {
    std::unique_ptr<ConsoleHub> h(new ConsoleHub(std::move(socket_path)));
    PV_TRY_ASSIGN(listen_fd, listen_unix(h->m_path, SOCK_STREAM));
    h->m_listen = std::move(listen_fd);
    h->m_wake.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (!h->m_wake.valid())
        return Errc::system_error;
    PV_TRY_ASSIGN(loop, EventLoop::create());
    h->m_loop = std::move(loop);
    return h;
}

ConsoleHub::~ConsoleHub() {
    if (m_loop)
        m_loop->stop();
    m_readers.clear(); // the loop thread is gone
    ::unlink(m_path.c_str());
}

Status ConsoleHub::start(Input input) {
    m_input = std::move(input);
    PV_TRY(m_loop->watch(m_listen.get(), [this] { on_accept(); }));
    PV_TRY(m_loop->watch(m_wake.get(), [this] { on_wake(); }));
    return m_loop->start();
}

void ConsoleHub::output(const char* data, std::size_t len) {
    std::lock_guard lock(m_lock);
    const std::size_t skip = len > kBacklog ? len - kBacklog : 0;
    for (std::size_t i = skip; i < len; ++i)
        m_ring[(m_total + i) % kBacklog] = data[i];
    m_total += len;
    if (!m_readers.empty() && !m_wake_pending) {
        m_wake_pending = true;
        const std::uint64_t one = 1;
        (void)!::write(m_wake.get(), &one, sizeof one);
    }
}

void ConsoleHub::on_accept() {
    for (;;) {
        UniqueFd fd(::accept4(m_listen.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK));
        if (!fd.valid())
            return;
        const int raw = fd.get();
        std::lock_guard lock(m_lock);
        if (m_readers.size() >= kMaxReaders)
            continue; // closed at once: the client sees EOF
        Reader& r = m_readers[raw];
        r.sock = std::move(fd);
        r.sent = m_total - std::min<std::uint64_t>(m_total, kHistory);
        if (!m_loop->watch(raw, [this, raw] { on_reader(raw); }).ok()) {
            m_readers.erase(raw);
            continue;
        }
        if (!flush_locked(raw, r))
            drop_locked(raw);
    }
}

void ConsoleHub::on_wake() {
    std::uint64_t n = 0;
    (void)!::read(m_wake.get(), &n, sizeof n);
    std::lock_guard lock(m_lock);
    m_wake_pending = false;
    for (auto it = m_readers.begin(); it != m_readers.end();) {
        const int fd = it->first;
        const bool keep = flush_locked(fd, it->second);
        ++it;
        if (!keep)
            drop_locked(fd);
    }
}

void ConsoleHub::on_reader(int fd) {
    {
        std::lock_guard lock(m_lock);
        auto it = m_readers.find(fd);
        if (it == m_readers.end())
            return;
        if (!flush_locked(fd, it->second))
            return drop_locked(fd);
    }
    // Input without m_lock: the input path takes the UART's or the PV console's lock, which
    // output() is called under.
    for (;;) {
        char buf[1024];
        const ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        if (n <= 0) {
            std::lock_guard lock(m_lock);
            return drop_locked(fd);
        }
        if (m_input)
            m_input(buf, static_cast<std::size_t>(n));
    }
}

bool ConsoleHub::flush_locked(int fd, Reader& r) {
    if (m_total - r.sent > kBacklog)
        return false; // fell behind: what it missed is gone
    while (r.sent < m_total) {
        const std::size_t off = r.sent % kBacklog;
        const std::size_t len = static_cast<std::size_t>(
            std::min<std::uint64_t>(m_total - r.sent, kBacklog - off));
        const ssize_t n = ::send(fd, m_ring.data() + off, len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return m_loop->set_events(fd, EPOLLIN | EPOLLOUT).ok();
        if (n <= 0)
            return false;
        r.sent += static_cast<std::uint64_t>(n);
    }
    return m_loop->set_events(fd, EPOLLIN).ok();
}

void ConsoleHub::drop_locked(int fd) {
    m_loop->unwatch(fd);
    m_readers.erase(fd);
}

} // namespace pvisor
