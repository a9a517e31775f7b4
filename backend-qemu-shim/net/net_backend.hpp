// net_backend.hpp: one guest network interface: its ports, queues and a thread per queue.
#pragma once

#include "net_counters.hpp"
#include "net_features.hpp"
#include "net_port.hpp"
#include "net_queue.hpp"

#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace pvisor::backend {

// Owns the interface's counters, its host ports (TAP queues or socketpair ends) and its
// queues, one port per queue. Each queue runs on its own thread after start(); a queue whose
// ring breaks stops alone, the other queues (and other interfaces) keep serving.
class NetBackend {
  public:
    static Result<std::unique_ptr<NetBackend>> create(std::string name, GrantTableView& grants,
                                                      std::vector<std::unique_ptr<NetPort>> ports,
                                                      std::vector<NetQueueBinding> queues,
                                                      const NetOffer& offer = {});
    ~NetBackend() { stop(); }
    NetBackend(const NetBackend&) = delete;
    NetBackend& operator=(const NetBackend&) = delete;

    void start();
    void stop();

    [[nodiscard]] NetCounters& counters() noexcept { return m_counters; }
    [[nodiscard]] std::size_t nr_queues() const noexcept { return m_queues.size(); }
    [[nodiscard]] NetQueue& queue(std::size_t i) { return *m_queues.at(i); }

  private:
    NetBackend() = default;

    // Destruction order: threads are joined (stop) before the queues go, and the queues
    // before the ports whose fds their io_urings registered.
    NetCounters m_counters;
    std::vector<std::unique_ptr<NetPort>> m_ports;
    std::vector<std::unique_ptr<NetQueue>> m_queues;
    std::vector<std::thread> m_threads;
};

} // namespace pvisor::backend
