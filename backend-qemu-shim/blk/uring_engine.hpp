// uring_engine.hpp: one io_uring per queue: vectored I/O, fsync and fallocate on one disk file.
#pragma once

#include "result.hpp"

#include <cstdint>
#include <liburing.h>
#include <memory>
#include <sys/uio.h>

namespace pvisor::backend {

// Owns an io_uring whose only registered file is the disk (fixed-file index 0). Requests are
// prepared into the SQ and go to the kernel in one batch at submit(); completions are reaped
// in batches. Single-threaded: owned by one queue's thread.
class UringEngine {
  public:
    static Result<UringEngine> create(unsigned entries, int disk_fd);

    UringEngine(UringEngine&&) noexcept = default;
    UringEngine& operator=(UringEngine&&) noexcept = default;
    ~UringEngine();

    // Each prep returns false when the SQ is full (the caller submits and retries).
    // `link`: the next prepared operation starts only after this one succeeded.
    // SAFETY (caller): iov and the buffers it names stay valid until the completion.
    [[nodiscard]] bool prep_readv(std::uint64_t tag, std::uint64_t offset, const iovec* iov,
                                  unsigned nr);
    [[nodiscard]] bool prep_writev(std::uint64_t tag, std::uint64_t offset, const iovec* iov,
                                   unsigned nr, bool link);
    [[nodiscard]] bool prep_fdatasync(std::uint64_t tag);
    [[nodiscard]] bool prep_punch_hole(std::uint64_t tag, std::uint64_t offset, std::uint64_t len);
    // A read of 8 bytes from an eventfd (not the disk): completes when it is signalled.
    // SAFETY (caller): *buf lives until the completion.
    [[nodiscard]] bool prep_eventfd_read(std::uint64_t tag, int fd, std::uint64_t* buf);

    // Cancels every request still pending in the kernel (IORING_ASYNC_CANCEL_ANY): each then
    // completes with -ECANCELED (or its own result, if it was already finishing). Used before
    // the buffers the requests name go away. The cancel itself completes under `tag`.
    [[nodiscard]] bool prep_cancel_all(std::uint64_t tag);

    // Sends everything prepared, then blocks until `wait_nr` completions are available
    // (0: does not block).
    [[nodiscard]] Status submit(unsigned wait_nr);
    // Calls on_cqe(tag, res) for every available completion; returns how many.
    template <typename F>
    unsigned reap(F&& on_cqe) {
        io_uring_cqe* cqe = nullptr;
        unsigned head = 0;
        unsigned n = 0;
        io_uring_for_each_cqe(m_ring.get(), head, cqe) {
            on_cqe(io_uring_cqe_get_data64(cqe), cqe->res);
            ++n;
        }
        io_uring_cq_advance(m_ring.get(), n);
        return n;
    }
    [[nodiscard]] unsigned sq_space() const { return io_uring_sq_space_left(m_ring.get()); }
    [[nodiscard]] std::uint64_t submit_calls() const noexcept { return m_submit_calls; }

  private:
    explicit UringEngine(std::unique_ptr<io_uring> ring) : m_ring(std::move(ring)) {}
    io_uring_sqe* sqe();

    // unique_ptr: io_uring holds pointers into its own mmaps, so it must not move in memory.
    std::unique_ptr<io_uring> m_ring;
    std::uint64_t m_submit_calls = 0;
};

} // namespace pvisor::backend
