// store_host.hpp: the host half of the pvbus tests: pvisor's Store and StoreRing served on a
// thread of their own, woken by the guest's notifications, with the toolstack's writes.
#pragma once

#include "client.h"
#include "store.hpp"
#include "store_perms.hpp"
#include "store_ring.hpp"

#include <array>
#include <condition_variable>
#include <cstddef>
#include <gtest/gtest.h>
#include <memory>
#include <mutex>
#include <pv/xs_wire.h>
#include <string>
#include <thread>

namespace pvbus_test {

using pvisor::store::ConnId;
using pvisor::store::Store;
using pvisor::store::StoreRing;

inline constexpr pvisor::store::DomId kGuest = 1;

// The host side: the store served on its own thread, woken by the guest's notifications.
class Host {
  public:
    Host() {
        EXPECT_TRUE(m_store.introduce_domain(kGuest, "guest").ok());
        auto ring = StoreRing::create(std::span<std::byte>(m_page.data(), m_page.size()), m_store,
                                      kGuest, TC_STORE_PORT, [] { tc_irq(); });
        EXPECT_TRUE(ring.ok());
        m_ring = std::move(*ring);
        s_host = this;
        tc_setup(m_page.data(), [] { s_host->kick(); });
        m_thread = std::thread([this] { serve(); });
    }
    ~Host() {
        {
            std::lock_guard lock(m_mutex);
            m_stop = true;
        }
        m_cv.notify_all();
        m_thread.join();
        s_host = nullptr;
    }
    Host(const Host&) = delete;
    Host& operator=(const Host&) = delete;

    void kick() {
        {
            std::lock_guard lock(m_mutex);
            m_kicked = true;
        }
        m_cv.notify_all();
    }
    // A write by the control domain (the toolstack), then the ring is served at once.
    void write(const std::string& path, const std::string& value) {
        std::lock_guard lock(m_mutex);
        const ConnId c = m_store.connect(0);
        EXPECT_TRUE(m_store.write(c, 0, path, value).ok());
        m_store.disconnect(c);
        while (m_ring->process()) {
        }
    }
    // The control domain's read: the value, or "<error>" when the read fails.
    std::string read(const std::string& path) {
        std::lock_guard lock(m_mutex);
        const ConnId c = m_store.connect(0);
        auto v = m_store.read(c, 0, path);
        m_store.disconnect(c);
        return v.ok() ? *v : std::string("<error>");
    }
    // The control domain sets a node's permissions.
    void set_perms(const std::string& path, const pvisor::store::Perms& perms) {
        std::lock_guard lock(m_mutex);
        const ConnId c = m_store.connect(0);
        EXPECT_TRUE(m_store.set_perms(c, 0, path, perms).ok());
        m_store.disconnect(c);
        while (m_ring->process()) {
        }
    }
    // Runs f on the shared page with the server stopped.
    template <typename F>
    void on_page(F f) {
        std::lock_guard lock(m_mutex);
        f(*reinterpret_cast<xenstore_domain_interface*>(m_page.data()));
    }
    const pvisor::store::RingCounters& counters() const { return m_ring->counters(); }
    // While paused, guest requests wait on the ring unanswered.
    void pause(bool paused) {
        {
            std::lock_guard lock(m_mutex);
            m_paused = paused;
        }
        m_cv.notify_all();
    }

  private:
    void serve() {
        std::unique_lock lock(m_mutex);
        for (;;) {
            m_cv.wait(lock, [this] { return (m_kicked && !m_paused) || m_stop; });
            if (m_stop)
                return;
            m_kicked = false;
            while (m_ring->process()) {
            }
        }
    }

    static inline Host* s_host = nullptr;
    alignas(4096) std::array<std::byte, 4096> m_page{};
    Store m_store;
    std::unique_ptr<StoreRing> m_ring;
    std::mutex m_mutex;
    std::condition_variable m_cv;
    bool m_kicked = false;
    bool m_stop = false;
    bool m_paused = false;
    std::thread m_thread;
};

} // namespace pvbus_test
