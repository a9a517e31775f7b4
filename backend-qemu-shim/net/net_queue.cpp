// net_queue.cpp: the serving loop of one netif queue: tx writes, rx reads, kicks, responses.
#include "net_queue.hpp"

#include <cstdio>
#include <pv/netif.h>
#include <unistd.h>

namespace pvisor::backend {

namespace {

constexpr std::uint64_t kKickTag = ~0ULL;
constexpr std::uint64_t kCancelTag = ~0ULL - 1;
// SQ entries: tx writes + rx reads + the kick read, with room to spare.
constexpr unsigned kUringEntries = 256;

} // namespace

Result<std::unique_ptr<NetQueue>> NetQueue::create(std::string name, NetPort& port,
                                                   GrantTableView& grants, NetCounters& counters,
                                                   const NetOffer& offer, NetQueueBinding binding) {
    if (!binding.kick.valid() || !binding.raise.valid() || !binding.front.rx_copy)
        return Errc::invalid_argument;
    // Both ring pages stay pinned (GTF_writing) while the queue serves them.
    std::vector<GrantPin> pins;
    for (pv_grant_ref ref : {binding.tx_ring_ref, binding.rx_ring_ref}) {
        PV_TRY_ASSIGN(pin, grants.pin(ref, GrantUse::write));
        pins.push_back(std::move(pin));
    }
    if (pins[0].page().data() == pins[1].page().data())
        return Errc::invalid_argument; // one page cannot hold both rings
    PV_TRY_ASSIGN(tx_ring,
                  NetBackRing::attach(pins[0].page().data(), sizeof(union netif_tx_sring_entry)));
    PV_TRY_ASSIGN(rx_ring,
                  NetBackRing::attach(pins[1].page().data(), sizeof(union netif_rx_sring_entry)));
    PV_TRY(port.set_offloads(rx_offloads(binding.front)));
    PV_TRY_ASSIGN(engine, UringEngine::create(kUringEntries, port.fd()));
    NetTxPath tx(std::move(tx_ring), grants, counters, offer);
    PV_TRY_ASSIGN(buffers, NetRxPath::map_buffers());
    NetRxPath rx(std::move(rx_ring), grants, counters, binding.front, std::move(buffers));
    return std::unique_ptr<NetQueue>(new NetQueue(std::move(name), counters, std::move(pins),
                                                  std::move(tx), std::move(rx), std::move(engine),
                                                  std::move(binding)));
}

NetQueue::NetQueue(std::string name, NetCounters& counters, std::vector<GrantPin> ring_pins,
                   NetTxPath tx, NetRxPath rx, UringEngine engine, NetQueueBinding binding)
    : m_name(std::move(name)), m_counters(&counters), m_ring_pins(std::move(ring_pins)),
      m_tx(std::move(tx)), m_rx(std::move(rx)), m_engine(std::move(engine)),
      m_binding(std::move(binding)) {}

NetQueue::~NetQueue() {
    // Writes still in flight read pinned guest pages: let them finish (and answer them)
    // before the pins go. Posted reads and the kick read write into our own buffers, which
    // die with this object: cancel them and wait for their completions first (closing the
    // ring would cancel them only later, from a kernel worker).
    bool cancelled = false;
    while (!m_tx.idle() || m_rx.reads_posted() != 0 || m_kick_armed) {
        if (!cancelled)
            cancelled = m_engine.prep_cancel_all(kCancelTag);
        if (!m_engine.submit(1).ok())
            break;
        m_engine.reap([this](std::uint64_t tag, int res) { on_cqe(tag, res); });
    }
    push_responses();
}

void NetQueue::mark_broken(const char* why) {
    if (m_broken.exchange(true))
        return;
    m_counters->rings_broken.fetch_add(1, std::memory_order_relaxed);
    // Logged once per queue: its rings are not served again; other queues carry on.
    std::fprintf(stderr, "pvisor-netback: %s: ring broken: %s\n", m_name.c_str(), why);
}

void NetQueue::arm_kick() {
    if (m_kick_armed)
        return;
    m_kick_armed = m_engine.prep_eventfd_read(kKickTag, m_binding.kick.get(), &m_kick_buf);
}

void NetQueue::on_cqe(std::uint64_t tag, int res) {
    if (tag == kKickTag) {
        m_kick_armed = false;
        m_stats.kicks += res > 0 ? 1 : 0;
    } else if ((tag & ~0xFFFFFFFFULL) == NetTxPath::kTagBase) {
        m_tx.complete(static_cast<std::uint32_t>(tag), res);
    } else if ((tag & ~0xFFFFFFFFULL) == NetRxPath::kTagBase) {
        m_rx.complete(static_cast<std::uint32_t>(tag), res);
    }
}

void NetQueue::push_responses() {
    const bool tx = m_tx.ring().push_responses();
    const bool rx = m_rx.ring().push_responses();
    if (!tx && !rx)
        return;
    const std::uint64_t one = 1;
    if (::write(m_binding.raise.get(), &one, sizeof one) == sizeof one)
        ++m_stats.notifications;
}

// Consumes tx packets and delivers waiting rx frames; a protocol break stops the queue.
void NetQueue::serve_rings() {
    if (broken())
        return;
    if (!m_tx.consume(m_engine))
        return mark_broken(m_tx.broken_reason());
    if (!m_rx.deliver())
        return mark_broken(m_rx.broken_reason());
    m_rx.post_reads(m_engine);
}

void NetQueue::step(unsigned wait_nr) {
    m_stats.waits += wait_nr > 0 ? 1 : 0;
    if (!m_engine.submit(wait_nr).ok())
        mark_broken("io_uring submit failed");
    m_engine.reap([this](std::uint64_t tag, int res) { on_cqe(tag, res); });
    push_responses();
}

void NetQueue::run() {
    while (!m_stop.load(std::memory_order_acquire) && !broken()) {
        serve_rings();
        push_responses();
        // More tx requests (unless every write slot is busy: a completion frees one), or
        // the pages a waiting rx frame needs: go round again without sleeping. Otherwise
        // both event indices are armed and the frontend's next push kicks us.
        const bool tx_more = !m_tx.full() && m_tx.ring().final_check_for_requests();
        const bool rx_more = m_rx.final_check();
        if (tx_more || rx_more) {
            step(0);
        } else {
            arm_kick();
            step(1);
        }
    }
}

void NetQueue::stop() {
    m_stop.store(true, std::memory_order_release);
    const std::uint64_t one = 1;
    // Wakes run() through its armed kick read.
    [[maybe_unused]] auto n = ::write(m_binding.kick.get(), &one, sizeof one);
}

void NetQueue::drain() {
    for (;;) {
        serve_rings();
        step(m_tx.idle() ? 0 : 1);
        if (m_tx.idle() && (broken() || !m_tx.ring().final_check_for_requests()))
            return;
    }
}

void NetQueue::pump_rx(std::uint64_t frames) {
    serve_rings();
    while (!broken() && m_rx.frames_read() < frames) {
        step(1);
        serve_rings();
    }
    push_responses();
}

} // namespace pvisor::backend
