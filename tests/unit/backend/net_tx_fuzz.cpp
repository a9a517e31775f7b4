// net_tx_fuzz.cpp: libFuzzer target: hostile tx ring slots, producer index and grant entries
// through the real net backend queue; every consumed slot must be answered exactly once (or
// the ring broken), no pin may leak, and every frame reaching the host must be well formed.
#include "frontend_model.hpp"
#include "net_backend.hpp"

#include <cstdlib>
#include <cstring>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <vector>

using namespace pvisor;
using namespace pvisor::backend;

namespace {

constexpr std::uint32_t kPool = 16;

struct World {
    testing::FakeGuest guest;
    GrantTableView grants = GrantTableView::create(guest.memory(), guest.grant_frames()).value();
    std::uint64_t tx_gpa = guest.alloc_page();
    std::uint64_t rx_gpa = guest.alloc_page();
    pv_grant_ref tx_ref = guest.grant(tx_gpa);
    pv_grant_ref rx_ref = guest.grant(rx_gpa);
    std::vector<std::uint64_t> pool;
    std::vector<pv_grant_ref> refs;
    World() {
        for (std::uint32_t i = 0; i < kPool; ++i) {
            pool.push_back(guest.alloc_page());
            refs.push_back(guest.grant(pool.back(), true));
            for (std::uint64_t b = 0; b < kPageSize; ++b)
                guest.host(pool.back())[b] = static_cast<std::byte>(b * 7 + i);
        }
    }
};

World& world() {
    static World* w = new World(); // lives for the whole run (libFuzzer never returns)
    return *w;
}

std::unique_ptr<NetBackend> make_backend(World& w, UniqueFd& peer, bool gso) {
    auto sp = SocketPort::create();
    if (!sp.ok())
        std::abort();
    peer = std::move(sp->second);
    std::vector<std::unique_ptr<NetPort>> ports;
    ports.push_back(std::move(sp->first));
    NetQueueBinding b;
    b.tx_ring_ref = w.tx_ref;
    b.rx_ring_ref = w.rx_ref;
    b.kick = UniqueFd(::eventfd(0, EFD_CLOEXEC));
    b.raise = UniqueFd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    b.front.rx_copy = true;
    std::vector<NetQueueBinding> qs;
    qs.push_back(std::move(b));
    NetOffer offer;
    offer.gso_tcpv4 = offer.gso_tcpv6 = gso;
    auto be = NetBackend::create("fuzz", w.grants, std::move(ports), std::move(qs), offer);
    if (!be.ok())
        std::abort();
    return std::move(be).value();
}

// Frames on the host side: header then at least an Ethernet header, at most 64 KiB.
std::uint64_t drain_peer(int fd) {
    static std::vector<std::byte> buf(70000); // one for the run: a fresh 70 KB per input was
                                              // a fifth of the time (ASan's quarantine)
    std::uint64_t n = 0;
    for (;;) {
        const ssize_t got = ::recv(fd, buf.data(), buf.size(), MSG_DONTWAIT);
        if (got < 0)
            return n;
        if (got < static_cast<ssize_t>(kVnetHdrLen + PV_NETIF_ETH_HLEN) ||
            got > static_cast<ssize_t>(kVnetHdrLen + XEN_NETIF_MAX_TX_SIZE))
            std::abort();
        ++n;
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    World& w = world();
    if (size < 1)
        return 0;
    const std::uint8_t mode = data[0];
    std::size_t off = 1;
    // Up to 4 pool grant entries rewritten by the input (revoked, foreign, bad frames).
    for (std::uint32_t i = 0; i < 4 && off + 8 <= size && (mode & 1U) != 0; ++i, off += 8) {
        grant_entry_v1 e;
        std::memcpy(&e, data + off, 8);
        e.frame %= 0x3000;
        e.flags &= static_cast<std::uint16_t>(~(GTF_reading | GTF_writing));
        w.guest.set_entry(w.refs[i], e.flags, e.domid, e.frame);
    }
    pv_sring_init(w.guest.host(w.tx_gpa), PV_RING_PAGE_SIZE);
    pv_sring_init(w.guest.host(w.rx_gpa), PV_RING_PAGE_SIZE);
    auto* sring = reinterpret_cast<pv_sring_hdr*>(w.guest.host(w.tx_gpa));
    std::uint32_t slots = 0;
    for (; off + 12 <= size && slots < PV_NETIF_TX_RING_SIZE; off += 12, ++slots) {
        netif_tx_request r;
        std::memcpy(&r, data + off, sizeof r);
        if ((mode & 2U) == 0)
            r.gref = w.refs[r.gref % kPool]; // mostly real refs, so deeper paths are reached
        std::memcpy(w.guest.host(w.tx_gpa) + PV_RING_HEADER_SIZE + slots * 12U, &r, sizeof r);
    }
    // Producer index: the slots written, or (mode bit 2) a hostile value from the input.
    std::uint32_t prod = slots;
    if ((mode & 4U) != 0 && off + 4 <= size)
        std::memcpy(&prod, data + off, 4);
    sring->req_prod = prod;
    UniqueFd peer;
    {
        auto be = make_backend(w, peer, (mode & 8U) != 0);
        be->queue(0).drain();
        const std::uint32_t rsp = sring->rsp_prod;
        if (!be->queue(0).broken() && rsp != prod)
            std::abort(); // a served ring answers every slot
        if (rsp > prod && prod <= PV_NETIF_TX_RING_SIZE)
            std::abort(); // never more responses than requests
        const std::uint64_t frames = drain_peer(peer.get());
        if (frames != be->counters().tx_packets.load())
            std::abort();
    }
    if (w.grants.pinned_refs() != 0)
        std::abort(); // every pin, ring pins included, released with the queue
    // Restore the rewritten pool entries for the next input.
    for (std::uint32_t i = 0; i < 4; ++i)
        w.guest.set_entry(w.refs[i], GTF_permit_access | GTF_readonly, 0,
                          static_cast<std::uint32_t>(w.pool[i] >> kPageShift));
    return 0;
}
