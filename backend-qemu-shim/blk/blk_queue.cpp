// blk_queue.cpp: the serving loop of one blkif ring: requests in, io_uring, responses out.
#include "blk_queue.hpp"

#include <algorithm>
#include <cstdio>
#include <unistd.h>

namespace pvisor::backend {

namespace {

constexpr std::uint64_t kKickTag = ~0ULL;

void count_invalid(BlkDisk& d, BlkInvalid r) {
    d.counters().invalid[static_cast<std::size_t>(r)].fetch_add(1, std::memory_order_relaxed);
}

} // namespace

Result<std::unique_ptr<BlkQueue>> BlkQueue::create(BlkDisk& disk, GrantTableView& grants,
                                                   BlkQueueBinding binding) {
    const std::size_t nr_pages = binding.ring_refs.size();
    if (nr_pages == 0 || nr_pages > (1U << PV_BLKIF_MAX_RING_PAGE_ORDER) ||
        (nr_pages & (nr_pages - 1)) != 0 || !binding.kick.valid() || !binding.raise.valid())
        return Errc::invalid_argument;
    // The ring pages stay pinned (GTF_writing) while the queue serves them.
    std::vector<GrantPin> pins;
    for (pv_grant_ref ref : binding.ring_refs) {
        PV_TRY_ASSIGN(pin, grants.pin(ref, GrantUse::write));
        pins.push_back(std::move(pin));
    }
    // A multi-page ring must be contiguous in the mapping (guest frames in GPA order).
    for (std::size_t i = 1; i < pins.size(); ++i) {
        if (pins[i].page().data() != pins[0].page().data() + i * kPageSize)
            return Errc::not_supported;
    }
    PV_TRY_ASSIGN(ring, BlkBackRing::attach(pins[0].page().data(), nr_pages * kPageSize));
    PV_TRY_ASSIGN(engine, UringEngine::create(ring.size() * 2, disk.fd()));
    return std::unique_ptr<BlkQueue>(new BlkQueue(disk, grants, std::move(binding), std::move(pins),
                                                  std::move(ring), std::move(engine)));
}

BlkQueue::BlkQueue(BlkDisk& disk, GrantTableView& grants, BlkQueueBinding binding,
                   std::vector<GrantPin> ring_pins, BlkBackRing ring, UringEngine engine)
    : m_disk(&disk), m_grants(&grants), m_binding(std::move(binding)),
      m_ring_pins(std::move(ring_pins)), m_ring(std::move(ring)),
      m_persistent(grants, m_binding.persistent_grants ? kPersistentMax : 0),
      m_slots(m_ring.size()), m_engine(std::move(engine)), m_parse(std::make_unique<BlkParse>()) {
    m_free.reserve(m_slots.size());
    for (std::uint32_t i = static_cast<std::uint32_t>(m_slots.size()); i-- > 0;) {
        m_free.push_back(i);
        m_slots[i].pins.reserve(kBlkMaxSegments);
    }
}

BlkQueue::~BlkQueue() {
    // In-flight I/O may still be writing guest pages: wait for it before the pins go, so a
    // page is never written after the guest was allowed to end access to it. Responses
    // are still pushed (the frontend may be waiting for them).
    while (!idle()) {
        if (!m_engine.submit(1).ok())
            break;
        m_engine.reap([this](std::uint64_t tag, int res) { complete(tag, res); });
        push_responses();
    }
}

void BlkQueue::mark_broken(const char* why) {
    if (m_broken.exchange(true))
        return;
    m_disk->counters().rings_broken.fetch_add(1, std::memory_order_relaxed);
    // Logged once per ring: the ring is not served again (other rings and disks continue).
    std::fprintf(stderr, "pvisor-blkback: %s: ring broken: %s\n", m_disk->config().path.c_str(),
                 why);
}

void BlkQueue::arm_kick() {
    if (m_kick_armed)
        return;
    m_kick_armed = m_engine.prep_eventfd_read(kKickTag, m_binding.kick.get(), &m_kick_buf);
}

void BlkQueue::respond(std::uint64_t id, std::uint8_t op, std::int16_t status) {
    blkif_response rsp{}; // every byte written: no stale host data reaches the guest
    rsp.id = id;
    rsp.operation = op;
    rsp.status = status;
    m_ring.put_response(rsp);
    m_disk->counters().requests.fetch_add(1, std::memory_order_relaxed);
    ++m_stats.requests;
}

void BlkQueue::push_responses() {
    const bool any = m_stats.requests != m_pushed_requests;
    m_pushed_requests = m_stats.requests;
    m_stats.pushes += any ? 1 : 0;
    if (!m_ring.push_responses())
        return;
    const std::uint64_t one = 1;
    if (::write(m_binding.raise.get(), &one, sizeof one) == sizeof one)
        ++m_stats.notifications;
}

// Copies, parses and starts requests while a slot is free. The slot count equals the ring
// size, and the ring's overflow check keeps the frontend within it.
void BlkQueue::consume() {
    while (!m_free.empty() && !broken()) {
        auto avail = m_ring.unconsumed();
        if (!avail.ok()) {
            mark_broken("request producer index overflow");
            return;
        }
        if (*avail == 0)
            return;
        blkif_request_any slot;
        m_ring.copy_request(slot);
        parse_blk_request(slot, m_disk->limits(), *m_grants, *m_parse);
        if (const auto* bad = std::get_if<BlkReject>(m_parse.get())) {
            count_invalid(*m_disk, bad->reason);
            respond(bad->id, bad->wire_op, blk_invalid_status(bad->reason));
            continue;
        }
        start(std::get<BlkRequest>(*m_parse));
    }
}

bool BlkQueue::map_segments(const BlkRequest& r, InFlight& f) {
    // Reading the disk writes guest pages, so those grants must be writable.
    const GrantUse use = r.op == BlkOp::read ? GrantUse::write : GrantUse::read;
    f.nr_iov = 0;
    f.bytes = 0;
    for (std::uint32_t i = 0; i < r.nr_segments; ++i) {
        const BlkSegment& s = r.seg[i];
        GrantPin transient;
        auto page = m_persistent.page(s.gref, use, transient);
        if (!page.ok())
            return false;
        if (transient.valid())
            f.pins.push_back(std::move(transient));
        const std::size_t off = std::size_t{s.first_sect} << BLKIF_SECTOR_SHIFT;
        const std::size_t len = std::size_t{s.last_sect - s.first_sect + 1U} << BLKIF_SECTOR_SHIFT;
        f.iov[f.nr_iov++] = {page->data() + off, len};
        f.bytes += len;
    }
    return true;
}

bool BlkQueue::submit_io(const BlkRequest& r, std::uint32_t slot, InFlight& f) {
    const std::uint64_t off = r.sector << BLKIF_SECTOR_SHIFT;
    const bool has_data = r.nr_segments > 0;
    // Room for the linked pair first, so a write is never sent without its flush.
    if (m_engine.sq_space() < 2 && !m_engine.submit(0).ok())
        return false;
    switch (r.op) {
    case BlkOp::read:
        f.pending = 1;
        return m_engine.prep_readv(slot, off, f.iov.data(), f.nr_iov);
    case BlkOp::write:
        f.pending = 1;
        return m_engine.prep_writev(slot, off, f.iov.data(), f.nr_iov, false);
    case BlkOp::flush:
        // Every write completed (and answered) before this flush is in the page cache or on
        // the device, so an fdatasync issued now covers it. With data: write, then (linked)
        // fdatasync, which also makes this write durable.
        f.pending = has_data ? 2 : 1;
        if (has_data && !m_engine.prep_writev(slot, off, f.iov.data(), f.nr_iov, true))
            return false;
        return m_engine.prep_fdatasync(slot);
    case BlkOp::discard:
        f.pending = 1;
        return m_engine.prep_punch_hole(slot, off, r.nr_sectors << BLKIF_SECTOR_SHIFT);
    }
    return false;
}

void BlkQueue::start(const BlkRequest& r) {
    const std::uint32_t slot = m_free.back();
    InFlight& f = m_slots[slot];
    f.id = r.id;
    f.wire_op = r.wire_op;
    f.op = r.op;
    f.failed = false;
    if (!map_segments(r, f)) {
        f.pins.clear();
        count_invalid(*m_disk, BlkInvalid::bad_grant);
        respond(r.id, r.wire_op, BLKIF_RSP_ERROR);
        return;
    }
    m_free.pop_back();
    if (!submit_io(r, slot, f)) {
        f.failed = true;
        f.pending = 0;
        finish(slot);
    }
}

void BlkQueue::complete(std::uint64_t tag, int res) {
    if (tag == kKickTag) {
        m_kick_armed = false;
        if (res > 0)
            ++m_stats.kicks;
        return;
    }
    InFlight& f = m_slots[static_cast<std::uint32_t>(tag)];
    // A data transfer must move every byte; fsync/fallocate succeed with 0.
    const bool is_data = res > 0 || (f.op != BlkOp::flush && f.op != BlkOp::discard);
    if (res < 0 || (is_data && static_cast<std::uint64_t>(res) != f.bytes))
        f.failed = true;
    if (--f.pending == 0)
        finish(static_cast<std::uint32_t>(tag));
}

void BlkQueue::finish(std::uint32_t slot) {
    InFlight& f = m_slots[slot];
    BlkCounters& c = m_disk->counters();
    if (f.failed) {
        c.io_errors.fetch_add(1, std::memory_order_relaxed);
    } else if (f.op == BlkOp::read) {
        c.bytes_read.fetch_add(f.bytes, std::memory_order_relaxed);
    } else if (f.op == BlkOp::write || (f.op == BlkOp::flush && f.bytes > 0)) {
        c.bytes_written.fetch_add(f.bytes, std::memory_order_relaxed);
    }
    if (!f.failed && f.op == BlkOp::flush)
        c.flushes.fetch_add(1, std::memory_order_relaxed);
    if (!f.failed && f.op == BlkOp::discard)
        c.discards.fetch_add(1, std::memory_order_relaxed);
    f.pins.clear(); // the guest may end access once the response is visible
    respond(f.id, f.wire_op, f.failed ? BLKIF_RSP_ERROR : BLKIF_RSP_OKAY);
    m_free.push_back(slot);
}

void BlkQueue::step(unsigned wait_nr) {
    if (!m_engine.submit(wait_nr).ok())
        mark_broken("io_uring submit failed");
    m_engine.reap([this](std::uint64_t tag, int res) { complete(tag, res); });
    push_responses();
}

// How many completions to wait for with `in_flight` requests out: a quarter of the ring,
// but at most half of those in flight, so the disk keeps at least half its queue while the
// frontend (woken once per batch) refills. At least 1 and never more than are in flight.
unsigned BlkQueue::coalesce_target(unsigned in_flight) const {
    const auto quarter_ring = static_cast<unsigned>(m_slots.size() / 4);
    return std::max(1U, std::min(in_flight / 2, quarter_ring));
}

void BlkQueue::run() {
    while (!m_stop.load(std::memory_order_acquire) && !broken()) {
        consume();
        const auto in_flight = static_cast<unsigned>(m_slots.size() - m_free.size());
        if (in_flight >= kCoalesceInFlight || m_free.empty()) {
            // Deep queue (or every slot in flight): new requests are picked up after the
            // next completions, so the frontend need not kick (req_event stays behind), and
            // responses are pushed in batches (coalesce_target; one notification each at
            // most). Every awaited completion is already submitted, so this wait ends.
            step(coalesce_target(in_flight));
        } else if (m_ring.final_check_for_requests()) {
            step(0); // more requests arrived: submit what we have and go on
        } else {
            // req_event is set: the frontend's next push kicks us. Sleep on the kick read
            // or the next completion, whichever comes first.
            arm_kick();
            step(1);
        }
    }
}

void BlkQueue::stop() {
    m_stop.store(true, std::memory_order_release);
    const std::uint64_t one = 1;
    // Wakes run() through its armed kick read.
    [[maybe_unused]] auto n = ::write(m_binding.kick.get(), &one, sizeof one);
}

void BlkQueue::drain() {
    for (;;) {
        consume();
        if (!m_engine.submit(idle() ? 0 : 1).ok())
            return;
        m_engine.reap([this](std::uint64_t tag, int res) { complete(tag, res); });
        push_responses();
        if (idle() && (broken() || !m_ring.final_check_for_requests()))
            return;
    }
}

} // namespace pvisor::backend
