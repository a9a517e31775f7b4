// net_rx.hpp: guest receive: io_uring reads from the port -> copies into posted rx pages.
#pragma once

#include "grant_table_view.hpp"
#include "net_back_ring.hpp"
#include "net_counters.hpp"
#include "net_features.hpp"
#include "net_offload.hpp"
#include "result.hpp"
#include "unique_fd.hpp"
#include "uring_engine.hpp"

#include <cstdint>
#include <deque>
#include <pv/netif.h>
#include <sys/uio.h>
#include <vector>

namespace pvisor::backend {

// Owns the rx ring of one queue and kBuffers host frame buffers, each either posted as a
// read on the port, or holding a frame waiting for rx pages. A frame is delivered when the
// frontend has posted enough pages for all of it (whole pages from offset 0; never a byte
// outside a granted page); until then it waits and its buffer is not re-posted, so the host
// side queues (and eventually drops) further frames.
class NetRxPath {
  public:
    static constexpr std::uint64_t kTagBase = 2ULL << 32; // io_uring tags kTagBase | buffer
    static constexpr std::uint32_t kBuffers = 32;
    static constexpr std::uint32_t kMaxFrame = 65536 + 64; // GSO frame with VLAN tag
    static constexpr std::uint32_t kBufferBytes = kVnetHdrLen + kMaxFrame;

    // Bytes of the mapping the buffers live in: kBuffers x kBufferBytes and a PROT_NONE guard
    // page after them (an overrun faults instead of reaching other memory).
    static constexpr std::size_t kBufferMapBytes =
        ((std::size_t{kBuffers} * kBufferBytes + 4095) & ~std::size_t{4095}) + 4096;
    // Anonymous read-write pages of kBufferMapBytes, the last one PROT_NONE.
    [[nodiscard]] static Result<Mapping> map_buffers();

    NetRxPath(NetBackRing ring, GrantTableView& grants, NetCounters& counters,
              NetFrontFeatures front, Mapping buffers);

    // Posts a read for every free buffer (while SQ entries are free).
    void post_reads(UringEngine& engine);
    // A read completed: res bytes (header + frame) or -errno.
    void complete(std::uint32_t buffer, int res);
    // Delivers waiting frames in order while the frontend has pages for them. Returns false
    // if the frontend broke the protocol (reason in broken_reason()).
    [[nodiscard]] bool deliver();
    // With a frame waiting: arms the rx request event for the pages it needs; true if they
    // are there after all (deliver again). False without a waiting frame.
    [[nodiscard]] bool final_check();

    [[nodiscard]] bool waiting() const noexcept { return !m_ready.empty(); }
    // Reads handed to the kernel and not completed yet (they write into our buffers).
    [[nodiscard]] std::uint32_t reads_posted() const noexcept { return m_posted; }
    [[nodiscard]] std::uint64_t frames_read() const noexcept { return m_frames_read; }
    [[nodiscard]] const char* broken_reason() const noexcept { return m_broken; }
    [[nodiscard]] NetBackRing& ring() noexcept { return m_ring; }

  private:
    // A frame read and checked, waiting for rx pages.
    struct Ready {
        std::uint32_t buffer = 0;
        std::uint32_t len = 0;        // frame bytes after the vnet header
        std::uint32_t data_slots = 0; // pages it fills
        NetRxMeta meta;
        [[nodiscard]] std::uint32_t slots() const noexcept {
            return data_slots + (meta.gso_type != 0 ? 1U : 0U);
        }
    };

    // Checks a frame just read and computes its metadata; false: drop it.
    [[nodiscard]] bool admit(Ready& r);
    void copy_out(const Ready& r);
    void respond_error(const netif_rx_request* reqs, std::uint32_t n);
    void release(std::uint32_t buffer) { m_free.push_back(buffer); }
    [[nodiscard]] std::byte* buffer(std::uint32_t i) {
        return m_bufs.bytes() + i * std::size_t{kBufferBytes};
    }
    bool fail(const char* why) {
        m_broken = why;
        return false;
    }

    NetBackRing m_ring;
    GrantTableView* m_grants; // not owned; outlives the path
    NetCounters* m_counters;  // not owned; outlives the path
    NetFrontFeatures m_front;
    // kBuffers x kBufferBytes (map_buffers); reads write here. Mapped, not allocated: pages
    // no read reached cost no RSS, and under ASan a 2 MiB heap block per queue (its shadow
    // poisoned on allocation and free) was most of net_tx_fuzz's time per input. Only the
    // bytes a read returned are looked at; the guard page stops an overrun.
    Mapping m_bufs;
    std::vector<iovec> m_iov;          // one per buffer, stable while its read is posted
    std::vector<std::uint32_t> m_free; // buffers neither posted nor waiting
    std::deque<Ready> m_ready;         // frames in arrival order
    std::uint64_t m_frames_read = 0;
    std::uint32_t m_posted = 0;
    const char* m_broken = nullptr;
};

} // namespace pvisor::backend
