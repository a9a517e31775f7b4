// pv_console.hpp: the PV console ring (special page) served on pvisor's stdin/stdout.
#pragma once

#include "event_channels.hpp"

#include <pv/console.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>

namespace pvisor {

// Ctrl-] typed on pvisor's terminal stops the guest (as it leaves `xl console`); every other
// byte, Ctrl-C included, goes to the guest.
inline constexpr char kConsoleEscape = 0x1D;

// The number of bytes before the first escape key in `data` (len when there is none).
[[nodiscard]] std::size_t bytes_before_escape(const char* data, std::size_t len) noexcept;

class PvConsole {
  public:
    // Gets the guest's output besides out_fd (ConsoleHub::output), on the thread that
    // drains the ring or serves console_io.
    using Tap = std::function<void(const char* data, std::size_t len)>;

    // ring: the console special page; out_fd: where guest output goes (-1: discarded).
    PvConsole(const GuestMemory& mem, std::uint64_t ring_gpa, int out_fd, Tap tap = {})
        : m_mem(mem), m_ring_gpa(ring_gpa), m_out_fd(out_fd), m_tap(std::move(tap)) {}

    // The guest notified the console port: drain out[] to the output.
    void drain_output();
    // Queues host input into in[]; returns bytes taken (the ring may be full).
    std::size_t push_input(const char* data, std::size_t len);
    // console_io(write): same stream as the ring.
    void write_direct(const char* data, std::size_t len);

    [[nodiscard]] bool broken() const noexcept { return m_broken.load(); }
    [[nodiscard]] std::uint64_t bytes_out() const noexcept { return m_bytes_out.load(); }
    [[nodiscard]] std::uint64_t bytes_in() const noexcept { return m_bytes_in.load(); }

  private:
    [[nodiscard]] xencons_interface* ring() const;
    void mark_broken(const char* why);

    const GuestMemory& m_mem;
    const std::uint64_t m_ring_gpa;
    const int m_out_fd;
    const Tap m_tap;
    std::mutex m_lock;
    std::atomic<bool> m_broken{false};
    std::atomic<std::uint64_t> m_bytes_out{0};
    std::atomic<std::uint64_t> m_bytes_in{0};
};

} // namespace pvisor
