// hostile_backend_test.cpp: pvblk's response checks (shadow.c, as the module builds it) against
// a hostile backend: every field a backend writes, and its response producer index.
extern "C" {
#include "shadow.h"
}

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <gtest/gtest.h>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

// Opaque to shadow.c; here it names the request so each end can be checked.
struct request {
    std::uint32_t tag;
};

namespace {

struct Ended {
    std::uint32_t tag;
    std::uint8_t operation;
    blk_status_t status;
};

// What the callbacks saw (one fixture at a time: the tests are single-threaded).
struct Seen {
    std::vector<Ended> ended;
    std::vector<std::string> violations;
    std::vector<std::uint64_t> violation_ids;
};
Seen* g_seen = nullptr;

struct FreeDeleter {
    void operator()(void* p) const { std::free(p); }
};

class PvblkHostileBackend : public ::testing::Test {
  protected:
    void SetUp() override { attach(1); }
    void TearDown() override {
        // Whatever is left outstanding ends now (as at ring teardown): then every request
        // submitted has ended exactly once.
        pvblk_inflight_fail_all(&f_);
        std::map<std::uint32_t, int> ends;
        for (const Ended& e : seen_.ended)
            ++ends[e.tag];
        for (std::uint32_t i = 0; i < submitted_; ++i)
            EXPECT_EQ(ends[i], 1) << "request " << i << " ended exactly once";
        EXPECT_EQ(seen_.ended.size(), submitted_);
        g_seen = nullptr;
    }

    // A ring of @pages pages, fresh, the backend's view attached to the same memory.
    void attach(std::uint32_t pages) {
        const std::uint32_t bytes = PV_RING_BYTES(pages);
        page_.reset(std::aligned_alloc(4096, bytes));
        std::memset(page_.get(), 0, bytes);
        pv_sring_init(page_.get(), bytes);
        ASSERT_EQ(pv_front_ring_attach(&front_, page_.get(), bytes,
                                       sizeof(union blkif_sring_entry)),
                  0);
        ASSERT_EQ(pv_back_ring_attach(&back_, page_.get(), bytes,
                                      sizeof(union blkif_sring_entry)),
                  0);
        // Exactly front.size entries: an index past it is an ASan report, not a quiet read.
        shadow_.reset(static_cast<pvblk_shadow*>(std::calloc(front_.size, sizeof(pvblk_shadow))));
        reqs_.assign(front_.size * 4, request{});
        submitted_ = 0;
        rsp_prod_ = 0;
        f_ = {nullptr, &front_, shadow_.get()};
        g_seen = &seen_;
    }

    // Puts a request of @op (BLKIF_OP_INDIRECT: with @indirect_op) on the ring under the tag
    // @tag, as pvblk_submit does, and publishes it.
    int submit(std::uint32_t tag, std::uint8_t op, std::uint8_t indirect_op = BLKIF_OP_READ) {
        union blkif_request_any req;
        std::memset(&req, 0, sizeof req);
        if (op == BLKIF_OP_INDIRECT) {
            req.indirect.operation = op;
            req.indirect.indirect_op = indirect_op;
            req.indirect.nr_segments = 300;
        } else {
            req.rw.operation = op;
            req.rw.nr_segments = op == BLKIF_OP_FLUSH_DISKCACHE ? 0 : 1;
        }
        reqs_[submitted_].tag = submitted_;
        const int err = pvblk_inflight_produce(&f_, tag, &reqs_[submitted_], &req);
        if (err == 0) {
            ++submitted_;
            (void)pv_front_push_requests(&front_);
        }
        return err;
    }

    // Backend: takes the next request (its id and operation as written), false if none.
    bool take(std::uint64_t* id, std::uint8_t* op = nullptr) {
        union blkif_request_any req;
        if (pv_back_consume_request(&back_, &req, sizeof req) != 1)
            return false;
        *id = req.rw.id;
        if (op)
            *op = req.rw.operation;
        return true;
    }

    // Backend: publishes one more response, any field values, in the next slot; a hostile
    // backend may publish more of them than there are requests.
    void respond(std::uint64_t id, std::uint8_t op, std::int16_t status) {
        write_slot(rsp_prod_, id, op, status);
        set_rsp_prod(++rsp_prod_);
    }

    // Backend: takes the next request and answers it as sent (its id and operation) with
    // @status; the id.
    std::uint64_t answer_next(std::int16_t status) {
        std::uint64_t id = 0;
        std::uint8_t op = 0;
        EXPECT_TRUE(take(&id, &op));
        respond(id, op, status);
        return id;
    }

