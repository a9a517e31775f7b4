// net_rx_test.cpp: guest receive through the real backend: page filling, flags, GSO, waiting.
#include "net_offload.hpp"
#include "net_test_util.hpp"
#include "tap_device.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <thread>

namespace pvisor::backend {
namespace {

using testing::make_frame;
using testing::NetRig;
using testing::peer_send;

VnetHdr plain() {
    return VnetHdr{};
}

// The IPv4 pseudo-header sum of a frame from make_frame (no VLAN), folded, not inverted:
// what a sender leaves in the L4 checksum field of a partial-checksum frame.
std::uint16_t ipv4_pseudo(const std::vector<std::byte>& f) {
    auto u16 = [&f](std::size_t at) {
        return static_cast<std::uint32_t>((static_cast<unsigned>(f[at]) << 8) |
                                          static_cast<unsigned>(f[at + 1]));
    };
    std::uint32_t s = u16(26) + u16(28) + u16(30) + u16(32); // source and destination address
    s += static_cast<std::uint32_t>(f[23]);                  // protocol
    s += static_cast<std::uint32_t>(f.size() - 34);          // L4 length
    while (s >> 16)
        s = (s & 0xFFFF) + (s >> 16);
    return static_cast<std::uint16_t>(s);
}

// The full checksum of the UDP datagram in f (field included as it is), verified by summing.
bool udp_checksum_ok(const std::vector<std::byte>& f) {
    std::vector<std::byte> g = f;
    auto pseudo = ipv4_pseudo(f);
    std::uint32_t s = pseudo;
    for (std::size_t i = 34; i + 1 < g.size(); i += 2)
        s += (static_cast<unsigned>(g[i]) << 8) | static_cast<unsigned>(g[i + 1]);
    if ((g.size() - 34) % 2 != 0)
        s += static_cast<unsigned>(g.back()) << 8;
    while (s >> 16)
        s = (s & 0xFFFF) + (s >> 16);
    return s == 0xFFFF;
}

TEST(NetRx, FrameLandsInOnePageAtOffsetZero) {
    NetRig rig;
    const auto f = make_frame(1000, false, false, false, 5);
    ASSERT_EQ(rig.front.post_rx(4), 4U);
    ASSERT_TRUE(peer_send(rig.peer.get(), plain(), f));
    rig.queue().pump_rx(1);
    auto pk = rig.front.take_rx();
    ASSERT_EQ(pk.size(), 1U);
    EXPECT_EQ(pk[0].data, f);
    EXPECT_EQ(pk[0].flags, 0);
    EXPECT_FALSE(pk[0].error);
    EXPECT_EQ(rig.counters().rx_packets.load(), 1U);
    EXPECT_EQ(rig.counters().rx_bytes.load(), 1000U);
    EXPECT_EQ(rig.grants.pinned_refs(), 2U);
}

TEST(NetRx, LargeFrameSpansPagesWithMoreData) {
    NetRig rig;
    const auto f = make_frame(9000, false, false, false, 6);
    ASSERT_EQ(rig.front.post_rx(8), 8U);
    ASSERT_TRUE(peer_send(rig.peer.get(), plain(), f));
    rig.queue().pump_rx(1);
    auto pk = rig.front.take_rx();
    ASSERT_EQ(pk.size(), 1U);
    EXPECT_EQ(pk[0].data, f);
    EXPECT_NE(pk[0].flags & NETRXF_more_data, 0);
}

TEST(NetRx, FrameWaitsForPagesAndIsDeliveredWhenTheyArrive) {
    NetRig rig;
    const auto f = make_frame(9000, false, false, false, 7);
    ASSERT_EQ(rig.front.post_rx(1), 1U); // three are needed
    ASSERT_TRUE(peer_send(rig.peer.get(), plain(), f));
    rig.queue().pump_rx(1);
    EXPECT_TRUE(rig.front.take_rx().empty());
    EXPECT_TRUE(rig.queue().rx_waiting());
    ASSERT_EQ(rig.front.post_rx(2), 2U);
    rig.queue().drain();
    auto pk = rig.front.take_rx();
    ASSERT_EQ(pk.size(), 1U);
    EXPECT_EQ(pk[0].data, f);
    EXPECT_EQ(rig.counters().rx_dropped.load(), 0U);
}

TEST(NetRx, PartialChecksumBecomesCsumBlank) {
    NetRig rig;
    auto f = make_frame(300);
    VnetHdr h = testing::partial_csum(34, 6);
    rig.front.post_rx(2);
    ASSERT_TRUE(peer_send(rig.peer.get(), h, f));
    h = VnetHdr{};
    h.flags = VIRTIO_NET_HDR_F_DATA_VALID;
    ASSERT_TRUE(peer_send(rig.peer.get(), h, f));
    rig.queue().pump_rx(2);
    auto pk = rig.front.take_rx();
    ASSERT_EQ(pk.size(), 2U);
    EXPECT_EQ(pk[0].flags, NETRXF_csum_blank | NETRXF_data_validated);
    EXPECT_EQ(pk[1].flags, NETRXF_data_validated);
}

TEST(NetRx, FrontendWithoutCsumOffloadGetsASoftwareChecksum) {
    NetFrontFeatures ff = testing::linux_like_front();
    ff.csum = false;
    NetRig rig(ff);
    auto f = make_frame(301); // odd length: the last byte is padded in the sum
    const std::uint16_t pseudo = ipv4_pseudo(f);
    f[40] = static_cast<std::byte>(pseudo >> 8);
    f[41] = static_cast<std::byte>(pseudo & 0xFF);
    VnetHdr h = testing::partial_csum(34, 6);
    rig.front.post_rx(1);
    ASSERT_TRUE(peer_send(rig.peer.get(), h, f));
    rig.queue().pump_rx(1);
    auto pk = rig.front.take_rx();
    ASSERT_EQ(pk.size(), 1U);
    EXPECT_EQ(pk[0].flags, NETRXF_data_validated);
    EXPECT_TRUE(udp_checksum_ok(pk[0].data));
    EXPECT_EQ(rig.counters().rx_sw_csum.load(), 1U);
}

TEST(NetRx, GsoFrameCarriesItsExtraInTheSecondSlot) {
    NetRig rig;
    const auto f = make_frame(20000, false, true, false, 8);
    VnetHdr h = testing::partial_csum(34, 16);
    h.gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
    h.gso_size = 1448;
    h.hdr_len = 54;
    rig.front.post_rx(16);
    ASSERT_TRUE(peer_send(rig.peer.get(), h, f));
    rig.queue().pump_rx(1);
    auto pk = rig.front.take_rx();
    ASSERT_EQ(pk.size(), 1U);
    EXPECT_EQ(pk[0].data, f);
    ASSERT_TRUE(pk[0].extra.has_value());
    EXPECT_EQ(pk[0].extra->type, XEN_NETIF_EXTRA_TYPE_GSO);
    EXPECT_EQ(pk[0].extra->u.gso.type, XEN_NETIF_GSO_TYPE_TCPV4);
    EXPECT_EQ(pk[0].extra->u.gso.size, 1448);
    EXPECT_EQ(pk[0].flags,
              NETRXF_csum_blank | NETRXF_data_validated | NETRXF_more_data | NETRXF_extra_info);
}

TEST(NetRx, FramesTheFrontendCannotTakeAreDroppedAndCounted) {
    NetFrontFeatures ff = testing::linux_like_front();
    ff.sg = ff.gso_tcpv4 = ff.gso_tcpv6 = false;
    NetRig rig(ff);
    rig.front.post_rx(8);
    VnetHdr gso = testing::partial_csum(34, 16);
    gso.gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
    gso.gso_size = 1448;
    ASSERT_TRUE(peer_send(rig.peer.get(), gso, make_frame(3000, false, true))); // GSO not asked for
    ASSERT_TRUE(peer_send(rig.peer.get(), plain(), make_frame(5000)));          // two pages, no sg
    ASSERT_TRUE(peer_send(rig.peer.get(), plain(), make_frame(10)));            // runt
    ASSERT_TRUE(peer_send(rig.peer.get(), plain(), make_frame(4096)));          // fits
    rig.queue().pump_rx(4);
    auto pk = rig.front.take_rx();
    ASSERT_EQ(pk.size(), 1U);
    EXPECT_EQ(pk[0].data.size(), 4096U);
    EXPECT_EQ(rig.counters().rx_dropped.load(), 3U);
    EXPECT_EQ(rig.counters().rx_packets.load(), 1U);
}

// The backend on its own thread: frames of many sizes from the host side, the frontend
// posting pages in small batches and notifying only when the event index asks for it. Every
// frame arrives once, in order (a lost wake-up would hang here).
TEST(NetRx, ThreadedQueueDeliversEveryFrameInOrder) {
    NetRig rig;
    rig.backend->start();
    constexpr int kFrames = 600;
    std::uint64_t want = 0;
    std::thread host([&rig, &want] {
        for (int i = 0; i < kFrames; ++i) {
            const auto f = make_frame(60 + static_cast<std::size_t>(i * 97) % 9000, false, false,
                                      false, static_cast<std::uint8_t>(i));
            want = want * 31 + testing::fnv1a(f);
            if (!peer_send(rig.peer.get(), plain(), f))
                return;
        }
    });
    std::uint64_t got = 0;
    int received = 0;
    const std::uint64_t one = 1;
    while (received < kFrames) {
        bool notify = false;
        rig.front.post_rx(8, &notify);
        if (notify) {
            ASSERT_EQ(::write(rig.kick.get(), &one, sizeof one), 8);
        }
        for (const auto& p : rig.front.take_rx()) {
            got = got * 31 + testing::fnv1a(p.data);
            ++received;
        }
        std::this_thread::yield();
    }
    host.join();
    rig.backend->stop();
    EXPECT_EQ(got, want);
    EXPECT_EQ(rig.counters().rx_packets.load(), static_cast<std::uint64_t>(kFrames));
    EXPECT_EQ(rig.counters().rx_dropped.load(), 0U);
}

// The real TAP path, inside a network namespace this test's thread creates (nothing can leave
// the machine): the frontend's frame comes out of the TAP's host side (seen by a packet
// socket on the interface), and a frame sent into the interface reaches the guest's page.
void real_tap_round_trip() {
    auto tap = TapDevice::open("pvtest%d", 1);
    ASSERT_TRUE(tap.ok());
    const int ifindex = tap->ifindex();
    UniqueFd pkt(::socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL)));
    ASSERT_TRUE(pkt.valid());
    sockaddr_ll sll{};
    sll.sll_family = AF_PACKET;
    sll.sll_protocol = htons(ETH_P_ALL);
    sll.sll_ifindex = ifindex;
    ASSERT_EQ(::bind(pkt.get(), reinterpret_cast<sockaddr*>(&sll), sizeof sll), 0);

