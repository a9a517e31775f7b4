// balloon_policy_test.cpp: pvcore's balloon arithmetic (balloon_policy.c) in userspace:
// the floor's tiers, the toolstack target in guest pages, steps and back-off.
extern "C" {
#include "balloon_policy.h"
}

#include <climits>
#include <cstdint>
#include <gtest/gtest.h>
#include <vector>

namespace {

constexpr unsigned long kMiB = 256; // pages

TEST(BalloonFloor, TiersGrowWithTheGuest) {
    EXPECT_EQ(pv_balloon_floor(64 * kMiB), 8 * kMiB + 32 * kMiB);
    // 512 MiB less pvisor's holes is still the second tier, 512 MiB itself the third.
    EXPECT_EQ(pv_balloon_floor(130976), 40 * kMiB + 130976 / 4);
    EXPECT_EQ(pv_balloon_floor(512 * kMiB), 104 * kMiB + 64 * kMiB);
    EXPECT_EQ(pv_balloon_floor(4096 * kMiB), 296 * kMiB + 128 * kMiB);
    // Never above the guest itself.
    EXPECT_EQ(pv_balloon_floor(1000), 1000UL);
    EXPECT_EQ(pv_balloon_floor(0), 0UL);
}

// A 512 MiB domain whose guest sees 130976 pages (96 pages of holes): a target of 256 MiB
// gives back exactly 256 MiB, whatever the holes.
TEST(BalloonTarget, StaticMaxOffsetMakesTheToolstacksKibExact) {
    const unsigned long total = 130976;
    const long offset = pv_balloon_offset(512 * 1024, total);
    EXPECT_EQ(offset, 96);
    bool clamped = true;
    const unsigned long target =
        pv_balloon_target(256 * 1024, offset, pv_balloon_floor(total), total, &clamped);
    EXPECT_FALSE(clamped);
    EXPECT_EQ(total - target, 256 * kMiB);
    // Back to static-max: every page back.
    EXPECT_EQ(pv_balloon_target(512 * 1024, offset, 0, total, &clamped), total);
    EXPECT_FALSE(clamped);
}

TEST(BalloonTarget, WithoutStaticMaxTheFirstTargetIsTheGuestAsItIs) {
    const unsigned long total = 130976;
    const long offset = pv_balloon_offset(300 * 1024, total); // the first target seen
    bool clamped = true;
    EXPECT_EQ(pv_balloon_target(300 * 1024, offset, 0, total, &clamped), total);
    EXPECT_FALSE(clamped);
    EXPECT_EQ(pv_balloon_target(200 * 1024, offset, 0, total, &clamped), total - 100 * kMiB);
}

TEST(BalloonTarget, ClampedToFloorAndGuest) {
    const unsigned long total = 130976;
    const unsigned long floor = pv_balloon_floor(total);
    bool clamped = false;
    EXPECT_EQ(pv_balloon_target(64 * 1024, 96, floor, total, &clamped), floor);
    EXPECT_TRUE(clamped);
    EXPECT_EQ(pv_balloon_target(0, 96, floor, total, &clamped), floor);
    EXPECT_TRUE(clamped);
    EXPECT_EQ(pv_balloon_target(4 * 1024 * 1024, 96, floor, total, &clamped), total);
    EXPECT_TRUE(clamped);
    // Values at the edges of the arithmetic saturate instead of wrapping.
    EXPECT_EQ(pv_balloon_target(UINT64_MAX, 96, floor, total, &clamped), total);
    EXPECT_EQ(pv_balloon_target(UINT64_MAX, LONG_MIN, floor, total, &clamped), total);
    EXPECT_EQ(pv_balloon_target(4, LONG_MAX, floor, total, &clamped), floor);
    EXPECT_EQ(pv_balloon_offset(UINT64_MAX, 0), static_cast<long>(UINT64_MAX >> 2));
    EXPECT_EQ(pv_balloon_offset(0, ULONG_MAX), -LONG_MAX);
}

TEST(BalloonStep, BoundedByBatchWhatWasGivenAndWhatIsFree) {
    EXPECT_EQ(pv_balloon_step(1000, 1000, 0, 100000), 0);
    // Down: at most a batch, at most what the allocator can spare.
    EXPECT_EQ(pv_balloon_step(130976, 65440, 0, 100000), -512);
    EXPECT_EQ(pv_balloon_step(65540, 65440, 0, 100000), -100);
    EXPECT_EQ(pv_balloon_step(130976, 65440, 0, 10), -10);
    EXPECT_EQ(pv_balloon_step(130976, 65440, 0, 0), 0);
    // Up: at most a batch, at most what was given back.
    EXPECT_EQ(pv_balloon_step(65440, 130976, 65536, 0), 512);
    EXPECT_EQ(pv_balloon_step(65440, 65443, 65536, 0), 3);
    EXPECT_EQ(pv_balloon_step(65440, 130976, 7, 0), 7);
}

TEST(BalloonBackoff, DoublesWhileStalledAndResetsOnProgress) {
    pv_balloon_backoff b{};
    std::vector<unsigned> got;
    for (int i = 0; i < 8; i++)
        got.push_back(pv_balloon_next_delay(&b, false));
    EXPECT_EQ(got, (std::vector<unsigned>{1, 2, 4, 8, 16, 32, 32, 32}));
    EXPECT_EQ(pv_balloon_next_delay(&b, true), 0U);
    EXPECT_EQ(pv_balloon_next_delay(&b, false), 1U);
}

} // namespace
