// event_loop.hpp: the PV services' event thread: an epoll loop over timerfds, eventfds, stdin.
#pragma once

#include "result.hpp"
#include "unique_fd.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>

namespace pvisor {

class EventLoop {
  public:
    static Result<std::unique_ptr<EventLoop>> create();
    ~EventLoop();
    EventLoop(const EventLoop&) = delete;
    EventLoop& operator=(const EventLoop&) = delete;

    // Calls `fn` on the loop thread whenever `fd` is readable; fd must outlive the loop.
    [[nodiscard]] Status watch(int fd, std::function<void()> fn);
    // Changes what wakes `fd`'s handler (EPOLLIN, EPOLLOUT or both); the handler is not told
    // which, and finds out by trying. Any thread.
    [[nodiscard]] Status set_events(int fd, std::uint32_t events);
    // Stops watching `fd`. Safe from a handler on the loop thread (the usual caller); from
    // another thread a handler already dispatched may still run once.
    void unwatch(int fd);
    [[nodiscard]] Status start();
    void stop();

  private:
    EventLoop() = default;
    void run();

    UniqueFd m_epoll;
    UniqueFd m_stop; // eventfd: wakes run() to exit
    std::mutex m_lock;
    std::unordered_map<int, std::function<void()>> m_handlers;
    std::thread m_thread; // joined in stop(); declared last so it goes first
};

} // namespace pvisor
