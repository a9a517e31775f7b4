// console_hub.hpp: the console attach socket <control dir>/console.sock (SOCK_STREAM, 0600).
// A client that connects first receives the console's history (the last kHistory bytes the
// guest printed), then its live output; what any client sends is console input.
#pragma once

#include "event_loop.hpp"
#include "result.hpp"
#include "unique_fd.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace pvisor {

class ConsoleHub {
  public:
    static constexpr std::size_t kHistory = 64 * 1024;
    // Output kept for readers; one that falls further behind is disconnected (it may attach
    // again and gets the history), so a reader that does not read never holds the guest up.
    static constexpr std::size_t kBacklog = 1 << 20;
    static constexpr std::size_t kMaxReaders = 16;
    using Input = std::function<void(const char* data, std::size_t len)>;

    // Listens on `socket_path` (a stale socket is replaced); output() works at once, the
    // clients are served from start().
    static Result<std::unique_ptr<ConsoleHub>> create(std::string socket_path);
    // Stops the thread, disconnects the readers and removes the socket.
    ~ConsoleHub();
    ConsoleHub(const ConsoleHub&) = delete;
    ConsoleHub& operator=(const ConsoleHub&) = delete;

    // Guest console output (any thread; never blocks on a reader).
    void output(const char* data, std::size_t len);
    // Starts the thread; bytes clients send go to `input`, on that thread.
    [[nodiscard]] Status start(Input input);

    [[nodiscard]] const std::string& socket_path() const { return m_path; }

  private:
    struct Reader {
        UniqueFd sock;
        std::uint64_t sent = 0; // stream offset of the next byte it gets
    };

    explicit ConsoleHub(std::string path) : m_path(std::move(path)), m_ring(kBacklog) {}
    void on_accept();
    void on_wake();
    void on_reader(int fd);
    // Sends what `fd` has not had yet; false if it must be disconnected. Under m_lock.
    [[nodiscard]] bool flush_locked(int fd, Reader& r);
    void drop_locked(int fd);

    std::string m_path;
    UniqueFd m_listen;
    UniqueFd m_wake; // eventfd: output() has bytes for the readers
    Input m_input;

    mutable std::mutex m_lock; // guards everything below
    std::vector<char> m_ring;  // the stream's last kBacklog bytes: byte k at k % kBacklog
    std::uint64_t m_total = 0; // bytes output so far
    bool m_wake_pending = false;
    std::map<int, Reader> m_readers;

    std::unique_ptr<EventLoop> m_loop; // last: stopped (joined) first
};

} // namespace pvisor
