// queue_threads.hpp: one thread per backend queue (block or network): started once, stopped by
// asking every queue to stop and joining the threads. Q has run() and a thread-safe stop().
#pragma once

#include <memory>
#include <thread>
#include <vector>

namespace pvisor::backend {

template <typename Q>
void start_queue_threads(const std::vector<std::unique_ptr<Q>>& queues,
                         std::vector<std::thread>& threads) {
    if (!threads.empty())
        return;
    for (const auto& q : queues)
        threads.emplace_back([queue = q.get()] { queue->run(); });
}

template <typename Q>
void stop_queue_threads(const std::vector<std::unique_ptr<Q>>& queues,
                        std::vector<std::thread>& threads) {
    for (const auto& q : queues)
        q->stop();
    for (auto& t : threads)
        t.join();
    threads.clear();
}

} // namespace pvisor::backend
