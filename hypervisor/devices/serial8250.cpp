// serial8250.cpp: the 16550 register model the Linux 8250 driver needs (detection through
// scratch and loopback, THRE and RX interrupts); no FIFO timing, transmit is immediate.
#include "serial8250.hpp"

#include <unistd.h>

namespace pvisor {
namespace {

constexpr std::uint8_t kIerRx = 1, kIerThr = 2;
constexpr std::uint8_t kLcrDlab = 0x80;
constexpr std::uint8_t kMcrLoop = 0x10;
constexpr std::uint8_t kLsrDr = 1, kLsrThre = 0x20, kLsrTemt = 0x40;
constexpr std::uint8_t kIirNone = 1, kIirThr = 2, kIirRx = 4, kIirFifo = 0xC0;

} // namespace

Serial8250::Serial8250(int out_fd, std::function<void(bool)> set_irq, Tap tap)
    : m_out_fd(out_fd), m_set_irq(std::move(set_irq)), m_tap(std::move(tap)) {}

std::uint8_t Serial8250::iir_locked() const {
    if ((m_ier & kIerRx) != 0 && !m_rx.empty())
        return kIirRx;
    if ((m_ier & kIerThr) != 0 && m_thr_irq)
        return kIirThr;
    return kIirNone;
}

void Serial8250::update_irq_locked() {
    const bool level = iir_locked() != kIirNone;
    if (level != m_irq_level) {
        m_irq_level = level;
        m_set_irq(level);
    }
}

std::uint8_t Serial8250::read(unsigned offset) {
    std::lock_guard lock(m_mu);
    std::uint8_t v = 0;
    switch (offset) {
    case 0:
        if ((m_lcr & kLcrDlab) != 0) {
            v = m_dll;
        } else if (!m_rx.empty()) {
            v = m_rx.front();
            m_rx.pop_front();
        }
        break;
    case 1: v = (m_lcr & kLcrDlab) != 0 ? m_dlm : m_ier; break;
    case 2:
        v = static_cast<std::uint8_t>(iir_locked() | kIirFifo);
        if (v == (kIirThr | kIirFifo))
            m_thr_irq = false;
        break;
    case 3: v = m_lcr; break;
    case 4: v = m_mcr; break;
    case 5: v = static_cast<std::uint8_t>(kLsrThre | kLsrTemt | (m_rx.empty() ? 0 : kLsrDr)); break;
    case 6:
        if ((m_mcr & kMcrLoop) != 0) // loopback: DTR->DSR, RTS->CTS, OUT1->RI, OUT2->DCD
            v = static_cast<std::uint8_t>(((m_mcr & 1) << 5) | ((m_mcr & 2) << 3) |
                                          ((m_mcr & 4) << 4) | ((m_mcr & 8) << 4));
        else
            v = 0xB0; // DCD, DSR, CTS
        break;
    default: v = m_scr; break;
    }
    update_irq_locked();
    return v;
}

void Serial8250::write(unsigned offset, std::uint8_t value) {
    std::lock_guard lock(m_mu);
    switch (offset) {
    case 0:
        if ((m_lcr & kLcrDlab) != 0) {
            m_dll = value;
        } else if ((m_mcr & kMcrLoop) != 0) {
            m_rx.push_back(value);
            m_thr_irq = true;
        } else {
            (void)!::write(m_out_fd, &value, 1);
            if (m_tap) {
                const char c = static_cast<char>(value);
                m_tap(&c, 1);
            }
            m_thr_irq = true;
        }
        break;
    case 1:
        if ((m_lcr & kLcrDlab) != 0) {
            m_dlm = value;
        } else {
            if ((value & kIerThr) != 0 && (m_ier & kIerThr) == 0)
                m_thr_irq = true; // enabling THRE with an empty THR interrupts at once
            m_ier = value & 0x0F;
        }
        break;
    case 3: m_lcr = value; break;
    case 4: m_mcr = value & 0x1F; break;
    case 7: m_scr = value; break;
    default: break; // FCR and read-only registers
    }
    update_irq_locked();
}

void Serial8250::push_input(const std::uint8_t* data, std::size_t len) {
    std::lock_guard lock(m_mu);
    m_rx.insert(m_rx.end(), data, data + len);
    update_irq_locked();
}

} // namespace pvisor
