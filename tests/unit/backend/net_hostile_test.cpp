// net_hostile_test.cpp: a hostile frontend against the net backend: every malformed packet is
// dropped with NETIF_RSP_ERROR and counted under its reason, protocol breaks stop the queue,
// and no guest byte outside the granted pages changes.
#include "net_test_util.hpp"

namespace pvisor::backend {
namespace {

using testing::make_frame;
using testing::NetRig;
using testing::peer_recv;

netif_tx_request slot(pv_grant_ref gref, std::uint16_t offset, std::uint16_t size, std::uint16_t id,
                      std::uint16_t flags = 0) {
    netif_tx_request r{};
    r.gref = gref;
    r.offset = offset;
    r.size = size;
    r.id = id;
    r.flags = flags;
    return r;
}

netif_extra_info extra(std::uint8_t type, std::uint8_t flags = 0) {
    netif_extra_info e{};
    e.type = type;
    e.flags = flags;
    return e;
}

netif_extra_info gso(std::uint8_t type, std::uint16_t size, std::uint8_t flags = 0) {
    netif_extra_info e = extra(XEN_NETIF_EXTRA_TYPE_GSO, flags);
    e.u.gso.type = type;
    e.u.gso.size = size;
    return e;
}

// A rig whose tx pool page 0 holds a valid 1500-byte frame, and the RAM hash excluding the
// pages the backend may write (rings and the grant table).
struct HostileRig : NetRig {
    HostileRig() {
        const auto f = make_frame(1500);
        std::memcpy(guest.host(front.tx_page_gpa(0)), f.data(), f.size());
        ref0 = grants_ref_of_pool(0);
        before = hash();
    }
    pv_grant_ref grants_ref_of_pool(std::uint32_t i) {
        // The pool's refs follow the two ring refs in grant order (NetFront's constructor).
        return front.rx_ring_ref() + 1 + i;
    }
    std::uint64_t hash() {
        return testing::ram_hash(guest, {testing::FakeGuest::kGrantTableGpa,
                                         testing::FakeGuest::kFirstDataGpa,
                                         testing::FakeGuest::kFirstDataGpa + kPageSize});
    }
    // Every response of the batch, each expected to be ERROR (or NULL for extra slots).
    void expect_dropped(const std::vector<netif_tx_response>& rsp, std::size_t slots,
                        std::size_t extras = 0) {
        EXPECT_EQ(rsp.size(), slots);
        std::size_t nulls = 0;
        for (const auto& r : rsp) {
            EXPECT_TRUE(r.status == NETIF_RSP_ERROR || r.status == NETIF_RSP_NULL);
            nulls += r.status == NETIF_RSP_NULL ? 1 : 0;
        }
        EXPECT_EQ(nulls, extras);
        EXPECT_FALSE(peer_recv(peer.get())) << "a malformed packet reached the host";
        EXPECT_EQ(hash(), before) << "guest memory outside the granted pages changed";
        EXPECT_FALSE(queue().broken());
    }
    pv_grant_ref ref0 = 0;
    std::uint64_t before = 0;
};

TEST(NetHostile, NineteenDataSlotsAreDropped) {
    HostileRig rig;
    for (std::uint16_t i = 0; i < 19; ++i)
        rig.front.put_tx(
            slot(rig.ref0, 0, i == 0 ? 19 * 10 : 10, i, i < 18 ? NETTXF_more_data : 0));
    rig.expect_dropped(rig.run_tx(), 19);
    EXPECT_EQ(rig.counters().invalid_count(NetInvalid::tx_too_many_slots), 1U);
    EXPECT_EQ(rig.counters().tx_dropped.load(), 1U);
    EXPECT_EQ(rig.counters().invalid_total(), 1U);
}

TEST(NetHostile, PieceLeavingItsPageIsDropped) {
    HostileRig rig;
    rig.front.put_tx(slot(rig.ref0, 4000, 200, 1));                // slot 0 past the page
    rig.front.put_tx(slot(rig.ref0, 0, 300, 2, NETTXF_more_data)); // own piece 100 at 0: ok
    rig.front.put_tx(slot(rig.ref0, 4095, 200, 3));                // second piece past the page
    rig.expect_dropped(rig.run_tx(), 3);
    EXPECT_EQ(rig.counters().invalid_count(NetInvalid::tx_crosses_page), 2U);
    EXPECT_EQ(rig.counters().invalid_total(), 2U);
}

TEST(NetHostile, BadSizesAreDropped) {
    HostileRig rig;
    rig.front.put_tx(slot(rig.ref0, 0, 13, 1));                    // shorter than Ethernet
    rig.front.put_tx(slot(rig.ref0, 0, 100, 2, NETTXF_more_data)); // pieces exceed the total
    rig.front.put_tx(slot(rig.ref0, 0, 101, 3));
    rig.front.put_tx(slot(rig.ref0, 0, 100, 4, NETTXF_more_data)); // an empty following piece
    rig.front.put_tx(slot(rig.ref0, 0, 0, 5));
    rig.expect_dropped(rig.run_tx(), 5);
    EXPECT_EQ(rig.counters().invalid_count(NetInvalid::tx_bad_size), 3U);
    EXPECT_EQ(rig.counters().invalid_total(), 3U);
}

TEST(NetHostile, BadGrantsAreDroppedAndCountedByReason) {
    HostileRig rig;
    const std::uint64_t other = rig.guest.alloc_page();
    const pv_grant_ref foreign = rig.guest.grant(other, true, 7); // granted to domain 7
    const pv_grant_ref revoked = rig.guest.grant(other, true);
    rig.guest.set_entry(revoked, 0, 0, static_cast<std::uint32_t>(other >> kPageShift));
    rig.front.put_tx(slot(100000, 0, 60, 1)); // beyond the table
    rig.front.put_tx(slot(foreign, 0, 60, 2));
    rig.front.put_tx(slot(revoked, 0, 60, 3));
    rig.front.put_tx(slot(3, 0, 60, 4)); // a reserved ref
    rig.expect_dropped(rig.run_tx(), 4);
    EXPECT_EQ(rig.counters().invalid_count(NetInvalid::tx_bad_grant), 4U);
    EXPECT_EQ(rig.grants.refused(GrantRefusal::out_of_range), 2U);
    EXPECT_EQ(rig.grants.refused(GrantRefusal::foreign_domid), 1U);
    EXPECT_EQ(rig.grants.refused(GrantRefusal::not_permitted), 1U);
    EXPECT_EQ(rig.grants.pinned_refs(), 2U); // no pin leaked
}

TEST(NetHostile, BadExtraChainsAreDropped) {
    HostileRig rig;
    auto packet_with = [&rig](std::initializer_list<netif_extra_info> ex, std::uint16_t id) {
        rig.front.put_tx(slot(rig.ref0, 0, 1500, id, NETTXF_extra_info | NETTXF_csum_blank));
        for (const auto& e : ex)
            rig.front.put_extra(e);
    };
    packet_with({extra(XEN_NETIF_EXTRA_TYPE_NONE)}, 1);
    packet_with({extra(XEN_NETIF_EXTRA_TYPE_XDP)}, 2);  // rx-only
    packet_with({extra(9)}, 3);                         // unknown type
    packet_with({gso(XEN_NETIF_GSO_TYPE_TCPV4, 0)}, 4); // MSS 0
    packet_with({gso(7, 1448)}, 5);                     // unknown GSO type
    packet_with({gso(XEN_NETIF_GSO_TYPE_TCPV4, 1448, XEN_NETIF_EXTRA_FLAG_MORE),
                 gso(XEN_NETIF_GSO_TYPE_TCPV4, 1448)},
                6);                                        // GSO twice
    packet_with({gso(XEN_NETIF_GSO_TYPE_TCPV6, 1448)}, 7); // IPv6 GSO on an IPv4 frame
    rig.expect_dropped(rig.run_tx(), 15, 8);
    EXPECT_EQ(rig.counters().invalid_count(NetInvalid::tx_bad_extra), 7U);
    EXPECT_EQ(rig.counters().invalid_total(), 7U);
}

TEST(NetHostile, GsoNotOfferedIsRefused) {
    NetOffer offer;
    offer.gso_tcpv4 = false;
    NetRig rig(testing::linux_like_front(), offer);
    netif_extra_info g = gso(XEN_NETIF_GSO_TYPE_TCPV4, 1448);
    ASSERT_TRUE(rig.front.send(make_frame(3000, false, true),
                               testing::TxLayout{4096, 0, NETTXF_csum_blank, g}));
    const auto rsp = rig.run_tx();
    EXPECT_EQ(rsp.size(), 2U);
    EXPECT_EQ(rig.counters().invalid_count(NetInvalid::tx_not_negotiated), 1U);
    EXPECT_FALSE(peer_recv(rig.peer.get()));
}

TEST(NetHostile, CsumBlankOnUnparsableHeadersIsDropped) {
    NetRig rig;
    auto f = make_frame(200);
    f[12] = std::byte{0x88}; // not IP
    f[13] = std::byte{0xB5};
    ASSERT_TRUE(rig.front.send(f, testing::TxLayout{4096, 0, NETTXF_csum_blank, {}}));
    auto g = make_frame(200);
    g[20] = std::byte{0x20}; // IPv4 "more fragments": no L4 header to complete
    ASSERT_TRUE(rig.front.send(g, testing::TxLayout{4096, 0, NETTXF_csum_blank, {}}));
    const auto rsp = rig.run_tx();
    ASSERT_EQ(rsp.size(), 2U);
    EXPECT_EQ(rsp[0].status, NETIF_RSP_ERROR);
    EXPECT_EQ(rig.counters().invalid_count(NetInvalid::tx_bad_checksum), 2U);
    EXPECT_EQ(rig.grants.pinned_refs(), 2U);
}

TEST(NetHostile, DroppedPacketDoesNotDisturbTheNextOne) {
    HostileRig rig;
    rig.front.put_tx(slot(rig.ref0, 4000, 200, 1)); // bad
    rig.front.put_tx(slot(rig.ref0, 0, 1500, 2));   // good
    const auto rsp = rig.run_tx();
    ASSERT_EQ(rsp.size(), 2U);
    EXPECT_EQ(rsp[0].id, 1);
    EXPECT_EQ(rsp[0].status, NETIF_RSP_ERROR);
    EXPECT_EQ(rsp[1].id, 2);
    EXPECT_EQ(rsp[1].status, NETIF_RSP_OKAY);
    auto p = peer_recv(rig.peer.get());
    ASSERT_TRUE(p);
    EXPECT_EQ(p->frame, make_frame(1500));
}

// Protocol breaks: the queue is marked broken, counted once, and serves nothing more.
struct BreakCase {
    const char* name;
    void (*build)(HostileRig&);
};

TEST(NetHostile, ProtocolBreaksMarkTheQueueBroken) {
    const BreakCase cases[] = {
        {"21-slot chain",
         [](HostileRig& r) {
             for (std::uint16_t i = 0; i < 21; ++i)
                 r.front.put_tx(slot(r.ref0, 0, 10, i, NETTXF_more_data));
         }},
        {"chain open at req_prod",
         [](HostileRig& r) { r.front.put_tx(slot(r.ref0, 0, 100, 1, NETTXF_more_data)); }},
        {"extra chain of 5",
         [](HostileRig& r) {
             r.front.put_tx(slot(r.ref0, 0, 100, 1, NETTXF_extra_info));
             for (int i = 0; i < 5; ++i)
                 r.front.put_extra(extra(XEN_NETIF_EXTRA_TYPE_HASH, XEN_NETIF_EXTRA_FLAG_MORE));
         }},
        {"extra chain open at req_prod",
         [](HostileRig& r) { r.front.put_tx(slot(r.ref0, 0, 100, 1, NETTXF_extra_info)); }},
    };
    for (const BreakCase& c : cases) {
        HostileRig rig;
        c.build(rig);
        rig.front.push_tx();
        rig.queue().drain();
        EXPECT_TRUE(rig.queue().broken()) << c.name;
        EXPECT_EQ(rig.counters().rings_broken.load(), 1U) << c.name;
        EXPECT_FALSE(peer_recv(rig.peer.get())) << c.name;
        EXPECT_EQ(rig.hash(), rig.before) << c.name;
        // A valid packet afterwards is not served.
        rig.front.put_tx(slot(rig.ref0, 0, 1500, 9));
        rig.front.push_tx();
        rig.queue().drain();
        EXPECT_FALSE(peer_recv(rig.peer.get())) << c.name;
    }
}

TEST(NetHostile, TxResponseIndexOverflowBreaksTheRing) {
    HostileRig rig;
    rig.front.set_tx_req_prod(PV_NETIF_TX_RING_SIZE + 1); // more than a ring ahead
    rig.queue().drain();
    EXPECT_TRUE(rig.queue().broken());
    EXPECT_EQ(rig.counters().rings_broken.load(), 1U);
    EXPECT_TRUE(rig.front.take_tx().empty());
    EXPECT_EQ(rig.hash(), rig.before);
}

TEST(NetHostile, RxIndexOverflowBreaksTheRingWhenAFrameArrives) {
    HostileRig rig;
    rig.front.set_rx_req_prod(0x80000000U);
    ASSERT_TRUE(testing::peer_send(rig.peer.get(), VnetHdr{}, make_frame(100)));
    rig.queue().pump_rx(1);
    EXPECT_TRUE(rig.queue().broken());
    EXPECT_EQ(rig.counters().rings_broken.load(), 1U);
    EXPECT_EQ(rig.counters().rx_packets.load(), 0U);
    EXPECT_EQ(rig.hash(), rig.before);
}

TEST(NetHostile, RxBadGrantsAreAnsweredErrorAndWriteNothing) {
    HostileRig rig;
    const std::uint64_t ro_page = rig.guest.alloc_page();
    const pv_grant_ref ro = rig.guest.grant(ro_page, true); // read-only: not for rx
    const std::uint64_t foreign_page = rig.guest.alloc_page();
    const pv_grant_ref foreign = rig.guest.grant(foreign_page, false, 9);
    rig.front.put_rx(netif_rx_request{1, 0, ro});
    rig.front.put_rx(netif_rx_request{2, 0, foreign});
    rig.front.put_rx(netif_rx_request{3, 0, 77777});
    rig.front.push_rx();
    const std::uint64_t before = rig.hash(); // the two new pages included
    for (int i = 0; i < 3; ++i)
        ASSERT_TRUE(testing::peer_send(rig.peer.get(), VnetHdr{}, make_frame(100)));
    rig.queue().pump_rx(3);
    auto pk = rig.front.take_rx();
    ASSERT_EQ(pk.size(), 3U);
    for (const auto& p : pk)
        EXPECT_TRUE(p.error);
    EXPECT_EQ(rig.counters().invalid_count(NetInvalid::rx_bad_grant), 3U);
    EXPECT_EQ(rig.counters().rx_dropped.load(), 3U);
    EXPECT_EQ(rig.grants.refused(GrantRefusal::read_only), 1U);
    EXPECT_EQ(rig.grants.refused(GrantRefusal::foreign_domid), 1U);
    EXPECT_EQ(rig.grants.refused(GrantRefusal::out_of_range), 1U);
    EXPECT_EQ(rig.hash(), before);
    EXPECT_FALSE(rig.queue().broken());
}

TEST(NetHostile, RxNeverWritesPastTheGrantedPage) {
    HostileRig rig;
    // Three posted pages and a 9000-byte frame: bytes land in [0, 4096) of each page only.
    rig.front.post_rx(3);
    std::vector<std::uint64_t> skip = {testing::FakeGuest::kGrantTableGpa,
                                       testing::FakeGuest::kFirstDataGpa,
                                       testing::FakeGuest::kFirstDataGpa + kPageSize};
    for (std::uint32_t i = 0; i < 3; ++i)         // the posted pages (pool pages 0..2, contiguous:
        skip.push_back(rig.front.rx_page_gpa(i)); // an overrun would show in page 3)
    const std::uint64_t before = testing::ram_hash(rig.guest, skip);
    const auto f = make_frame(9000);
    ASSERT_TRUE(testing::peer_send(rig.peer.get(), VnetHdr{}, f));
    rig.queue().pump_rx(1);
    auto pk = rig.front.take_rx();
    ASSERT_EQ(pk.size(), 1U);
    EXPECT_EQ(pk[0].data, f);
    EXPECT_EQ(testing::ram_hash(rig.guest, skip), before);
}

} // namespace
} // namespace pvisor::backend