    // Backend: writes a response into the slot of index @idx (masked, as in the ring).
    void write_slot(std::uint32_t idx, std::uint64_t id, std::uint8_t op, std::int16_t status) {
        struct blkif_response rsp;
        std::memset(&rsp, 0, sizeof rsp);
        rsp.id = id;
        rsp.operation = op;
        rsp.status = status;
        auto* entries = static_cast<unsigned char*>(page_.get()) + PV_RING_HEADER_SIZE;
        std::memcpy(entries + (idx & (front_.size - 1)) * sizeof(union blkif_sring_entry), &rsp,
                    sizeof rsp);
    }
    void set_rsp_prod(std::uint32_t prod) {
        static_cast<pv_sring_hdr*>(page_.get())->rsp_prod = prod;
    }

    void drain() { pvblk_inflight_drain(&f_); }

    // The statuses requests ended with, by tag (-1: not ended).
    int status_of(std::uint32_t tag) const {
        for (const Ended& e : seen_.ended)
            if (e.tag == tag)
                return e.status;
        return -1;
    }
    std::uint32_t outstanding() const {
        std::uint32_t n = 0;
        for (std::uint32_t i = 0; i < front_.size; ++i)
            n += shadow_.get()[i].rq != nullptr;
        return n;
    }
    // The ring broke for @why, and nothing is outstanding.
    void expect_broken(const char* why) {
        ASSERT_EQ(seen_.violations.size(), 1U);
        EXPECT_EQ(seen_.violations[0], why);
        EXPECT_NE(front_.broken, 0) << "the ring is never read again";
        EXPECT_EQ(outstanding(), 0U) << "every outstanding request failed";
    }

