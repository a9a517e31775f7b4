// net_tx_test.cpp: guest transmit through the real backend: bytes, slots, offload headers.
#include "net_test_util.hpp"

#include <thread>

namespace pvisor::backend {
namespace {

using testing::make_frame;
using testing::NetRig;
using testing::peer_recv;
using testing::TxLayout;

TEST(NetTx, SmallAndMtuFramesReachThePortUnchanged) {
    NetRig rig;
    const auto a = make_frame(64, false, false, false, 3);
    const auto b = make_frame(1514, false, true, false, 4);
    ASSERT_TRUE(rig.front.send(a));
    ASSERT_TRUE(rig.front.send(b, TxLayout{4096, 100, 0, {}}));
    const auto rsp = rig.run_tx();
    ASSERT_EQ(rsp.size(), 2U);
    EXPECT_EQ(rsp[0].status, NETIF_RSP_OKAY);
    EXPECT_EQ(rsp[1].status, NETIF_RSP_OKAY);
    auto pa = peer_recv(rig.peer.get());
    auto pb = peer_recv(rig.peer.get());
    ASSERT_TRUE(pa && pb);
    EXPECT_EQ(pa->frame, a);
    EXPECT_EQ(pb->frame, b);
    EXPECT_EQ(pa->hdr.flags, 0);
    EXPECT_EQ(pa->hdr.gso_type, 0);
    EXPECT_FALSE(peer_recv(rig.peer.get()));
    EXPECT_EQ(rig.counters().tx_packets.load(), 2U);
    EXPECT_EQ(rig.counters().tx_bytes.load(), 64U + 1514U);
    EXPECT_EQ(rig.counters().invalid_total(), 0U);
    EXPECT_EQ(rig.grants.pinned_refs(), 2U); // only the two ring pages stay pinned
}

TEST(NetTx, EighteenSlotPacketIsGatheredInOrder) {
    NetRig rig;
    const auto f = make_frame(18 * 1000, false, false, false, 9);
    ASSERT_TRUE(rig.front.send(f, TxLayout{1000, 3000, 0, {}}));
    const auto rsp = rig.run_tx();
    ASSERT_EQ(rsp.size(), 18U);
    for (const auto& r : rsp)
        EXPECT_EQ(r.status, NETIF_RSP_OKAY);
    auto p = peer_recv(rig.peer.get());
    ASSERT_TRUE(p);
    EXPECT_EQ(p->frame.size(), f.size());
    EXPECT_EQ(testing::fnv1a(p->frame), testing::fnv1a(f));
}

TEST(NetTx, CsumBlankBecomesNeedsCsumAtTheL4Header) {
    struct Case {
        bool ipv6, tcp, vlan;
        std::uint16_t start, field;
    };
    for (const Case c : {Case{false, true, false, 34, 16}, Case{false, false, false, 34, 6},
                         Case{true, false, false, 54, 6}, Case{true, true, true, 58, 16}}) {
        NetRig rig;
        const auto f = make_frame(600, c.ipv6, c.tcp, c.vlan);
        ASSERT_TRUE(
            rig.front.send(f, TxLayout{4096, 0, NETTXF_csum_blank | NETTXF_data_validated, {}}));
        const auto rsp = rig.run_tx();
        ASSERT_EQ(rsp.size(), 1U);
        EXPECT_EQ(rsp[0].status, NETIF_RSP_OKAY);
        auto p = peer_recv(rig.peer.get());
        ASSERT_TRUE(p);
        EXPECT_EQ(p->hdr.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
        EXPECT_EQ(p->hdr.csum_start, c.start);
        EXPECT_EQ(p->hdr.csum_offset, c.field);
    }
}

TEST(NetTx, DataValidatedAloneBecomesDataValid) {
    NetRig rig;
    ASSERT_TRUE(rig.front.send(make_frame(200), TxLayout{4096, 0, NETTXF_data_validated, {}}));
    rig.run_tx();
    auto p = peer_recv(rig.peer.get());
    ASSERT_TRUE(p);
    EXPECT_EQ(p->hdr.flags, VIRTIO_NET_HDR_F_DATA_VALID);
}

TEST(NetTx, GsoExtraBecomesTsoHeaderAndItsSlotIsAnsweredNull) {
    NetRig rig;
    netif_extra_info gso{};
    gso.type = XEN_NETIF_EXTRA_TYPE_GSO;
    gso.u.gso.size = 1448;
    gso.u.gso.type = XEN_NETIF_GSO_TYPE_TCPV4;
    const auto f = make_frame(9000, false, true);
    ASSERT_TRUE(rig.front.send(f, TxLayout{4096, 0, NETTXF_csum_blank, gso}));
    const auto rsp = rig.run_tx();
    ASSERT_EQ(rsp.size(), 4U); // 3 data slots + 1 extra
    EXPECT_EQ(rsp[0].status, NETIF_RSP_OKAY);
    EXPECT_EQ(rsp[1].status, NETIF_RSP_NULL);
    EXPECT_EQ(rsp[2].status, NETIF_RSP_OKAY);
    EXPECT_EQ(rsp[3].status, NETIF_RSP_OKAY);
    auto p = peer_recv(rig.peer.get());
    ASSERT_TRUE(p);
    EXPECT_EQ(p->hdr.gso_type, VIRTIO_NET_HDR_GSO_TCPV4);
    EXPECT_EQ(p->hdr.gso_size, 1448);
    EXPECT_EQ(p->hdr.hdr_len, 54);
    EXPECT_EQ(p->hdr.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
    EXPECT_EQ(p->frame, f);
}

TEST(NetTx, ThousandPacketsThroughAThreadedQueueArriveInOrder) {
    NetRig rig;
    rig.backend->start();
    constexpr int kPackets = 1000;
    int sent = 0, received = 0, answered = 0;
    std::uint64_t want = 0, got = 0;
    while (received < kPackets) {
        while (sent < kPackets &&
               rig.front.send(make_frame(60 + static_cast<std::size_t>(sent % 1400), false, false,
                                         false, static_cast<std::uint8_t>(sent)))) {
            want = want * 31 +
                   testing::fnv1a(make_frame(60 + static_cast<std::size_t>(sent % 1400), false,
                                             false, false, static_cast<std::uint8_t>(sent)));
            ++sent;
        }
        if (rig.front.push_tx()) {
            const std::uint64_t one = 1;
            ASSERT_EQ(::write(rig.kick.get(), &one, sizeof one), 8);
        }
        while (auto p = peer_recv(rig.peer.get())) {
            got = got * 31 + testing::fnv1a(p->frame);
            ++received;
        }
        answered += static_cast<int>(rig.front.take_tx().size());
        std::this_thread::yield();
    }
    while (answered < kPackets) {
        answered += static_cast<int>(rig.front.take_tx().size());
        std::this_thread::yield();
    }
    rig.backend->stop();
    EXPECT_EQ(got, want);
    EXPECT_EQ(answered, kPackets);
    EXPECT_EQ(rig.counters().tx_packets.load(), static_cast<std::uint64_t>(kPackets));
}

TEST(NetTx, CountersFormatNamesEveryReason) {
    NetRig rig;
    const std::string s = rig.counters().format();
    EXPECT_NE(s.find("tx_packets 0\n"), std::string::npos);
    EXPECT_NE(s.find("invalid.tx_bad_extra 0\n"), std::string::npos);
    EXPECT_NE(s.find("invalid.rx_bad_grant 0\n"), std::string::npos);
}

} // namespace
} // namespace pvisor::backend
