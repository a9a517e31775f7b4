// blkif_header_test.cpp: pv/blkif.h compiled alone as C++20, and its layout seen from C.
#include <gtest/gtest.h>
#include <pv/blkif.h>

extern "C" unsigned blkif_c_request_size(void);

TEST(BlkifHeader, SameLayoutInCAndCxx) {
    EXPECT_EQ(blkif_c_request_size(), sizeof(union blkif_sring_entry));
    EXPECT_EQ(sizeof(blkif_request), 112U);
    EXPECT_EQ(sizeof(blkif_response), 16U);
    EXPECT_EQ(PV_BLKIF_RING_SIZE_ORDER(0), PV_BLKIF_RING_SIZE_1PAGE);
    EXPECT_EQ(BLKIF_MAX_INDIRECT_SEGMENTS_LAYOUT, 4096U);
}
