// net_queue.hpp: one tx/rx ring pair served by one io_uring over one port (TAP queue).
#pragma once

#include "grant_table_view.hpp"
#include "net_counters.hpp"
#include "net_features.hpp"
#include "net_port.hpp"
#include "net_rx.hpp"
#include "net_tx.hpp"
#include "unique_fd.hpp"
#include "uring_engine.hpp"

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

namespace pvisor::backend {

// How a queue meets its frontend: the two ring pages (grant refs) and the queue's event
// channel as two eventfds: `kick` is signalled by the frontend (one channel for both rings),
// `raise` is written by the backend. The queue owns both fds.
struct NetQueueBinding {
    pv_grant_ref tx_ring_ref = 0;
    pv_grant_ref rx_ring_ref = 0;
    UniqueFd kick;
    UniqueFd raise;
    NetFrontFeatures front; // the frontend's keys (request-rx-copy must be set)
};

// Per-queue figures (read by the owning thread, or after it stopped).
struct NetQueueStats {
    std::uint64_t notifications = 0; // writes to the raise fd
    std::uint64_t kicks = 0;         // kick eventfd reads that returned
    std::uint64_t waits = 0;         // blocking waits for a completion
};

class NetQueue {
  public:
    // Pins both ring pages (for the queue's lifetime), sets the port's offloads to what the
    // frontend accepts, and sets up the io_uring with the port as its registered file.
    static Result<std::unique_ptr<NetQueue>> create(std::string name, NetPort& port,
                                                    GrantTableView& grants, NetCounters& counters,
                                                    const NetOffer& offer, NetQueueBinding binding);
    ~NetQueue();
    NetQueue(const NetQueue&) = delete;
    NetQueue& operator=(const NetQueue&) = delete;

    // Serves until stop() or until a ring breaks; sleeps in io_uring when idle.
    void run();
    // Thread-safe: asks run() to return.
    void stop();
    // Single-threaded tests: serves the tx ring until every published packet is answered.
    void drain();
    // Single-threaded tests: blocks until `frames` frames in total were read from the port
    // (they must have been sent), delivering what the rx ring has pages for.
    void pump_rx(std::uint64_t frames);

    [[nodiscard]] bool broken() const noexcept { return m_broken.load(std::memory_order_acquire); }
    [[nodiscard]] const NetQueueStats& stats() const noexcept { return m_stats; }
    // io_uring_enter calls made (after stop(), or from the serving thread).
    [[nodiscard]] std::uint64_t uring_enters() const noexcept { return m_engine.submit_calls(); }
    // A frame from the host is waiting for rx pages.
    [[nodiscard]] bool rx_waiting() const noexcept { return m_rx.waiting(); }

  private:
    NetQueue(std::string name, NetCounters& counters, std::vector<GrantPin> ring_pins, NetTxPath tx,
             NetRxPath rx, UringEngine engine, NetQueueBinding binding);

    void serve_rings();
    void step(unsigned wait_nr);
    void on_cqe(std::uint64_t tag, int res);
    void push_responses();
    void arm_kick();
    void mark_broken(const char* why);

    std::string m_name;
    NetCounters* m_counters; // not owned; outlives the queue
    // Destruction order: the engine (in-flight writes read pinned guest pages, reads write
    // our buffers) is drained in ~NetQueue and destroyed before the paths and the ring pins.
    std::vector<GrantPin> m_ring_pins;
    NetTxPath m_tx;
    NetRxPath m_rx;
    UringEngine m_engine;
    NetQueueBinding m_binding;
    std::uint64_t m_kick_buf = 0;
    bool m_kick_armed = false;
    std::atomic<bool> m_stop{false};
    std::atomic<bool> m_broken{false};
    NetQueueStats m_stats;
};

} // namespace pvisor::backend
