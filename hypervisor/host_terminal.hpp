// host_terminal.hpp: pvisor's own terminal and signals: raw mode while the guest console owns
// the terminal (the escape key is in pv_console.hpp), and SIGINT/SIGTERM/SIGHUP turned into an
// orderly stop with a reason instead of a kill.
#pragma once

#include "result.hpp"
#include "unique_fd.hpp"

#include <termios.h>

#include <cstddef>
#include <functional>
#include <memory>
#include <thread>

namespace pvisor {

// Puts a terminal in raw mode for its lifetime; does nothing if `fd` is not a terminal.
class RawTerminal {
  public:
    explicit RawTerminal(int fd);
    ~RawTerminal();
    RawTerminal(const RawTerminal&) = delete;
    RawTerminal& operator=(const RawTerminal&) = delete;
    [[nodiscard]] bool active() const noexcept { return m_active; }

  private:
    int m_fd;
    bool m_active = false;
    termios m_saved{};
};

// Blocks SIGINT, SIGTERM and SIGHUP in the calling thread (and so in every thread it creates
// afterwards: create this first) and runs `on_signal(signo)` on its own thread when one
// arrives. The destructor stops that thread.
class StopSignals {
  public:
    static Result<std::unique_ptr<StopSignals>> start(std::function<void(int)> on_signal);
    ~StopSignals();
    StopSignals(const StopSignals&) = delete;
    StopSignals& operator=(const StopSignals&) = delete;

  private:
    StopSignals(UniqueFd sigfd, UniqueFd stopfd) : m_sigfd(std::move(sigfd)), m_stopfd(std::move(stopfd)) {}
    void loop(std::function<void(int)> on_signal);

    UniqueFd m_sigfd;
    UniqueFd m_stopfd;
    std::thread m_thread;
};

} // namespace pvisor
