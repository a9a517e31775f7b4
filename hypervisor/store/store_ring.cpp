// store_ring.cpp: byte-stream rings in the guest's store page, with hostile-index checks.
#include "store_ring.hpp"

#include "store_protocol.hpp"

#include <atomic>
#include <cstdio>
#include <cstring>

namespace pvisor::store {
namespace {

// Stop reading requests while this much reply data waits for the guest to consume.
constexpr std::size_t kOutLimit = 64 * 1024;
// Bound on serve passes per process() call: a guest that keeps producing cannot hold the
// service thread.
constexpr int kMaxRounds = 64;

std::uint32_t load_acquire(std::uint32_t& field) {
    return std::atomic_ref<std::uint32_t>(field).load(std::memory_order_acquire);
}

void store_release(std::uint32_t& field, std::uint32_t v) {
    std::atomic_ref<std::uint32_t>(field).store(v, std::memory_order_release);
}

} // namespace

Result<std::unique_ptr<StoreRing>> StoreRing::create(std::span<std::byte> page, Store& store,
                                                     DomId domid, std::uint32_t evtchn_port,
                                                     Notify notify, bool adopt) {
    if (page.size() < sizeof(xenstore_domain_interface) ||
        reinterpret_cast<std::uintptr_t>(page.data()) % alignof(std::uint32_t) != 0) // NOLINT
        return Errc::invalid_argument;
    // SAFETY: size and alignment checked above; the page holds only integers and chars.
    auto* iface = reinterpret_cast<xenstore_domain_interface*>(page.data()); // NOLINT
    std::unique_ptr<StoreRing> ring(new StoreRing(iface, store, domid, std::move(notify)));
    if (adopt) {
        // The guest owns these fields as much as we do; a bad value only breaks its own ring
        // (checked on every pass).
        ring->m_req_cons = load_acquire(iface->req_cons);
        ring->m_rsp_prod = load_acquire(iface->rsp_prod);
    } else {
        ring->reset_indices();
    }
    store_release(iface->server_features,
                  XENSTORE_SERVER_FEATURE_RECONNECTION | XENSTORE_SERVER_FEATURE_ERROR);
    store_release(iface->evtchn_port, evtchn_port);
    store_release(iface->connection, XENSTORE_CONNECTED);
    return ring;
}

StoreRing::StoreRing(xenstore_domain_interface* iface, Store& store, DomId domid, Notify notify)
    : m_iface(iface), m_store(store), m_conn(store.connect(domid)), m_notify(std::move(notify)) {}

StoreRing::~StoreRing() {
    m_store.disconnect(m_conn);
}

void StoreRing::reset_indices() {
    m_req_cons = 0;
    m_rsp_prod = 0;
    store_release(m_iface->req_cons, 0);
    store_release(m_iface->req_prod, 0);
    store_release(m_iface->rsp_cons, 0);
    store_release(m_iface->rsp_prod, 0);
    store_release(m_iface->error, XENSTORE_ERROR_NONE);
}

// The guest asked for a fresh connection: forget everything it had, then say Connected.
void StoreRing::reconnect() {
    m_store.reset_connection(m_conn);
    m_reader.reset();
    m_out.clear();
    m_broken = false;
    reset_indices();
    ++m_counters.resets;
    store_release(m_iface->connection, XENSTORE_CONNECTED);
}

void StoreRing::mark_broken(std::uint32_t error) {
    m_broken = true;
    ++m_counters.broken;
    m_store.note_peer_broken();
    store_release(m_iface->error, error);
    // Rate-limited: a guest that breaks and reconnects in a loop logs 1, 2, 4, 8... times.
    if ((m_counters.broken & (m_counters.broken - 1)) == 0)
        std::fprintf(stderr,
                     "pvisor store: guest ring broken (error %u, %llu times), not served until "
                     "reconnect\n",
                     error, static_cast<unsigned long long>(m_counters.broken));
}

bool StoreRing::process() {
    bool moved = false;
    if (load_acquire(m_iface->connection) == XENSTORE_RECONNECT) {
        reconnect();
        moved = true;
    }
    const bool was_broken = m_broken;
    int round = 0;
    for (; round < kMaxRounds && !m_broken; ++round) {
        bool progress = flush_output();
        if (m_out.size() < kOutLimit)
            progress |= consume_input();
        append_events(m_store, m_conn, m_out, kOutLimit);
        progress |= flush_output();
        if (!progress)
            break;
        moved = true;
    }
    // A newly broken ring is notified too, so the guest sees the error field.
    if (moved || (m_broken && !was_broken))
        m_notify();
    return round == kMaxRounds;
}

bool StoreRing::consume_input() {
    const std::uint32_t prod = load_acquire(m_iface->req_prod);
    const std::uint32_t avail = prod - m_req_cons;
    if (avail > XENSTORE_RING_SIZE) {
        mark_broken(XENSTORE_ERROR_RINGIDX);
        return false;
    }
    if (avail == 0)
        return false;
    // One copy out of shared memory; everything after parses `buf`.
    std::byte buf[XENSTORE_RING_SIZE];
    const std::uint32_t start = MASK_XENSTORE_IDX(m_req_cons);
    const std::uint32_t first = std::min(avail, XENSTORE_RING_SIZE - start);
    std::memcpy(buf, m_iface->req + start, first);
    std::memcpy(buf + first, m_iface->req, avail - first);
    std::size_t used = 0;
    while (used < avail && m_out.size() < kOutLimit) {
        const std::size_t n = m_reader.feed(std::span<const std::byte>(buf + used, avail - used));
        used += n;
        if (m_reader.broken()) {
            mark_broken(XENSTORE_ERROR_PROTO);
            return false;
        }
        if (m_reader.has_message()) {
            serve_message(m_store, m_conn, m_reader.take(), m_out);
            ++m_counters.messages;
        } else if (n == 0) {
            break;
        }
    }
    // The copies above complete before the guest may reuse the bytes.
    std::atomic_thread_fence(std::memory_order_seq_cst);
    m_req_cons += static_cast<std::uint32_t>(used);
    store_release(m_iface->req_cons, m_req_cons);
    m_counters.bytes_in += used;
    return used > 0;
}

bool StoreRing::flush_output() {
    if (m_out.empty())
        return false;
    const std::uint32_t cons = load_acquire(m_iface->rsp_cons);
    const std::uint32_t used = m_rsp_prod - cons;
    if (used > XENSTORE_RING_SIZE) {
        mark_broken(XENSTORE_ERROR_RINGIDX);
        return false;
    }
    const std::uint32_t space = XENSTORE_RING_SIZE - used;
    const auto n = static_cast<std::uint32_t>(std::min<std::size_t>(space, m_out.size()));
    if (n == 0)
        return false;
    const std::uint32_t start = MASK_XENSTORE_IDX(m_rsp_prod);
    const std::uint32_t first = std::min(n, XENSTORE_RING_SIZE - start);
    std::memcpy(m_iface->rsp + start, m_out.data(), first);
    std::memcpy(m_iface->rsp, m_out.data() + first, n - first);
    // Release: the guest sees the bytes before the new producer index.
    m_rsp_prod += n;
    store_release(m_iface->rsp_prod, m_rsp_prod);
    m_out.erase(0, n);
    m_counters.bytes_out += n;
    return true;
}

} // namespace pvisor::store
