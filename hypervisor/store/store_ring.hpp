// store_ring.hpp: the guest's store connection over its xenstore_domain_interface page.
#pragma once

#include "result.hpp"
#include "store.hpp"
#include "xs_message.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>

namespace pvisor::store {

struct RingCounters {
    std::uint64_t messages = 0; // requests served
    std::uint64_t bytes_in = 0;
    std::uint64_t bytes_out = 0;
    std::uint64_t broken = 0; // times the guest broke the protocol
    std::uint64_t resets = 0; // XENSTORE_RECONNECT handled
};

// Serves one guest connection through the shared page (pv/xs_wire.h "Guest ring page").
// Trust: the page is guest-writable at any time. Indices are loaded once per pass and
// checked ((prod - cons) <= XENSTORE_RING_SIZE, else error = XENSTORE_ERROR_RINGIDX); bytes
// are copied out once and parsed from the copy; the server keeps its own copies of req_cons
// and rsp_prod and never trusts the guest's view of them. A broken ring is not served until
// the guest asks for a reconnect. Not thread-safe: called by the thread owning `store`.
class StoreRing {
  public:
    using Notify = std::function<void()>;

    // `page`: the store special page (at least sizeof(xenstore_domain_interface) bytes,
    // 4-byte aligned), valid for the ring's lifetime. Initialises indices, server_features,
    // connection, error and evtchn_port. `notify` signals the guest's store event channel.
    // With `adopt`, the ring is taken over as it stands (a restarted toolstack): the indices
    // are read from the page instead of reset, and nothing the guest queued is lost.
    static Result<std::unique_ptr<StoreRing>> create(std::span<std::byte> page, Store& store,
                                                     DomId domid, std::uint32_t evtchn_port,
                                                     Notify notify, bool adopt = false);
    ~StoreRing();
    StoreRing(const StoreRing&) = delete;
    StoreRing& operator=(const StoreRing&) = delete;

    // Serves the ring: handles a reconnect request, consumes complete requests, writes
    // replies and queued watch events, notifies the guest if any index moved. Call after
    // each guest notification and whenever other connections may have queued watch events.
    // Returns true if it stopped with work left (call again).
    bool process();

    [[nodiscard]] bool broken() const { return m_broken; }
    [[nodiscard]] ConnId conn() const { return m_conn; }
    [[nodiscard]] const RingCounters& counters() const { return m_counters; }

  private:
    StoreRing(xenstore_domain_interface* iface, Store& store, DomId domid, Notify notify);
    void reset_indices();
    void reconnect();
    void mark_broken(std::uint32_t error);
    bool consume_input();
    bool flush_output();

    // SAFETY: points into the guest's special page, which outlives the ring (StoreConfig
    // contract); every field access goes through the atomic helpers in store_ring.cpp.
    xenstore_domain_interface* m_iface;
    Store& m_store;
    ConnId m_conn;
    Notify m_notify;
    MessageReader m_reader;
    std::string m_out;            // replies and events not yet in the rsp ring
    std::uint32_t m_req_cons = 0; // the server's own indices (the guest may scribble on the page)
    std::uint32_t m_rsp_prod = 0;
    bool m_broken = false;
    RingCounters m_counters;
};

} // namespace pvisor::store
