// blk_request_test.cpp: the request parser alone: each refusal reason and accepted forms.
#include "blk_request.hpp"
#include "blk_test_util.hpp"
#include "frontend_model.hpp"

#include <gtest/gtest.h>

namespace pvisor::backend {
namespace {

using testing::full_page;
using testing::make_rw;

class ParseTest : public ::testing::Test {
  protected:
    BlkInvalid reason(const blkif_request_any& r) {
        parse_blk_request(r, lim, grants, out);
        const auto* bad = std::get_if<BlkReject>(&out);
        return bad == nullptr ? BlkInvalid::count_ : bad->reason;
    }
    testing::FakeGuest guest;
    GrantTableView grants = GrantTableView::create(guest.memory(), guest.grant_frames()).value();
    BlkDiskLimits lim{.capacity_sectors = 4096};
    BlkParse out;
};

TEST_F(ParseTest, AcceptedReadKeepsIdAndSums) {
    EXPECT_EQ(reason(make_rw(BLKIF_OP_READ, 77, 8, {full_page(9), {10, 1, 2, 0}})),
              BlkInvalid::count_);
    const auto& r = std::get<BlkRequest>(out);
    EXPECT_EQ(r.id, 77U);
    EXPECT_EQ(r.nr_segments, 2U);
    EXPECT_EQ(r.nr_sectors, 10U);
    EXPECT_EQ(r.op, BlkOp::read);
}

TEST_F(ParseTest, FourKiBLogicalSectorsNeedWholeSectors) {
    lim.sector_size = 4096;
    EXPECT_EQ(reason(make_rw(BLKIF_OP_READ, 1, 8, {full_page(9)})), BlkInvalid::count_);
    EXPECT_EQ(reason(make_rw(BLKIF_OP_READ, 1, 4, {full_page(9)})), BlkInvalid::misaligned);
    EXPECT_EQ(reason(make_rw(BLKIF_OP_READ, 1, 8, {{9, 0, 3, 0}})), BlkInvalid::misaligned);
    blkif_request_any d{};
    d.discard.operation = BLKIF_OP_DISCARD;
    d.discard.sector_number = 8;
    d.discard.nr_sectors = 9;
    EXPECT_EQ(reason(d), BlkInvalid::misaligned);
    d.discard.nr_sectors = 16;
    EXPECT_EQ(reason(d), BlkInvalid::count_);
}

TEST_F(ParseTest, FeaturesNotOfferedAreEopnotsupp) {
    lim.flush = false;
    lim.discard = false;
    lim.max_indirect_segments = 0;
    EXPECT_EQ(reason(make_rw(BLKIF_OP_FLUSH_DISKCACHE, 1, 0, {})), BlkInvalid::not_negotiated);
    blkif_request_any d{};
    d.discard.operation = BLKIF_OP_DISCARD;
    d.discard.nr_sectors = 8;
    EXPECT_EQ(reason(d), BlkInvalid::not_negotiated);
    blkif_request_any ind{};
    ind.indirect.operation = BLKIF_OP_INDIRECT;
    ind.indirect.indirect_op = BLKIF_OP_READ;
    ind.indirect.nr_segments = 1;
    EXPECT_EQ(reason(ind), BlkInvalid::not_negotiated);
    EXPECT_EQ(blk_invalid_status(BlkInvalid::not_negotiated), BLKIF_RSP_EOPNOTSUPP);
    EXPECT_EQ(blk_invalid_status(BlkInvalid::misaligned), BLKIF_RSP_ERROR);
}

TEST_F(ParseTest, SecureDiscardOnlyWhenOffered) {
    blkif_request_any d{};
    d.discard.operation = BLKIF_OP_DISCARD;
    d.discard.nr_sectors = 8;
    d.discard.flag = BLKIF_DISCARD_SECURE;
    EXPECT_EQ(reason(d), BlkInvalid::bad_discard);
    d.discard.flag = 0x80;
    EXPECT_EQ(reason(d), BlkInvalid::bad_discard);
    lim.discard_secure = true;
    d.discard.flag = BLKIF_DISCARD_SECURE;
    EXPECT_EQ(reason(d), BlkInvalid::count_);
}

TEST_F(ParseTest, IndirectFrameGrantRefused) {
    blkif_request_any ind{};
    ind.indirect.operation = BLKIF_OP_INDIRECT;
    ind.indirect.indirect_op = BLKIF_OP_WRITE;
    ind.indirect.nr_segments = 20;
    ind.indirect.indirect_grefs[0] = 300; // never granted
    EXPECT_EQ(reason(ind), BlkInvalid::bad_indirect);
    EXPECT_EQ(grants.refused(GrantRefusal::not_permitted), 1U);
}

} // namespace
} // namespace pvisor::backend
