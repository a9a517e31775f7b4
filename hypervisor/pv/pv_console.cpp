// pv_console.cpp: console ring consumer/producer with hostile-index checks.
#include "pv_console.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstring>

namespace pvisor {

std::size_t bytes_before_escape(const char* data, std::size_t len) noexcept {
    const void* hit = std::memchr(data, kConsoleEscape, len);
    return hit == nullptr ? len : static_cast<std::size_t>(static_cast<const char*>(hit) - data);
}

xencons_interface* PvConsole::ring() const {
    auto span = m_mem.translate(m_ring_gpa, sizeof(xencons_interface));
    if (!span.ok())
        return nullptr;
    // SAFETY: page-aligned special page owned by pvisor, sized for the interface.
    return reinterpret_cast<xencons_interface*>(span->data());
}

void PvConsole::mark_broken(const char* why) {
    if (!m_broken.exchange(true))
        std::fprintf(stderr, "pvisor: console ring broken: %s; no longer served\n", why);
}

void PvConsole::drain_output() {
    std::lock_guard lock(m_lock);
    xencons_interface* r = ring();
    if (r == nullptr || m_broken)
        return;
    const std::uint32_t prod = std::atomic_ref<std::uint32_t>(r->out_prod).load(std::memory_order_acquire);
    std::uint32_t cons = std::atomic_ref<std::uint32_t>(r->out_cons).load(std::memory_order_relaxed);
    if (prod - cons > PV_CONSOLE_OUT_SIZE)
        return mark_broken("out_prod ran past the ring");
    char buf[PV_CONSOLE_OUT_SIZE];
    std::size_t n = 0;
    while (cons != prod)
        buf[n++] = r->out[cons++ % PV_CONSOLE_OUT_SIZE];
    std::atomic_ref<std::uint32_t>(r->out_cons).store(cons, std::memory_order_release);
    write_direct(buf, n);
}

std::size_t PvConsole::push_input(const char* data, std::size_t len) {
    std::lock_guard lock(m_lock);
    xencons_interface* r = ring();
    if (r == nullptr || m_broken)
        return 0;
    const std::uint32_t cons = std::atomic_ref<std::uint32_t>(r->in_cons).load(std::memory_order_acquire);
    std::uint32_t prod = std::atomic_ref<std::uint32_t>(r->in_prod).load(std::memory_order_relaxed);
    if (prod - cons > PV_CONSOLE_IN_SIZE) {
        mark_broken("in_cons ran past the producer");
        return 0;
    }
    std::size_t taken = 0;
    while (taken < len && prod - cons < PV_CONSOLE_IN_SIZE)
        r->in[prod++ % PV_CONSOLE_IN_SIZE] = data[taken++];
    std::atomic_ref<std::uint32_t>(r->in_prod).store(prod, std::memory_order_release);
    m_bytes_in.fetch_add(taken, std::memory_order_relaxed);
    return taken;
}

void PvConsole::write_direct(const char* data, std::size_t len) {
    m_bytes_out.fetch_add(len, std::memory_order_relaxed);
    if (m_tap)
        m_tap(data, len);
    std::size_t off = 0;
    while (m_out_fd >= 0 && off < len) {
        const ssize_t w = ::write(m_out_fd, data + off, len - off);
        if (w <= 0)
            break;
        off += static_cast<std::size_t>(w);
    }
}

} // namespace pvisor
