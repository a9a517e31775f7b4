// blk_back_ring.hpp: the backend's end of one blkif shared ring (requests in, responses out).
#pragma once

#include "result.hpp"

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <pv/blkif.h>
#include <pv/ring_ops.h>

namespace pvisor::backend {

// The back end of a shared ring (pv/ring.h layout) with blkif entries: a typed wrapper of
// shared-ring's pv_back_* ring logic (pv/ring_ops.h), the only code of the block backend
// that touches ring indices; all of it runs on the queue's thread. Trust: the frontend controls
// req_prod, req_event and every request slot; each slot is copied out once and req_prod is checked
// for overflow before any slot is read.
class BlkBackRing {
  public:
    // shared: the ring pages (bytes long, a power-of-two number of pages), pinned by the caller.
    static Result<BlkBackRing> attach(std::byte* shared, std::size_t bytes);

    [[nodiscard]] std::uint32_t size() const noexcept { return m_ring.size; }
    // Requests published and not yet consumed, or Errc::protocol_error if req_prod ran
    // more than size() ahead of the responses (the ring is then broken).
    [[nodiscard]] Result<std::uint32_t> unconsumed();
    // Copies the next request out of shared memory (once) and consumes it.
    // Precondition: unconsumed() > 0.
    void copy_request(blkif_request_any& out);
    // Writes a response into the next private slot (not yet visible to the frontend).
    void put_response(const blkif_response& rsp);
    // Publishes private responses; true if the frontend asked to be notified (event index).
    [[nodiscard]] bool push_responses();
    // Before sleeping: true if requests are waiting; otherwise arms req_event so the next
    // request published notifies, and checks again.
    [[nodiscard]] bool final_check_for_requests();

  private:
    BlkBackRing() = default;

    // SAFETY: m_ring.sring points into the pinned ring pages, guest-writable at any time;
    // pv_back_* reads each index once per call and copies each slot once.
    pv_back_ring m_ring{};
    std::uint32_t m_published = 0; // rsp_prod as we last published it (private: trusted)
};

} // namespace pvisor::backend
