// ring_properties_test.cpp: pv/ring_ops.h properties: sizes, wrap-around, full/empty, notify,
// hostile peers.
#include "ring_ops_c.h"

#include <array>
#include <cstdint>
#include <gtest/gtest.h>
#include <pv/blkif.h>
#include <pv/ring_ops.h>
#include <vector>

namespace {

constexpr pv_u32 kEntry = 112; // blkif-sized entries: 32 per page
constexpr pv_u32 kNearWrap = 0xFFFFFFF0U;

// A ring of `pages` pages with one frontend and one backend view on it.
struct RingPair {
    explicit RingPair(pv_u32 pages, pv_u32 start = 0, pv_u32 entry = kEntry)
        : mem(PV_RING_BYTES(pages) / 8U), bytes(PV_RING_BYTES(pages)) {
        pv_sring_init_at(mem.data(), bytes, start);
        EXPECT_EQ(pv_front_ring_attach(&front, mem.data(), bytes, entry), 0);
        EXPECT_EQ(pv_back_ring_attach(&back, mem.data(), bytes, entry), 0);
    }
    pv_sring_hdr* hdr() { return front.sring; }

    std::vector<std::uint64_t> mem; // 8-byte aligned backing for the shared pages
    pv_u32 bytes;
    pv_front_ring front{};
    pv_back_ring back{};
};

pv_u32 produce_n(pv_front_ring* f, pv_u32 first, pv_u32 n) {
    pv_u32 made = 0;
    for (pv_u32 v = first; made < n && pv_front_produce(f, &v, sizeof(v)) == 0; ++v) {
        ++made;
    }
    return made;
}

TEST(RingSize, LargestPowerOfTwoThatFits) {
    EXPECT_EQ(pv_ring_entries(4096, 112), 32U);
    EXPECT_EQ(pv_ring_entries(4096 * 16, 112), 512U);
    EXPECT_EQ(pv_ring_entries(4096, 64), 32U);
    EXPECT_EQ(pv_ring_entries(4096, 4032), 1U);
    EXPECT_EQ(pv_ring_entries(4096, 4033), 0U);
    EXPECT_EQ(pv_ring_entries(4096, 0), 0U);
    EXPECT_EQ(pv_ring_entries(63, 1), 0U);
    EXPECT_EQ(pv_ring_entries(4096, 1), 2048U);
    static_assert(PV_RING_SIZE(PV_RING_BYTES(4U), 112U) == 128U);
    for (pv_u32 pages = 1; pages <= 16; pages *= 2) {
        for (pv_u32 entry : {8U, 16U, 36U, 64U, 112U, 200U}) {
            EXPECT_EQ(pv_ring_entries(PV_RING_BYTES(pages), entry),
                      PV_RING_SIZE(PV_RING_BYTES(pages), entry))
                << pages << " pages, entry " << entry;
        }
    }
    pv_front_ring f{};
    std::array<std::uint64_t, 8> tiny{}; // the header, no room for an entry
    EXPECT_EQ(pv_front_ring_attach(&f, tiny.data(), sizeof(tiny), kEntry), -1);
}

// blkif.h states its ring geometry by hand; it must agree with the generic rule.
TEST(RingSize, BlkifConstantsAgreeWithRingRule) {
    static_assert(PV_BLKIF_RING_HEADER_SIZE == PV_RING_HEADER_SIZE);
    static_assert(PV_RING_SIZE(PV_RING_BYTES(1U), sizeof(union blkif_sring_entry)) ==
                  PV_BLKIF_RING_SIZE_1PAGE);
    for (pv_u32 order = 0; order <= PV_BLKIF_MAX_RING_PAGE_ORDER; ++order) {
        EXPECT_EQ(pv_ring_entries(PV_RING_BYTES(1U << order), sizeof(union blkif_sring_entry)),
                  PV_BLKIF_RING_SIZE_ORDER(order))
            << "order " << order;
    }
}

TEST(RingInit, FrontendInitialisesHeader) {
    RingPair r(1);
    EXPECT_EQ(r.hdr()->req_prod, 0U);
    EXPECT_EQ(r.hdr()->rsp_prod, 0U);
    EXPECT_EQ(r.hdr()->req_event, 1U);
    EXPECT_EQ(r.hdr()->rsp_event, 1U);
    EXPECT_EQ(r.front.size, 32U);
    EXPECT_EQ(pv_front_free_slots(&r.front), 32U);
}

TEST(RingEmptyFull, EmptyRingHasNoWork) {
    RingPair r(1);
    pv_u32 v = 0;
    pv_u32 n = 99;
    EXPECT_EQ(pv_back_unconsumed_requests(&r.back, &n), 0);
    EXPECT_EQ(n, 0U);
    EXPECT_EQ(pv_back_consume_request(&r.back, &v, sizeof(v)), 0);
    EXPECT_EQ(pv_back_final_check_for_requests(&r.back), 0);
    EXPECT_EQ(pv_front_consume_response(&r.front, &v, sizeof(v)), 0);
    EXPECT_EQ(pv_front_final_check_for_responses(&r.front), 0);
    EXPECT_EQ(pv_back_produce_response(&r.back, &v, sizeof(v)), -1); // nothing to answer
}

TEST(RingEmptyFull, FullRingRefusesAndDrains) {
    RingPair r(1);
    EXPECT_EQ(produce_n(&r.front, 0, 100), 32U);
    EXPECT_EQ(pv_front_free_slots(&r.front), 0U);
    pv_u32 v = 7;
    EXPECT_EQ(pv_front_produce(&r.front, &v, sizeof(v)), -1);
    pv_front_push_requests(&r.front);
    pv_u32 n = 0;
    EXPECT_EQ(pv_back_unconsumed_requests(&r.back, &n), 0);
    EXPECT_EQ(n, 32U);
    // Consuming requests alone frees nothing: the slots hold the pending responses.
    for (pv_u32 i = 0; i < 32; ++i) {
        ASSERT_EQ(pv_back_consume_request(&r.back, &v, sizeof(v)), 1);
        EXPECT_EQ(v, i);
    }
    EXPECT_EQ(pv_front_free_slots(&r.front), 0U);
    for (pv_u32 i = 0; i < 32; ++i) {
        ASSERT_EQ(pv_back_produce_response(&r.back, &i, sizeof(i)), 0);
    }
    EXPECT_EQ(pv_back_produce_response(&r.back, &v, sizeof(v)), -1);
    pv_back_push_responses(&r.back);
    for (pv_u32 i = 0; i < 32; ++i) {
        ASSERT_EQ(pv_front_consume_response(&r.front, &v, sizeof(v)), 1);
        EXPECT_EQ(v, i);
    }
    EXPECT_EQ(pv_front_free_slots(&r.front), 32U);
}

TEST(RingWrap, IndicesCrossTwoToThe32) {
    RingPair r(1, kNearWrap);
    pv_u32 next = 0;
    pv_u32 got = 0;
    for (int round = 0; round < 4; ++round) { // 4 x 32 messages: indices cross 0 in round 0
        next += produce_n(&r.front, next, 32);
        pv_front_push_requests(&r.front);
        pv_u32 v = 0;
        while (pv_back_consume_request(&r.back, &v, sizeof(v)) == 1) {
            ASSERT_EQ(pv_back_produce_response(&r.back, &v, sizeof(v)), 0);
        }
        pv_back_push_responses(&r.back);
        while (pv_front_consume_response(&r.front, &v, sizeof(v)) == 1) {
            ASSERT_EQ(v, got++);
        }
    }
    EXPECT_EQ(got, 128U);
    EXPECT_EQ(r.front.rsp_cons, kNearWrap + 128U);
    EXPECT_EQ(r.hdr()->req_prod, 0x70U);
    EXPECT_FALSE(r.back.broken);
    EXPECT_FALSE(r.front.broken);
}

TEST(RingWrap, CCompiledLogicAcrossWrap) {
    std::vector<std::uint64_t> mem(512);
    EXPECT_EQ(pv_ring_c_roundtrip(mem.data(), 4096, kNearWrap, 100000),
              static_cast<long>(static_cast<pv_u32>(kNearWrap + 100000U)));
    EXPECT_EQ(pv_ring_c_roundtrip(mem.data(), 4096, 0, 1000), 1000L);
}

struct NotifyCase {
    pv_u32 old_prod;
    pv_u32 new_prod;
    pv_u32 event;
    int notify;
};

TEST(RingNotify, DecisionTable) {
    const NotifyCase cases[] = {
        {0, 1, 1, 1}, // peer waits for the first entry
        {0, 1, 2, 0}, // peer waits further on
        {0, 5, 3, 1}, // event inside (old, new]
        {0, 5, 5, 1}, // event == new
        {0, 5, 0, 0}, // event == old: already passed
        {0, 5, 6, 0}, // beyond new
        {5, 5, 5, 0}, // empty push never notifies
        {5, 5, 6, 0},
        {0xFFFFFFFEU, 2, 0xFFFFFFFFU, 1}, // range crosses 2^32
        {0xFFFFFFFEU, 2, 0, 1},
        {0xFFFFFFFEU, 2, 2, 1},
        {0xFFFFFFFEU, 2, 3, 0},
        {0xFFFFFFFEU, 2, 0xFFFFFFFEU, 0},
        {10, 20, 0x80000000U, 0}, // stale / far-away event index
    };
    for (const NotifyCase& c : cases) {
        EXPECT_EQ(pv_ring_need_notify(c.old_prod, c.new_prod, c.event), c.notify)
            << c.old_prod << " -> " << c.new_prod << " event " << c.event;
        EXPECT_EQ(pv_ring_c_need_notify(c.old_prod, c.new_prod, c.event), c.notify);
    }
}

TEST(RingNotify, HoldOffUntilConsumerAsksAgain) {
    RingPair r(1, kNearWrap);
    pv_u32 v = 0;
    EXPECT_EQ(produce_n(&r.front, 0, 1), 1U);
    EXPECT_EQ(pv_front_push_requests(&r.front), 1); // req_event = start + 1
    EXPECT_EQ(produce_n(&r.front, 1, 3), 3U);
    EXPECT_EQ(pv_front_push_requests(&r.front), 0);          // backend has not re-armed
    EXPECT_EQ(pv_back_final_check_for_requests(&r.back), 1); // work pending: no re-arm
    while (pv_back_consume_request(&r.back, &v, sizeof(v)) == 1) {
        pv_back_produce_response(&r.back, &v, sizeof(v));
    }
    EXPECT_EQ(pv_back_final_check_for_requests(&r.back), 0); // re-armed at req_cons + 1
    EXPECT_EQ(r.hdr()->req_event, kNearWrap + 5U);
    EXPECT_EQ(pv_front_push_requests(&r.front), 0); // nothing new: no notify
    EXPECT_EQ(produce_n(&r.front, 4, 2), 2U);
    EXPECT_EQ(pv_front_push_requests(&r.front), 1);
    // Responses: the frontend armed rsp_event = start + 1 at init.
    EXPECT_EQ(pv_back_push_responses(&r.back), 1);
    EXPECT_EQ(pv_back_push_responses(&r.back), 0);
}

TEST(RingHostile, ProducerPastTheRingBreaksIt) {
    RingPair r(1);
    pv_u32 v = 0;
    pv_u32 n = 0;
    r.hdr()->req_prod = 32; // exactly full: legal
    EXPECT_EQ(pv_back_unconsumed_requests(&r.back, &n), 0);
    EXPECT_EQ(n, 32U);
    r.hdr()->req_prod = 33; // would overwrite an unanswered request
    EXPECT_EQ(pv_back_consume_request(&r.back, &v, sizeof(v)), -1);
    EXPECT_TRUE(r.back.broken);
    r.hdr()->req_prod = 1; // sticky: repairing the index does not unbreak
    EXPECT_EQ(pv_back_consume_request(&r.back, &v, sizeof(v)), -1);
    EXPECT_EQ(pv_back_final_check_for_requests(&r.back), -1);
}

TEST(RingHostile, ProducerGoingBackwardsBreaksIt) {
    RingPair r(1, kNearWrap);
    pv_u32 v = 0;
    r.hdr()->req_prod = kNearWrap + 20U;
    for (int i = 0; i < 20; ++i) {
        ASSERT_EQ(pv_back_consume_request(&r.back, &v, sizeof(v)), 1);
    }
    pv_back_produce_response(&r.back, &v, sizeof(v)); // rsp_prod_pvt = start + 1
    r.hdr()->req_prod = kNearWrap + 19U;              // behind req_cons
    pv_u32 n = 0;
    EXPECT_EQ(pv_back_unconsumed_requests(&r.back, &n), -1);
    EXPECT_EQ(n, 0U);
    EXPECT_TRUE(r.back.broken);
}

TEST(RingHostile, BackendAnsweringUnaskedBreaksFrontend) {
    RingPair r(1);
    pv_u32 v = 0;
    EXPECT_EQ(produce_n(&r.front, 0, 3), 3U);
    pv_front_push_requests(&r.front);
    r.hdr()->rsp_prod = 3; // legal: three outstanding
    pv_u32 n = 0;
    EXPECT_EQ(pv_front_unconsumed_responses(&r.front, &n), 0);
    EXPECT_EQ(n, 3U);
    r.hdr()->rsp_prod = 4;
    EXPECT_EQ(pv_front_consume_response(&r.front, &v, sizeof(v)), -1);
    EXPECT_TRUE(r.front.broken);
    EXPECT_EQ(pv_front_final_check_for_responses(&r.front), -1);
}

TEST(RingCopy, ConsumerGetsAPrivateCopyClampedToTheEntry) {
    RingPair r(1, 0, 16);
    std::array<unsigned char, 16> req{};
    req.fill(0xAB);
    ASSERT_EQ(pv_front_produce(&r.front, req.data(), sizeof(req)), 0);
    pv_front_push_requests(&r.front);
    std::array<unsigned char, 32> out{};
    ASSERT_EQ(pv_back_consume_request(&r.back, out.data(), sizeof(out)), 1);
    r.back.entries[0] = 0x00; // the peer rewrites the slot after the copy
    EXPECT_EQ(out[0], 0xAB);
    EXPECT_EQ(out[15], 0xAB);
    EXPECT_EQ(out[16], 0x00); // only one entry copied
}

TEST(RingMultiPage, SixteenPagesHold512) {
    RingPair r(16);
    EXPECT_EQ(r.front.size, 512U);
    EXPECT_EQ(produce_n(&r.front, 0, 1000), 512U);
    pv_front_push_requests(&r.front);
    pv_u32 v = 0;
    for (pv_u32 i = 0; i < 512; ++i) {
        ASSERT_EQ(pv_back_consume_request(&r.back, &v, sizeof(v)), 1);
        ASSERT_EQ(v, i);
    }
    EXPECT_EQ(pv_back_consume_request(&r.back, &v, sizeof(v)), 0);
}

TEST(RingAttach, RestartedBackendResumesAtRspProd) {
    RingPair r(1);
    EXPECT_EQ(produce_n(&r.front, 0, 5), 5U);
    pv_front_push_requests(&r.front);
    pv_u32 v = 0;
    for (int i = 0; i < 2; ++i) {
        pv_back_consume_request(&r.back, &v, sizeof(v));
        pv_back_produce_response(&r.back, &v, sizeof(v));
    }
    pv_back_consume_request(&r.back, &v, sizeof(v)); // consumed, never answered: dies
    pv_back_push_responses(&r.back);
    pv_back_ring fresh{};
    ASSERT_EQ(pv_back_ring_attach(&fresh, r.mem.data(), r.bytes, kEntry), 0);
    EXPECT_EQ(fresh.req_cons, 2U);
    ASSERT_EQ(pv_back_consume_request(&fresh, &v, sizeof(v)), 1);
    EXPECT_EQ(v, 2U); // the unanswered request is seen again
}

} // namespace
