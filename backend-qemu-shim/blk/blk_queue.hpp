// blk_queue.hpp: one blkif ring served by one io_uring: consume, validate, submit, respond.
#pragma once

#include "blk_back_ring.hpp"
#include "blk_disk.hpp"
#include "blk_request.hpp"
#include "grant_table_view.hpp"
#include "persistent_grants.hpp"
#include "unique_fd.hpp"
#include "uring_engine.hpp"

#include <atomic>
#include <cstdint>
#include <memory>
#include <sys/uio.h>
#include <vector>

namespace pvisor::backend {

// How a queue meets its frontend: the ring pages (grant refs, 2^order of them) and two
// eventfds: `kick` is signalled by the frontend (a guest's ioeventfd), `raise` is written by
// the backend (pvisor turns it into an event on the guest's port). The queue owns both fds.
struct BlkQueueBinding {
    std::vector<pv_grant_ref> ring_refs;
    UniqueFd kick;
    UniqueFd raise;
    bool persistent_grants = false;
};

// Per-queue figures (read by the owning thread, or after it stopped).
struct BlkQueueStats {
    std::uint64_t requests = 0;      // responses pushed
    std::uint64_t notifications = 0; // writes to the raise fd
    std::uint64_t kicks = 0;         // kick eventfd reads that returned
    std::uint64_t pushes = 0;        // response batches published (responses / pushes = batch)
};

class BlkQueue {
  public:
    static constexpr std::size_t kPersistentMax = 1056; // Linux blkback's bound
    // With at least this many requests in flight the queue stops asking for kicks and
    // batches responses (interrupt coalescing); below it, it serves each kick at once.
    static constexpr unsigned kCoalesceInFlight = 16;

    // Pins the ring pages (for the queue's lifetime) and sets up the io_uring.
    static Result<std::unique_ptr<BlkQueue>> create(BlkDisk& disk, GrantTableView& grants,
                                                    BlkQueueBinding binding);
    ~BlkQueue();
    BlkQueue(const BlkQueue&) = delete;
    BlkQueue& operator=(const BlkQueue&) = delete;

    // Serves until stop() or until the ring breaks; sleeps on the kick fd when idle.
    void run();
    // Thread-safe: asks run() to return.
    void stop();
    // Serves until every request on the ring has been answered, then returns (for
    // single-threaded tests: nothing blocks except waiting for in-flight I/O).
    void drain();

    [[nodiscard]] bool broken() const noexcept { return m_broken.load(std::memory_order_acquire); }
    [[nodiscard]] const BlkQueueStats& stats() const noexcept { return m_stats; }
    [[nodiscard]] const PersistentGrants& persistent() const noexcept { return m_persistent; }

  private:
    struct InFlight {
        std::uint64_t id = 0;
        std::uint8_t wire_op = 0;
        BlkOp op = BlkOp::read;
        std::uint32_t pending = 0; // completions still to come (write + flush: 2)
        bool failed = false;
        std::uint64_t bytes = 0;
        std::uint32_t nr_iov = 0;
        std::array<iovec, kBlkMaxSegments> iov{};
        std::vector<GrantPin> pins; // transient pins, released when the response is pushed
    };

    BlkQueue(BlkDisk& disk, GrantTableView& grants, BlkQueueBinding binding,
             std::vector<GrantPin> ring_pins, BlkBackRing ring, UringEngine engine);

    // Submits, reaps and pushes responses; blocks first for wait_nr completions (or a kick).
    void step(unsigned wait_nr);
    [[nodiscard]] unsigned coalesce_target(unsigned in_flight) const;
    void consume();
    void start(const BlkRequest& r);
    [[nodiscard]] bool map_segments(const BlkRequest& r, InFlight& f);
    [[nodiscard]] bool submit_io(const BlkRequest& r, std::uint32_t slot, InFlight& f);
    void complete(std::uint64_t tag, int res);
    void finish(std::uint32_t slot);
    void respond(std::uint64_t id, std::uint8_t op, std::int16_t status);
    void push_responses();
    void arm_kick();
    void mark_broken(const char* why);
    [[nodiscard]] bool idle() const noexcept { return m_free.size() == m_slots.size(); }

    BlkDisk* m_disk;          // not owned; outlives the queue
    GrantTableView* m_grants; // not owned; outlives the queue
    BlkQueueBinding m_binding;
    // Destruction order: the engine (pending I/O into guest pages is cancelled when the
    // ring exits) before the in-flight pins and the ring pins.
    std::vector<GrantPin> m_ring_pins;
    BlkBackRing m_ring;
    PersistentGrants m_persistent;
    std::vector<InFlight> m_slots; // one per ring entry: the frontend cannot have more pending
    std::vector<std::uint32_t> m_free;
    UringEngine m_engine;
    std::unique_ptr<BlkParse> m_parse; // large; reused for every request
    std::uint64_t m_kick_buf = 0;
    std::uint64_t m_pushed_requests = 0; // m_stats.requests at the last push
    bool m_kick_armed = false;
    std::atomic<bool> m_stop{false};
    std::atomic<bool> m_broken{false};
    BlkQueueStats m_stats;
};

} // namespace pvisor::backend
