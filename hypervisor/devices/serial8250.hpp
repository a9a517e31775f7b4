// serial8250.hpp: a 16550-compatible UART at 0x3F8 (COM1): output to a file descriptor,
// input pushed by a reader thread, interrupts as a level on an IRQ line.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>

namespace pvisor {

class Serial8250 {
  public:
    static constexpr std::uint16_t kBase = 0x3F8;
    static constexpr unsigned kIrq = 4;

    // Gets each transmitted byte besides `out_fd` (ConsoleHub::output); called with the
    // UART's lock held.
    using Tap = std::function<void(const char* data, std::size_t len)>;

    // `set_irq(level)` drives the UART's interrupt line; `out_fd` (and `tap`, if set)
    // receive transmitted bytes.
    Serial8250(int out_fd, std::function<void(bool)> set_irq, Tap tap = {});

    // Register `offset` (0..7). Called from vCPU threads; serialized internally.
    std::uint8_t read(unsigned offset);
    void write(unsigned offset, std::uint8_t value);
    // Bytes typed on the console; raises the receive interrupt if enabled.
    void push_input(const std::uint8_t* data, std::size_t len);

  private:
    [[nodiscard]] std::uint8_t iir_locked() const;
    void update_irq_locked();

    std::mutex m_mu;
    int m_out_fd;
    std::function<void(bool)> m_set_irq;
    Tap m_tap;
    std::deque<std::uint8_t> m_rx;
    std::uint8_t m_ier = 0, m_lcr = 0, m_mcr = 0, m_scr = 0, m_dll = 0x0C, m_dlm = 0;
    bool m_thr_irq = false; // "transmitter empty" interrupt pending (cleared by IIR read/THR)
    bool m_irq_level = false;
};

} // namespace pvisor
