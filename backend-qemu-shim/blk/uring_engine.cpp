// uring_engine.cpp: io_uring setup (registered disk file) and request preparation.
#include "uring_engine.hpp"

#include <cerrno>
#include <linux/falloc.h>

namespace pvisor::backend {

namespace {
constexpr int kDiskIndex = 0; // fixed-file slot of the disk
} // namespace

Result<UringEngine> UringEngine::create(unsigned entries, int disk_fd) {
    auto ring = std::make_unique<io_uring>();
    io_uring_params p{};
    // The CQ is sized for every request of a full ring plus linked flushes and the kick read.
    p.flags = IORING_SETUP_CQSIZE | IORING_SETUP_SUBMIT_ALL | IORING_SETUP_COOP_TASKRUN;
    p.cq_entries = entries * 4;
    if (io_uring_queue_init_params(entries, ring.get(), &p) < 0)
        return Errc::system_error;
    UringEngine e(std::move(ring));
    if (io_uring_register_files(e.m_ring.get(), &disk_fd, 1) < 0)
        return Errc::system_error;
    return e;
}

UringEngine::~UringEngine() {
    if (m_ring)
        io_uring_queue_exit(m_ring.get());
}

io_uring_sqe* UringEngine::sqe() {
    return io_uring_get_sqe(m_ring.get());
}

bool UringEngine::prep_readv(std::uint64_t tag, std::uint64_t offset, const iovec* iov,
                             unsigned nr) {
    io_uring_sqe* s = sqe();
    if (s == nullptr)
        return false;
    io_uring_prep_readv(s, kDiskIndex, iov, nr, offset);
    s->flags |= IOSQE_FIXED_FILE;
    io_uring_sqe_set_data64(s, tag);
    return true;
}

bool UringEngine::prep_writev(std::uint64_t tag, std::uint64_t offset, const iovec* iov,
                              unsigned nr, bool link) {
    io_uring_sqe* s = sqe();
    if (s == nullptr)
        return false;
    io_uring_prep_writev(s, kDiskIndex, iov, nr, offset);
    s->flags |= IOSQE_FIXED_FILE | (link ? IOSQE_IO_LINK : 0);
    io_uring_sqe_set_data64(s, tag);
    return true;
}

bool UringEngine::prep_fdatasync(std::uint64_t tag) {
    io_uring_sqe* s = sqe();
    if (s == nullptr)
        return false;
    io_uring_prep_fsync(s, kDiskIndex, IORING_FSYNC_DATASYNC);
    s->flags |= IOSQE_FIXED_FILE;
    io_uring_sqe_set_data64(s, tag);
    return true;
}

bool UringEngine::prep_punch_hole(std::uint64_t tag, std::uint64_t offset, std::uint64_t len) {
    io_uring_sqe* s = sqe();
    if (s == nullptr)
        return false;
    // Files: the range is deallocated and reads as zeros; block devices: zeroed/discarded.
    io_uring_prep_fallocate(s, kDiskIndex, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                            static_cast<off_t>(offset), static_cast<off_t>(len));
    s->flags |= IOSQE_FIXED_FILE;
    io_uring_sqe_set_data64(s, tag);
    return true;
}

bool UringEngine::prep_eventfd_read(std::uint64_t tag, int fd, std::uint64_t* buf) {
    io_uring_sqe* s = sqe();
    if (s == nullptr)
        return false;
    io_uring_prep_read(s, fd, buf, sizeof *buf, 0);
    io_uring_sqe_set_data64(s, tag);
    return true;
}

bool UringEngine::prep_cancel_all(std::uint64_t tag) {
    io_uring_sqe* s = sqe();
    if (s == nullptr)
        return false;
    io_uring_prep_cancel64(s, 0, IORING_ASYNC_CANCEL_ANY);
    io_uring_sqe_set_data64(s, tag);
    return true;
}

Status UringEngine::submit(unsigned wait_nr) {
    ++m_submit_calls;
    const int r = io_uring_submit_and_wait(m_ring.get(), wait_nr);
    if (r < 0 && r != -EINTR && r != -EAGAIN && r != -EBUSY)
        return Errc::system_error;
    return {};
}

} // namespace pvisor::backend
