// net_backend.cpp: queue creation (one per port) and per-queue serving threads.
#include "net_backend.hpp"

#include "../queue_threads.hpp"

#include <pv/netif.h>

namespace pvisor::backend {

Result<std::unique_ptr<NetBackend>> NetBackend::create(std::string name, GrantTableView& grants,
                                                       std::vector<std::unique_ptr<NetPort>> ports,
                                                       std::vector<NetQueueBinding> queues,
                                                       const NetOffer& offer) {
    if (queues.empty() || queues.size() > PV_NETIF_MAX_QUEUES || ports.size() != queues.size())
        return Errc::invalid_argument;
    std::unique_ptr<NetBackend> b(new NetBackend());
    b->m_ports = std::move(ports);
    for (std::size_t i = 0; i < queues.size(); ++i) {
        PV_TRY_ASSIGN(q, NetQueue::create(name + "/q" + std::to_string(i), *b->m_ports[i], grants,
                                          b->m_counters, offer, std::move(queues[i])));
        b->m_queues.push_back(std::move(q));
    }
    return b;
}

void NetBackend::start() { start_queue_threads(m_queues, m_threads); }

void NetBackend::stop() { stop_queue_threads(m_queues, m_threads); }

} // namespace pvisor::backend
