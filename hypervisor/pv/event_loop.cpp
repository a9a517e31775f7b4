// event_loop.cpp: epoll dispatch on the PV services thread.
#include "event_loop.hpp"

#include <sys/epoll.h>
#include <sys/eventfd.h>

#include <cerrno>
#include <cstdint>

namespace pvisor {

Result<std::unique_ptr<EventLoop>> EventLoop::create() {
    std::unique_ptr<EventLoop> loop(new EventLoop());
    loop->m_epoll.reset(::epoll_create1(EPOLL_CLOEXEC));
    loop->m_stop.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (!loop->m_epoll.valid() || !loop->m_stop.valid())
        return Errc::system_error;
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = loop->m_stop.get();
    if (::epoll_ctl(loop->m_epoll.get(), EPOLL_CTL_ADD, loop->m_stop.get(), &ev) != 0)
        return Errc::system_error;
    return loop;
}

EventLoop::~EventLoop() { stop(); }

Status EventLoop::watch(int fd, std::function<void()> fn) {
    {
        std::lock_guard lock(m_lock);
        m_handlers[fd] = std::move(fn);
    }
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    if (::epoll_ctl(m_epoll.get(), EPOLL_CTL_ADD, fd, &ev) != 0) {
        std::lock_guard lock(m_lock);
        m_handlers.erase(fd);
        return Errc::system_error;
    }
    return {};
}

Status EventLoop::set_events(int fd, std::uint32_t events) {
    epoll_event ev{};
    ev.events = events;
    ev.data.fd = fd;
    if (::epoll_ctl(m_epoll.get(), EPOLL_CTL_MOD, fd, &ev) != 0)
        return Errc::system_error;
    return {};
}

void EventLoop::unwatch(int fd) {
    (void)::epoll_ctl(m_epoll.get(), EPOLL_CTL_DEL, fd, nullptr);
    std::lock_guard lock(m_lock);
    m_handlers.erase(fd);
}

Status EventLoop::start() {
    if (m_thread.joinable())
        return Errc::busy;
    m_thread = std::thread([this] { run(); });
    return {};
}

void EventLoop::stop() {
    if (!m_thread.joinable())
        return;
    const std::uint64_t one = 1;
    (void)!::write(m_stop.get(), &one, sizeof one);
    m_thread.join();
}

void EventLoop::run() {
    for (;;) {
        epoll_event evs[16];
        const int n = ::epoll_wait(m_epoll.get(), evs, 16, -1);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return;
        }
        for (int i = 0; i < n; ++i) {
            if (evs[i].data.fd == m_stop.get())
                return;
            std::function<void()> fn;
            {
                std::lock_guard lock(m_lock);
                auto it = m_handlers.find(evs[i].data.fd);
                if (it != m_handlers.end())
                    fn = it->second;
            }
            if (fn)
                fn();
        }
    }
}

} // namespace pvisor