namespace pvisor::backend {
namespace {

// Two queues of one interface: breaking queue 0's ring leaves queue 1 serving.
TEST(NetHostile, BrokenQueueLeavesTheOtherQueueServing) {
    testing::FakeGuest guest;
    auto grants = GrantTableView::create(guest.memory(), guest.grant_frames()).value();
    testing::NetFront f0(guest, 16, 16);
    testing::NetFront f1(guest, 16, 16);
    std::vector<std::unique_ptr<NetPort>> ports;
    std::vector<UniqueFd> peers;
    std::vector<NetQueueBinding> qs;
    for (testing::NetFront* f : {&f0, &f1}) {
        auto sp = SocketPort::create();
        ASSERT_TRUE(sp.ok());
        ports.push_back(std::move(sp->first));
        peers.push_back(std::move(sp->second));
        NetQueueBinding b;
        b.tx_ring_ref = f->tx_ring_ref();
        b.rx_ring_ref = f->rx_ring_ref();
        b.kick = UniqueFd(::eventfd(0, EFD_CLOEXEC));
        b.raise = UniqueFd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
        b.front = testing::linux_like_front();
        qs.push_back(std::move(b));
    }
    auto be = NetBackend::create("mq", grants, std::move(ports), std::move(qs));
    ASSERT_TRUE(be.ok());
    ASSERT_EQ((*be)->nr_queues(), 2U);
    f0.set_tx_req_prod(1000); // hostile
    ASSERT_TRUE(f1.send(make_frame(700)));
    f1.push_tx();
    (*be)->queue(0).drain();
    (*be)->queue(1).drain();
    EXPECT_TRUE((*be)->queue(0).broken());
    EXPECT_FALSE((*be)->queue(1).broken());
    const auto rsp = f1.take_tx();
    ASSERT_EQ(rsp.size(), 1U);
    EXPECT_EQ(rsp[0].status, NETIF_RSP_OKAY);
    auto p = peer_recv(peers[1].get());
    ASSERT_TRUE(p);
    EXPECT_EQ(p->frame, make_frame(700));
    EXPECT_EQ((*be)->counters().rings_broken.load(), 1U);
    EXPECT_EQ((*be)->counters().tx_packets.load(), 1U);
}

TEST(NetHostile, QueueRefusesRingsItCannotServe) {
    testing::FakeGuest guest;
    auto grants = GrantTableView::create(guest.memory(), guest.grant_frames()).value();
    testing::NetFront f(guest, 4, 4);
    auto sp = SocketPort::create();
    ASSERT_TRUE(sp.ok());
    NetCounters counters;
    auto bind = [&](pv_grant_ref tx, pv_grant_ref rx, bool rx_copy) {
        NetQueueBinding b;
        b.tx_ring_ref = tx;
        b.rx_ring_ref = rx;
        b.kick = UniqueFd(::eventfd(0, EFD_CLOEXEC));
        b.raise = UniqueFd(::eventfd(0, EFD_CLOEXEC));
        b.front.rx_copy = rx_copy;
        return b;
    };
    // One page for both rings; a ring ref that is not granted; no request-rx-copy.
    EXPECT_EQ(NetQueue::create("q", *sp->first, grants, counters, {},
                               bind(f.tx_ring_ref(), f.tx_ring_ref(), true))
                  .error(),
              Errc::invalid_argument);
    EXPECT_EQ(
        NetQueue::create("q", *sp->first, grants, counters, {}, bind(f.tx_ring_ref(), 400, true))
            .error(),
        Errc::permission_denied);
    EXPECT_EQ(NetQueue::create("q", *sp->first, grants, counters, {},
                               bind(f.tx_ring_ref(), f.rx_ring_ref(), false))
                  .error(),
              Errc::invalid_argument);
    EXPECT_EQ(grants.pinned_refs(), 0U);
}

} // namespace
} // namespace pvisor::backend
