// net_back_ring.hpp: the backend's end of one netif ring (tx or rx): requests in, responses out.
#pragma once

#include "result.hpp"

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <pv/ring_ops.h>
#include <type_traits>

namespace pvisor::backend {

// A typed wrapper of shared-ring's pv_back_* ring logic (pv/ring_ops.h) over one 4 KiB ring
// page: the only net code that touches ring indices; it runs on the queue's thread. Trust:
// the frontend controls req_prod, req_event and every request slot; each slot is copied out
// once, and req_prod is checked for overflow before any slot is read.
class NetBackRing {
  public:
    // page: the pinned ring page; entry_size: sizeof(union netif_{tx,rx}_sring_entry).
    static Result<NetBackRing> attach(std::byte* page, std::uint32_t entry_size);

    [[nodiscard]] std::uint32_t size() const noexcept { return m_ring.size; }
    // Requests published and not consumed, or Errc::protocol_error once req_prod ran more
    // than size() ahead of the responses or moved backwards (the ring is then broken).
    [[nodiscard]] Result<std::uint32_t> unconsumed();
    // Copies the next request slot (its first sizeof(T) bytes) out, once, and consumes it.
    // Precondition: unconsumed() > 0.
    template <typename T>
    void copy_request(T& out) {
        static_assert(std::is_trivially_copyable_v<T>);
        assert(sizeof(T) <= m_ring.entry_size);
        [[maybe_unused]] const int got =
            pv_back_consume_request(&m_ring, &out, static_cast<pv_u32>(sizeof(T)));
        assert(got == 1);
    }
    // Writes the next response slot privately (responses go to slots in consumption order,
    // so the answer to the i-th consumed request lands in that request's slot).
    template <typename T>
    void put_response(const T& rsp) {
        static_assert(std::is_trivially_copyable_v<T>);
        [[maybe_unused]] const int ok =
            pv_back_produce_response(&m_ring, &rsp, static_cast<pv_u32>(sizeof(T)));
        assert(ok == 0);
    }
    // Consumed requests still waiting for their response.
    [[nodiscard]] std::uint32_t unanswered() const noexcept {
        return m_ring.req_cons - m_ring.rsp_prod_pvt;
    }
    // Publishes private responses; true if the frontend asked to be notified.
    [[nodiscard]] bool push_responses();
    // Before sleeping: true if at least `want` requests are published; otherwise sets
    // req_event so that the frontend's push that makes `want` available notifies us (full
    // barrier, pv/ring.h rule 3 with the event index `want` ahead) and checks again.
    [[nodiscard]] bool final_check_for_requests(std::uint32_t want = 1);

  private:
    NetBackRing() = default;

    // SAFETY: m_ring.sring points into the pinned ring page, guest-writable at any time;
    // pv_back_* reads each index once per call and copies each slot once.
    pv_back_ring m_ring{};
    std::uint32_t m_published = 0; // rsp_prod as we last published it (private: trusted)
};

} // namespace pvisor::backend
