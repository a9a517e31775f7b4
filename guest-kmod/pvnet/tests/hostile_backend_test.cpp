// hostile_backend_test.cpp: pvnet's rx.c and tx.c, built for userspace, against a hostile backend.
#include "backend_harness.h"

#include <cstdint>
#include <cstring>
#include <gtest/gtest.h>
#include <pv/netif.h>
#include <vector>

namespace {

constexpr std::uint16_t PVNET_TEST_TX_RING_SIZE = 256;

struct Slot {
    std::uint16_t id;
    std::uint32_t gref;
};

class PvnetRx : public ::testing::Test {
  protected:
    void SetUp() override { rxh_setup(); }
    void TearDown() override {
        rxh_teardown();
        rxh_result r{};
        rxh_get(&r);
        EXPECT_EQ(r.pages_live, leaked_) << "every page freed at teardown";
    }
    unsigned leaked_ = 0; // pages a test makes the backend keep (pvnet must not free them)
    Slot take() {
        Slot s{};
        EXPECT_TRUE(rxh_take_request(&s.id, &s.gref));
        return s;
    }
    rxh_result poll() {
        rxh_poll(64);
        rxh_result r{};
        rxh_get(&r);
        return r;
    }
};

TEST_F(PvnetRx, OneSlotPacketIsDeliveredWithItsBytes) {
    Slot s = take();
    rxh_fill(s.gref, 100, 60, 3);
    rxh_respond(s.id, 100, NETRXF_data_validated, 60);
    rxh_push();
    rxh_result r = poll();
    EXPECT_EQ(r.delivered, 1U);
    EXPECT_EQ(r.last_len, 60U);
    EXPECT_EQ(r.last_sum, 180U);
    EXPECT_EQ(r.last_ip_summed, 1); // CHECKSUM_UNNECESSARY
    EXPECT_EQ(r.stat[RXH_PACKETS], 1U);
    EXPECT_EQ(r.stat[RXH_BYTES], 60U);
    EXPECT_FALSE(r.broken);
    EXPECT_EQ(r.posted, 255U) << "one slot is not yet a refill batch";
}

TEST_F(PvnetRx, FreedSlotsArePostedAgainInBatches) {
    for (unsigned i = 0; i < 32; ++i) {
        Slot s = take();
        rxh_fill(s.gref, 0, 60, 1);
        rxh_respond(s.id, 0, 0, 60);
    }
    rxh_push();
    rxh_result r = poll();
    EXPECT_EQ(r.delivered, 32U);
    EXPECT_EQ(r.posted, 256U);
    // The backend sees the new requests: 32 more to take.
    for (unsigned i = 0; i < 256; ++i)
        take();
    std::uint16_t id = 0;
    std::uint32_t gref = 0;
    EXPECT_FALSE(rxh_take_request(&id, &gref));
}

TEST_F(PvnetRx, ThreeSlotGsoPacketKeepsItsExtra) {
    Slot a = take(), x = take(), b = take(), c = take();
    rxh_fill(a.gref, 0, 4096, 1);
    rxh_fill(b.gref, 0, 4096, 1);
    rxh_fill(c.gref, 0, 1000, 1);
    rxh_respond(a.id, 0,
                NETRXF_more_data | NETRXF_extra_info | NETRXF_csum_blank | NETRXF_data_validated,
                4096);
    rxh_respond_extra(XEN_NETIF_EXTRA_TYPE_GSO, 0, 1448, XEN_NETIF_GSO_TYPE_TCPV4);
    rxh_respond(b.id, 0, NETRXF_more_data, 4096);
    rxh_respond(c.id, 0, 0, 1000);
    rxh_push();
    (void)x;
    rxh_result r = poll();
    EXPECT_EQ(r.delivered, 1U);
    EXPECT_EQ(r.last_len, 4096U * 2 + 1000U);
    EXPECT_EQ(r.last_sum, 4096U * 2 + 1000U);
    EXPECT_EQ(r.last_gso_size, 1448U);
    EXPECT_EQ(r.last_gso_type, (1U << 0) | (1U << 1)); // TCPV4 | DODGY
    EXPECT_EQ(r.last_ip_summed, 3);                    // CHECKSUM_PARTIAL
    EXPECT_FALSE(r.broken);
}

TEST_F(PvnetRx, SizePastThePageIsDroppedNotRead) {
    Slot s = take();
    rxh_respond(s.id, 4000, 0, 200);
    rxh_push();
    rxh_result r = poll();
    EXPECT_EQ(r.delivered, 0U);
    EXPECT_EQ(r.stat[RXH_BAD_SIZE], 1U);
    EXPECT_EQ(r.stat[RXH_DROPS], 1U);
    EXPECT_FALSE(r.broken);
}

TEST_F(PvnetRx, ZeroSizeAndErrorStatusAreDropped) {
    Slot a = take(), b = take();
    rxh_respond(a.id, 0, 0, 0);
    rxh_respond(b.id, 0, 0, NETIF_RSP_ERROR);
    rxh_push();
    rxh_result r = poll();
    EXPECT_EQ(r.delivered, 0U);
    EXPECT_EQ(r.stat[RXH_BAD_SIZE], 1U);
    EXPECT_EQ(r.stat[RXH_ERROR_STATUS], 1U);
    EXPECT_EQ(r.stat[RXH_DROPS], 2U);
    EXPECT_FALSE(r.broken);
}

TEST_F(PvnetRx, WrongIdIsDropped) {
    Slot s = take();
    rxh_fill(s.gref, 0, 60, 1);
    rxh_respond(static_cast<std::uint16_t>(s.id + 7), 0, 0, 60);
    rxh_push();
    rxh_result r = poll();
    EXPECT_EQ(r.delivered, 0U);
    EXPECT_EQ(r.stat[RXH_BAD_ID], 1U);
    EXPECT_FALSE(r.broken);
}

TEST_F(PvnetRx, ResponseProducerPastTheRequestsBreaksTheQueue) {
    rxh_bump_rsp_prod(257);
    rxh_result r = poll();
    EXPECT_TRUE(r.broken);
    EXPECT_EQ(r.stat[RXH_RING_OVERFLOW], 1U);
    EXPECT_EQ(r.delivered, 0U);
    // A broken queue stays broken and reads nothing more.
    r = poll();
    EXPECT_EQ(r.stat[RXH_RING_OVERFLOW], 1U);
}

TEST_F(PvnetRx, ChainLongerThanTheSlotLimitBreaksTheQueue) {
    for (unsigned i = 0; i < XEN_NETIF_NR_SLOTS_MIN + 1; ++i) {
        Slot s = take();
        rxh_respond(s.id, 0, NETRXF_more_data, 100);
    }
    rxh_push();
    rxh_result r = poll();
    EXPECT_TRUE(r.broken);
    EXPECT_EQ(r.stat[RXH_TOO_MANY_SLOTS], 1U);
    EXPECT_EQ(r.delivered, 0U);
}

TEST_F(PvnetRx, ChainCutAtTheProducerBreaksTheQueue) {
    Slot s = take();
    rxh_respond(s.id, 0, NETRXF_more_data, 100);
    rxh_push();
    rxh_result r = poll();
    EXPECT_TRUE(r.broken);
    EXPECT_EQ(r.delivered, 0U);
}

TEST_F(PvnetRx, UnknownExtraTypeDropsThePacket) {
    Slot a = take(), x = take();
    (void)x;
    rxh_fill(a.gref, 0, 60, 1);
    rxh_respond(a.id, 0, NETRXF_extra_info, 60);
    rxh_respond_extra(XEN_NETIF_EXTRA_TYPE_HASH, 0, 0, 0);
    rxh_push();
    rxh_result r = poll();
    EXPECT_EQ(r.delivered, 0U);
    EXPECT_EQ(r.stat[RXH_BAD_EXTRA], 1U);
    EXPECT_FALSE(r.broken);
}

TEST_F(PvnetRx, EndlessExtraChainBreaksTheQueue) {
    Slot a = take();
    rxh_respond(a.id, 0, NETRXF_extra_info, 60);
    for (unsigned i = 0; i < PV_NETIF_MAX_EXTRAS + 1; ++i) {
        take();
        rxh_respond_extra(XEN_NETIF_EXTRA_TYPE_GSO, XEN_NETIF_EXTRA_FLAG_MORE, 1448,
                          XEN_NETIF_GSO_TYPE_TCPV4);
    }
    rxh_push();
    rxh_result r = poll();
    EXPECT_TRUE(r.broken);
    EXPECT_EQ(r.delivered, 0U);
}

TEST_F(PvnetRx, GsoWithoutPartialChecksumIsDropped) {
    Slot a = take(), x = take();
    (void)x;
    rxh_fill(a.gref, 0, 60, 1);
    rxh_respond(a.id, 0, NETRXF_extra_info | NETRXF_data_validated, 60);
    rxh_respond_extra(XEN_NETIF_EXTRA_TYPE_GSO, 0, 1448, XEN_NETIF_GSO_TYPE_TCPV6);
    rxh_push();
    rxh_result r = poll();
    EXPECT_EQ(r.delivered, 0U);
    EXPECT_EQ(r.stat[RXH_BAD_FLAGS], 1U);
}

TEST_F(PvnetRx, BadPartialChecksumIsDropped) {
    rxh_set_csum_ok(false);
    Slot a = take();
    rxh_fill(a.gref, 0, 60, 1);
    rxh_respond(a.id, 0, NETRXF_csum_blank | NETRXF_data_validated, 60);
    rxh_push();
    rxh_result r = poll();
    EXPECT_EQ(r.delivered, 0U);
    EXPECT_EQ(r.stat[RXH_CSUM_FAIL], 1U);
}

TEST_F(PvnetRx, PageStillMappedAfterItsResponseBreaksAndLeaksIt) {
    Slot a = take();
    rxh_keep_mapped(a.gref);
    leaked_ = 1;
    rxh_respond(a.id, 0, 0, 60);
    rxh_push();
    rxh_result r = poll();
    EXPECT_TRUE(r.broken);
    EXPECT_EQ(r.stat[RXH_GRANT_BUSY], 1U);
}

TEST_F(PvnetRx, BudgetBoundsOnePoll) {
    for (unsigned i = 0; i < 10; ++i) {
        Slot s = take();
        rxh_fill(s.gref, 0, 60, 1);
        rxh_respond(s.id, 0, 0, 60);
    }
    rxh_push();
    EXPECT_EQ(rxh_poll(4), 4);
    EXPECT_EQ(rxh_poll(64), 6);
    rxh_result r{};
    rxh_get(&r);
    EXPECT_EQ(r.delivered, 10U);
}

} // namespace