    testing::FakeGuest guest;
    auto grants = GrantTableView::create(guest.memory(), guest.grant_frames()).value();
    testing::NetFront front(guest);
    NetQueueBinding b;
    b.tx_ring_ref = front.tx_ring_ref();
    b.rx_ring_ref = front.rx_ring_ref();
    b.kick = UniqueFd(::eventfd(0, EFD_CLOEXEC));
    b.raise = UniqueFd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    b.front = testing::linux_like_front();
    std::vector<NetQueueBinding> qs;
    qs.push_back(std::move(b));
    auto be = NetBackend::create(tap->name(), grants, tap->take_queues(), std::move(qs));
    ASSERT_TRUE(be.ok());

    // Guest -> TAP: an Ethernet frame with an unused EtherType (the host stack ignores it).
    auto out = make_frame(300);
    out[12] = std::byte{0x88};
    out[13] = std::byte{0xB5}; // IEEE local experimental EtherType
    ASSERT_TRUE(front.send(out));
    front.push_tx();
    (*be)->queue(0).drain();
    const auto rsp = front.take_tx();
    ASSERT_EQ(rsp.size(), 1U);
    EXPECT_EQ(rsp[0].status, NETIF_RSP_OKAY);
    std::vector<std::byte> got(2048);
    bool seen = false;
    for (int i = 0; i < 64 && !seen; ++i) { // skip whatever else the namespace emits
        const ssize_t n = ::recv(pkt.get(), got.data(), got.size(), 0);
        ASSERT_GT(n, 0);
        seen = std::equal(out.begin(), out.end(), got.begin()) &&
               n == static_cast<ssize_t>(out.size());
    }
    EXPECT_TRUE(seen);

