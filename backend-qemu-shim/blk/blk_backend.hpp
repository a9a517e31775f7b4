// blk_backend.hpp: one virtual disk served over one or more queues, a thread per queue.
#pragma once

#include "blk_disk.hpp"
#include "blk_queue.hpp"
#include "grant_table_view.hpp"

#include <memory>
#include <thread>
#include <vector>

namespace pvisor::backend {

// Owns the disk and its queues. Each queue runs on its own thread after start(); a queue
// whose ring breaks stops alone, the others (and other disks' backends) keep serving.
class BlkBackend {
  public:
    static Result<std::unique_ptr<BlkBackend>> create(BlkDisk disk, GrantTableView& grants,
                                                      std::vector<BlkQueueBinding> queues);
    ~BlkBackend() { stop(); }
    BlkBackend(const BlkBackend&) = delete;
    BlkBackend& operator=(const BlkBackend&) = delete;

    void start();
    void stop();

    [[nodiscard]] BlkDisk& disk() noexcept { return m_disk; }
    [[nodiscard]] std::size_t nr_queues() const noexcept { return m_queues.size(); }
    [[nodiscard]] BlkQueue& queue(std::size_t i) { return *m_queues.at(i); }

  private:
    explicit BlkBackend(BlkDisk disk) : m_disk(std::move(disk)) {}

    // Destruction order: threads are joined (stop) before the queues they run go away.
    BlkDisk m_disk;
    std::vector<std::unique_ptr<BlkQueue>> m_queues;
    std::vector<std::thread> m_threads;
};

} // namespace pvisor::backend