namespace {

// The transmit side against the same (hostile) backend.
class PvnetTx : public ::testing::Test {
  protected:
    void SetUp() override { rxh_setup(); }
    void TearDown() override {
        rxh_teardown();
        rxh_result r{};
        rxh_get(&r);
        EXPECT_EQ(r.skbs_live, leaked_skbs_) << "every skb freed at teardown";
        EXPECT_EQ(r.tx_grants_live, leaked_refs_) << "every tx grant released";
    }
    std::vector<txh_request> take_all() {
        std::vector<txh_request> v;
        txh_request r{};
        while (txh_take(&r))
            v.push_back(r);
        return v;
    }
    rxh_result result() {
        rxh_result r{};
        rxh_get(&r);
        return r;
    }
    unsigned leaked_skbs_ = 0;
    unsigned leaked_refs_ = 0;
};

TEST_F(PvnetTx, SgPacketIsOneChainWithTotalSizeInSlotZero) {
    ASSERT_EQ(txh_send(100, 2, 1000, 0), 0);
    std::vector<txh_request> v = take_all();
    ASSERT_EQ(v.size(), 3U);
    EXPECT_EQ(v[0].size, 2100U);
    EXPECT_EQ(v[0].flags, NETTXF_more_data);
    EXPECT_EQ(v[1].size, 1000U);
    EXPECT_EQ(v[1].flags, NETTXF_more_data);
    EXPECT_EQ(v[2].size, 1000U);
    EXPECT_EQ(v[2].flags, 0U);
    for (const txh_request& r : v)
        txh_respond(r.id, NETIF_RSP_OKAY);
    txh_complete();
    rxh_result r = result();
    EXPECT_EQ(r.tx_stat[TXH_PACKETS], 1U);
    EXPECT_EQ(r.tx_stat[TXH_BYTES], 2100U);
    EXPECT_EQ(r.skbs_live, 0U) << "the skb goes with its last slot";
    EXPECT_FALSE(r.broken);
}

TEST_F(PvnetTx, GsoPacketCarriesItsExtraAfterSlotZero) {
    ASSERT_EQ(txh_send(200, 1, 3000, 1448), 0);
    std::vector<txh_request> v = take_all();
    ASSERT_EQ(v.size(), 3U);
    EXPECT_EQ(v[0].flags,
              NETTXF_csum_blank | NETTXF_data_validated | NETTXF_extra_info | NETTXF_more_data);
    netif_extra_info ex{};
    std::memcpy(&ex, v[1].raw, sizeof(ex));
    EXPECT_EQ(ex.type, XEN_NETIF_EXTRA_TYPE_GSO);
    EXPECT_EQ(ex.flags, 0U);
    EXPECT_EQ(ex.u.gso.size, 1448U);
    EXPECT_EQ(ex.u.gso.type, XEN_NETIF_GSO_TYPE_TCPV4);
    EXPECT_EQ(v[2].size, 3000U);
    txh_respond(v[0].id, NETIF_RSP_OKAY);
    txh_respond(0xffff, NETIF_RSP_NULL); // the extra's answer: no id
    txh_respond(v[2].id, NETIF_RSP_OKAY);
    txh_complete();
    EXPECT_FALSE(result().broken);
    EXPECT_EQ(result().skbs_live, 0U);
}

TEST_F(PvnetTx, ShortFrameIsPaddedToTheMinimum) {
    ASSERT_EQ(txh_send(20, 0, 0, 0), 0);
    std::vector<txh_request> v = take_all();
    ASSERT_EQ(v.size(), 1U);
    EXPECT_EQ(v[0].size, 60U);
    txh_respond(v[0].id, NETIF_RSP_OKAY);
    txh_complete();
}

TEST_F(PvnetTx, ErrorAnswersAreCountedNotFatal) {
    ASSERT_EQ(txh_send(100, 0, 0, 0), 0);
    ASSERT_EQ(txh_send(100, 0, 0, 0), 0);
    std::vector<txh_request> v = take_all();
    ASSERT_EQ(v.size(), 2U);
    txh_respond(v[0].id, NETIF_RSP_ERROR);
    txh_respond(v[1].id, 77);
    txh_complete();
    rxh_result r = result();
    EXPECT_EQ(r.tx_stat[TXH_ERRORS], 1U);
    EXPECT_EQ(r.tx_stat[TXH_BAD_STATUS], 1U);
    EXPECT_FALSE(r.broken);
}

TEST_F(PvnetTx, IdOutOfRangeBreaksTheQueue) {
    ASSERT_EQ(txh_send(100, 0, 0, 0), 0);
    std::vector<txh_request> v = take_all();
    txh_respond(PVNET_TEST_TX_RING_SIZE, NETIF_RSP_OKAY);
    txh_complete();
    rxh_result r = result();
    EXPECT_TRUE(r.broken);
    EXPECT_EQ(r.tx_stat[TXH_BAD_ID], 1U);
}

TEST_F(PvnetTx, IdAnsweredTwiceBreaksTheQueue) {
    ASSERT_EQ(txh_send(100, 0, 0, 0), 0);
    ASSERT_EQ(txh_send(100, 0, 0, 0), 0);
    std::vector<txh_request> v = take_all();
    txh_respond(v[0].id, NETIF_RSP_OKAY);
    txh_respond(v[0].id, NETIF_RSP_OKAY); // not outstanding any more
    txh_complete();
    rxh_result r = result();
    EXPECT_TRUE(r.broken);
    EXPECT_EQ(r.tx_stat[TXH_BAD_ID], 1U);
    // The broken queue drops what it is given.
    EXPECT_EQ(txh_send(100, 0, 0, 0), 0);
    EXPECT_EQ(result().tx_stat[TXH_DROPS], 1U);
}

TEST_F(PvnetTx, ResponseProducerPastTheRequestsBreaksTheQueue) {
    ASSERT_EQ(txh_send(100, 0, 0, 0), 0);
    take_all();
    txh_bump_rsp_prod(2);
    txh_complete();
    rxh_result r = result();
    EXPECT_TRUE(r.broken);
    EXPECT_EQ(r.tx_stat[TXH_RING_OVERFLOW], 1U);
    EXPECT_EQ(r.tx_stat[TXH_PACKETS], 1U);
}

TEST_F(PvnetTx, PageStillMappedAfterItsAnswerBreaksAndLeaksTheSkb) {
    ASSERT_EQ(txh_send(100, 0, 0, 0), 0);
    std::vector<txh_request> v = take_all();
    txh_keep_mapped(v[0].gref);
    txh_respond(v[0].id, NETIF_RSP_OKAY);
    txh_complete();
    rxh_result r = result();
    EXPECT_TRUE(r.broken);
    EXPECT_EQ(r.tx_stat[TXH_GRANT_BUSY], 1U);
    leaked_skbs_ = 1; // never freed under a backend that may still read it
    leaked_refs_ = 1;
}

TEST_F(PvnetTx, FullRingStopsTheQueueAndAnswersWakeIt) {
    unsigned sent = 0;
    while (txh_send(100, 0, 0, 0) == 0 && !result().tx_stopped)
        ++sent;
    ++sent; // the send that stopped the queue went out too
    rxh_result r = result();
    EXPECT_TRUE(r.tx_stopped);
    EXPECT_EQ(sent, PVNET_TEST_TX_RING_SIZE - (XEN_NETIF_NR_SLOTS_MIN + 1) + 1);
    for (const txh_request& q : take_all())
        txh_respond(q.id, NETIF_RSP_OKAY);
    txh_complete();
    EXPECT_FALSE(result().tx_stopped);
    EXPECT_EQ(result().skbs_live, 0U);
}

} // namespace