    std::unique_ptr<void, FreeDeleter> page_;
    std::unique_ptr<pvblk_shadow, FreeDeleter> shadow_;
    pv_front_ring front_{};
    pv_back_ring back_{};
    pvblk_inflight f_{};
    std::vector<request> reqs_;
    std::uint32_t submitted_ = 0;
    std::uint32_t rsp_prod_ = 0; // the backend's next response index
    Seen seen_;
};

TEST_F(PvblkHostileBackend, WellBehavedResponsesEndTheirRequestsWithTheirStatus) {
    ASSERT_EQ(submit(0, BLKIF_OP_READ), 0);
    ASSERT_EQ(submit(5, BLKIF_OP_WRITE), 0);
    ASSERT_EQ(submit(31, BLKIF_OP_FLUSH_DISKCACHE), 0);
    ASSERT_EQ(submit(7, BLKIF_OP_INDIRECT), 0);
    for (int st : {BLKIF_RSP_OKAY, BLKIF_RSP_ERROR, BLKIF_RSP_EOPNOTSUPP, BLKIF_RSP_OKAY})
        answer_next(static_cast<std::int16_t>(st));
    drain();
    EXPECT_TRUE(seen_.violations.empty());
    EXPECT_EQ(front_.broken, 0);
    EXPECT_EQ(status_of(0), BLK_STS_OK);
    EXPECT_EQ(status_of(1), BLK_STS_IOERR);
    EXPECT_EQ(status_of(2), BLK_STS_NOTSUPP);
    EXPECT_EQ(status_of(3), BLK_STS_OK);
    ASSERT_EQ(seen_.ended.size(), 4U);
    EXPECT_EQ(seen_.ended[2].operation, BLKIF_OP_FLUSH_DISKCACHE);
    EXPECT_EQ(outstanding(), 0U);
}

TEST_F(PvblkHostileBackend, ProduceRefusesABusyOrOutOfRangeIdAndAFullRing) {
    EXPECT_EQ(submit(front_.size, BLKIF_OP_READ), -EBUSY);
    ASSERT_EQ(submit(3, BLKIF_OP_READ), 0);
    EXPECT_EQ(submit(3, BLKIF_OP_WRITE), -EBUSY) << "one request per id";
    answer_next(BLKIF_RSP_OKAY);
    for (std::uint32_t t = 0; t < front_.size; ++t) {
        if (t != 3) {
            ASSERT_EQ(submit(t, BLKIF_OP_READ), 0);
        }
    }
    EXPECT_EQ(outstanding(), front_.size);
    drain();
    EXPECT_EQ(status_of(0), BLK_STS_OK);
    ASSERT_EQ(submit(3, BLKIF_OP_READ), 0) << "consumed: the id is free again";
    EXPECT_EQ(submit(3, BLKIF_OP_READ), -EBUSY);
    EXPECT_TRUE(seen_.violations.empty());
}

TEST_F(PvblkHostileBackend, FullRingRefusesWithNoSpace) {
    for (std::uint32_t t = 0; t < front_.size; ++t)
        ASSERT_EQ(submit(t, BLKIF_OP_READ), 0);
    // The module's tags never outnumber the slots, so a full ring with a free id does not
    // arise there; a shadow entry cleared by hand makes one, and produce must still refuse.
    const pvblk_shadow saved = shadow_.get()[0];
    shadow_.get()[0].rq = nullptr;
    EXPECT_EQ(submit(0, BLKIF_OP_READ), -ENOSPC);
    shadow_.get()[0] = saved;
}

// Response ids that name no outstanding request: past the ring, a free slot, and ids whose
// low 32 bits name an outstanding request (a truncating check would accept them).
class PvblkUnknownId : public PvblkHostileBackend,
                       public ::testing::WithParamInterface<std::uint64_t> {};

TEST_P(PvblkUnknownId, BreaksTheRingAndFailsEveryOutstandingRequestWithEio) {
    ASSERT_EQ(submit(2, BLKIF_OP_READ), 0);
    ASSERT_EQ(submit(4, BLKIF_OP_WRITE), 0);
    ASSERT_EQ(submit(6, BLKIF_OP_READ), 0);
    answer_next(BLKIF_RSP_OKAY); // a good one first: it still counts
    std::uint64_t id = 0;
    std::uint8_t op = 0;
    ASSERT_TRUE(take(&id, &op));
    respond(GetParam(), op, BLKIF_RSP_OKAY);
    drain();
    expect_broken("response id not outstanding");
    EXPECT_EQ(seen_.violation_ids[0], GetParam());
    EXPECT_EQ(status_of(0), BLK_STS_OK);
    EXPECT_EQ(status_of(1), BLK_STS_IOERR);
    EXPECT_EQ(status_of(2), BLK_STS_IOERR);
}

INSTANTIATE_TEST_SUITE_P(Ids, PvblkUnknownId,
                         ::testing::Values(std::uint64_t{32}, std::uint64_t{33},
                                           std::uint64_t{0xffff}, std::uint64_t{3},
                                           std::uint64_t{0}, (std::uint64_t{1} << 32) | 4U,
                                           (std::uint64_t{1} << 63) | 2U, ~std::uint64_t{0}));

TEST_F(PvblkHostileBackend, AnIdAnsweredTwiceBreaksTheRingAndEndsItsRequestOnce) {
    ASSERT_EQ(submit(9, BLKIF_OP_READ), 0);
    ASSERT_EQ(submit(10, BLKIF_OP_READ), 0);
    respond(answer_next(BLKIF_RSP_OKAY), BLKIF_OP_READ, BLKIF_RSP_OKAY);
    drain();
    expect_broken("response id not outstanding");
    EXPECT_EQ(seen_.violation_ids[0], 9U);
    EXPECT_EQ(status_of(0), BLK_STS_OK);
    EXPECT_EQ(status_of(1), BLK_STS_IOERR);
}

TEST_F(PvblkHostileBackend, AnIdAnsweredAgainInALaterBatchBreaksTheRing) {
    ASSERT_EQ(submit(1, BLKIF_OP_WRITE), 0);
    ASSERT_EQ(submit(2, BLKIF_OP_WRITE), 0);
    answer_next(BLKIF_RSP_OKAY);
    drain();
    EXPECT_TRUE(seen_.violations.empty());
    respond(1, BLKIF_OP_WRITE, BLKIF_RSP_OKAY);
    drain();
    expect_broken("response id not outstanding");
    EXPECT_EQ(status_of(1), BLK_STS_IOERR);
}

struct OpCase {
    std::uint8_t sent;
    std::uint8_t answered;
};

class PvblkWrongOperation : public PvblkHostileBackend,
                            public ::testing::WithParamInterface<OpCase> {};

TEST_P(PvblkWrongOperation, BreaksTheRing) {
    ASSERT_EQ(submit(0, GetParam().sent), 0);
    ASSERT_EQ(submit(1, BLKIF_OP_READ), 0);
    std::uint64_t id = 0;
    ASSERT_TRUE(take(&id));
    respond(id, GetParam().answered, BLKIF_RSP_OKAY);
    drain();
    expect_broken("response operation differs from the request");
    EXPECT_EQ(status_of(0), BLK_STS_IOERR);
    EXPECT_EQ(status_of(1), BLK_STS_IOERR);
}

// An indirect request is answered as BLKIF_OP_INDIRECT (pv/blkif.h), not as its indirect_op.
INSTANTIATE_TEST_SUITE_P(
    Ops, PvblkWrongOperation,
    ::testing::Values(OpCase{BLKIF_OP_READ, BLKIF_OP_WRITE}, OpCase{BLKIF_OP_WRITE, BLKIF_OP_READ},
                      OpCase{BLKIF_OP_FLUSH_DISKCACHE, BLKIF_OP_WRITE},
                      OpCase{BLKIF_OP_DISCARD, BLKIF_OP_READ},
                      OpCase{BLKIF_OP_INDIRECT, BLKIF_OP_READ},
                      OpCase{BLKIF_OP_READ, BLKIF_OP_INDIRECT}, OpCase{BLKIF_OP_READ, 0xff},
                      OpCase{BLKIF_OP_WRITE, 0x81}));

class PvblkBadStatus : public PvblkHostileBackend,
                       public ::testing::WithParamInterface<std::int16_t> {};

TEST_P(PvblkBadStatus, BreaksTheRing) {
    ASSERT_EQ(submit(0, BLKIF_OP_READ), 0);
    ASSERT_EQ(submit(1, BLKIF_OP_WRITE), 0);
    answer_next(GetParam());
    drain();
    expect_broken("unknown response status");
    EXPECT_EQ(status_of(0), BLK_STS_IOERR) << "a bad status is no success";
    EXPECT_EQ(status_of(1), BLK_STS_IOERR);
}

INSTANTIATE_TEST_SUITE_P(Statuses, PvblkBadStatus,
                         ::testing::Values(std::int16_t{1}, std::int16_t{2}, std::int16_t{-3},
                                           std::int16_t{-5}, std::int16_t{0x7fff},
                                           std::int16_t{-0x8000}, std::int16_t{0x100}));

// rsp_prod (a backend's to write) moved past what is outstanding: ahead of req_prod, a whole
// ring ahead, backwards, wrapped. Nothing past the requests is read; every request fails.
class PvblkRspProdAhead : public PvblkHostileBackend,
                          public ::testing::WithParamInterface<std::uint32_t> {};

TEST_P(PvblkRspProdAhead, BreaksTheRingWithoutReadingPastTheRequests) {
    ASSERT_EQ(submit(0, BLKIF_OP_READ), 0);
    ASSERT_EQ(submit(1, BLKIF_OP_READ), 0);
    // Valid-looking responses in the slots, so only the producer index is wrong.
    for (std::uint32_t i = 0; i < front_.size; ++i)
        write_slot(i, i % 2, BLKIF_OP_READ, BLKIF_RSP_OKAY);
    set_rsp_prod(GetParam());
    drain();
    expect_broken("more responses than requests");
    EXPECT_EQ(status_of(0), BLK_STS_IOERR);
    EXPECT_EQ(status_of(1), BLK_STS_IOERR);
}

INSTANTIATE_TEST_SUITE_P(Producers, PvblkRspProdAhead,
                         ::testing::Values(3U, 4U, 32U, 33U, 64U, 0x80000000U, 0xffffffffU));

TEST_F(PvblkHostileBackend, RspProdAheadAfterGoodResponsesEndsThoseAndFailsTheRest) {
    for (std::uint32_t t = 0; t < 4; ++t)
        ASSERT_EQ(submit(t, BLKIF_OP_WRITE), 0);
    answer_next(BLKIF_RSP_OKAY);
    drain();
    ASSERT_TRUE(seen_.violations.empty());
    set_rsp_prod(1 + 4); // four more responses claimed, three requests outstanding
    drain();
    expect_broken("more responses than requests");
    EXPECT_EQ(status_of(0), BLK_STS_OK);
    for (std::uint32_t t = 1; t < 4; ++t)
        EXPECT_EQ(status_of(t), BLK_STS_IOERR);
}

TEST_F(PvblkHostileBackend, ABrokenRingIsNeverReadAgain) {
    ASSERT_EQ(submit(0, BLKIF_OP_READ), 0);
    respond(77, BLKIF_OP_READ, BLKIF_RSP_OKAY);
    drain();
    expect_broken("response id not outstanding");
    // The request the bad response did not name got EIO; a late, valid answer to it is
    // not read (the ring stays broken), so it cannot end twice.
    respond(0, BLKIF_OP_READ, BLKIF_RSP_OKAY);
    drain();
    EXPECT_EQ(seen_.ended.size(), 1U);
    EXPECT_EQ(status_of(0), BLK_STS_IOERR);
    EXPECT_NE(front_.broken, 0);
    EXPECT_EQ(seen_.violations.size(), 1U) << "reported once";
}

// The rest of what a backend writes is never trusted: the response's padding is not looked
// at, and req_event (where it asks to be notified) only decides whether to notify.
TEST_F(PvblkHostileBackend, PaddingAndReqEventChangeNothing) {
    static_cast<pv_sring_hdr*>(page_.get())->req_event = 0xdeadbeefU;
    ASSERT_EQ(submit(0, BLKIF_OP_READ), 0);
    ASSERT_EQ(submit(1, BLKIF_OP_WRITE), 0);
    for (std::uint32_t k = 0; k < 2; ++k) {
        answer_next(BLKIF_RSP_OKAY);
        auto* slot = static_cast<unsigned char*>(page_.get()) + PV_RING_HEADER_SIZE +
                     k * sizeof(union blkif_sring_entry);
        slot[offsetof(struct blkif_response, pad0)] = 0xff;
        std::memset(slot + offsetof(struct blkif_response, pad1), 0xff, 4);
    }
    drain();
    EXPECT_TRUE(seen_.violations.empty());
    EXPECT_EQ(status_of(0), BLK_STS_OK);
    EXPECT_EQ(status_of(1), BLK_STS_OK);
}

// A backend answering with random field values (and now and then a random producer index)
// on a 16-page ring: whatever it does, no request ends twice or is lost, nothing outside the
// ring or the shadow is touched (ASan), and a ring that breaks stays broken.
TEST_F(PvblkHostileBackend, RandomHostileResponsesNeverEndARequestTwice) {
    std::mt19937 rng(12345);
    for (int round = 0; round < 300; ++round) {
        pvblk_inflight_fail_all(&f_);
        // Each round's requests are counted by TearDown of one round: check here instead.
        std::map<std::uint32_t, int> ends;
        for (const Ended& e : seen_.ended)
            ++ends[e.tag];
        for (std::uint32_t i = 0; i < submitted_; ++i)
            ASSERT_EQ(ends[i], 1) << "round " << round << " request " << i;
        seen_ = Seen{};
        attach(round % 2 ? 16 : 1);
        const auto n = static_cast<std::uint32_t>(1 + rng() % front_.size);
        for (std::uint32_t t = 0; t < n; ++t)
            ASSERT_EQ(submit(t, static_cast<std::uint8_t>(rng() % 2 ? BLKIF_OP_INDIRECT
                                                                   : BLKIF_OP_WRITE)),
                      0);
        for (std::uint32_t k = 0; k < n + 2 && !front_.broken; ++k) {
            std::uint64_t id = 0;
            std::uint8_t op = 0;
            if (!take(&id, &op))
                op = BLKIF_OP_READ;
            switch (rng() % 6) {
            case 0: id = rng(); break;
            case 1: op = static_cast<std::uint8_t>(rng()); break;
            case 2: respond(id, op, static_cast<std::int16_t>(rng())); drain(); continue;
            case 3: set_rsp_prod(static_cast<std::uint32_t>(rng())); drain(); continue;
            default: break;
            }
            respond(id, op, static_cast<std::int16_t>(-static_cast<int>(rng() % 3)));
            drain();
        }
        if (!seen_.violations.empty())
            EXPECT_NE(front_.broken, 0);
        else
            EXPECT_EQ(seen_.ended.size() + outstanding(), submitted_);
    }
}

} // namespace

extern "C" void pvblk_end_request(struct pvblk_ring* ring, struct request* rq, u8 operation,
                                  blk_status_t status) {
    EXPECT_EQ(ring, nullptr);
    ASSERT_NE(g_seen, nullptr);
    g_seen->ended.push_back({rq->tag, operation, status});
}

extern "C" void pvblk_ring_violation(struct pvblk_ring* ring, const char* why, u64 id) {
    EXPECT_EQ(ring, nullptr);
    ASSERT_NE(g_seen, nullptr);
    g_seen->violations.push_back(why);
    g_seen->violation_ids.push_back(id);
}
