// blk_backend.cpp: queue creation and per-queue serving threads.
#include "blk_backend.hpp"

#include "../queue_threads.hpp"

namespace pvisor::backend {

Result<std::unique_ptr<BlkBackend>> BlkBackend::create(BlkDisk disk, GrantTableView& grants,
                                                       std::vector<BlkQueueBinding> queues) {
    if (queues.empty() || queues.size() > disk.config().queues)
        return Errc::invalid_argument;
    std::unique_ptr<BlkBackend> b(new BlkBackend(std::move(disk)));
    for (BlkQueueBinding& q : queues) {
        PV_TRY_ASSIGN(queue, BlkQueue::create(b->m_disk, grants, std::move(q)));
        b->m_queues.push_back(std::move(queue));
    }
    return b;
}

void BlkBackend::start() { start_queue_threads(m_queues, m_threads); }

void BlkBackend::stop() { stop_queue_threads(m_queues, m_threads); }

} // namespace pvisor::backend