    // Host -> guest: sent out of the interface by the packet socket, read from the TAP.
    front.post_rx(4);
    auto in = make_frame(500, false, false, false, 42);
    in[12] = std::byte{0x88};
    in[13] = std::byte{0xB5};
    ASSERT_EQ(::send(pkt.get(), in.data(), in.size(), 0), static_cast<ssize_t>(in.size()));
    bool delivered = false;
    for (std::uint64_t n = 1; n <= 64 && !delivered; ++n) {
        (*be)->queue(0).pump_rx(n);
        for (const auto& p : front.take_rx())
            delivered = delivered || p.data == in;
        front.post_rx(4);
    }
    EXPECT_TRUE(delivered);
    EXPECT_EQ((*be)->counters().tx_packets.load(), 1U);
    EXPECT_GE((*be)->counters().rx_packets.load(), 1U);
}

// A multi-queue TAP attached to a bridge (both made inside a private namespace).
void multi_queue_tap_on_a_bridge() {
    UniqueFd sock(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    ASSERT_TRUE(sock.valid());
    char br[IFNAMSIZ] = "pvbr0";
    ASSERT_EQ(::ioctl(sock.get(), SIOCBRADDBR, br), 0);
    auto tap = TapDevice::open("pvmq%d", 3, "pvbr0");
    ASSERT_TRUE(tap.ok());
    const auto queues = tap->take_queues(); // the TAP lives while its queue fds do
    EXPECT_EQ(queues.size(), 3U);
    // Detaching succeeds only for a port of the bridge.
    ifreq ifr{};
    std::memcpy(ifr.ifr_name, "pvbr0", 6);
    ifr.ifr_ifindex = tap->ifindex();
    EXPECT_EQ(::ioctl(sock.get(), SIOCBRDELIF, &ifr), 0);
    EXPECT_FALSE(TapDevice::open("pvmq%d", 1, "nosuchbr").ok());
}

TEST(NetRx, MultiQueueTapAttachesToABridge) {
    if (!testing::tap_usable())
        GTEST_SKIP() << "no TAP in a private netns here (needs CAP_NET_ADMIN, CAP_SYS_ADMIN, tun)";
    testing::in_private_netns(multi_queue_tap_on_a_bridge);
}

TEST(NetRx, RealTapCarriesFramesBothWays) {
    if (!testing::tap_usable())
        GTEST_SKIP() << "no TAP in a private netns here (needs CAP_NET_ADMIN, CAP_SYS_ADMIN, tun)";
    testing::in_private_netns(real_tap_round_trip); // the namespace stays on that thread
}

} // namespace
} // namespace pvisor::backend
