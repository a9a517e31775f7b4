// balloon_test.cpp: decrease_reservation / populate_physmap through the hypercall table: the
// host really frees the frames, gives back only what it took, zeroes, refuses and counts.
#include "pv_fixture.hpp"

#include <pv/grant_table.h>
#include <pv/memory.h>
#include <pv/pvisor.h>
#include <pv/xen.h>

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <cstdint>
#include <numeric>
#include <string>
#include <vector>

namespace pvisor {
namespace {

constexpr std::uint64_t kSharedInfo = 0x10000;
constexpr std::uint64_t kArg = test::kArgGpa;
constexpr std::uint64_t kList = 0x40000; // frame lists, up to 0x80000 (64K entries)
constexpr std::uint64_t kFirst = 0x100;  // first frame the tests balloon (1 MiB)
constexpr std::uint64_t kRamFrames = (16 << 20) >> 12;

struct BalloonTest : test::PvFixture {
    void SetUp() override {
        PvFixture::SetUp();
        ASSERT_EQ(physmap(XENMAPSPACE_shared_info, 0, kSharedInfo >> 12), 0);
    }
    std::int32_t memory_op(std::uint64_t cmd, std::uint64_t arg = kArg) {
        return call(__HYPERVISOR_memory_op, cmd, arg);
    }
    // The reservation header at kArg naming `gfns` at kList.
    std::int32_t reserve(std::uint64_t cmd, const std::vector<std::uint64_t>& gfns,
                         std::uint64_t nr = UINT64_MAX) {
        if (!gfns.empty()) {
            EXPECT_TRUE(platform.m_mem.write(kList, gfns.data(), gfns.size() * 8).ok());
        }
        xen_memory_reservation r{};
        r.extent_start = kList;
        r.nr_extents = nr == UINT64_MAX ? gfns.size() : nr;
        r.domid = DOMID_SELF;
        EXPECT_TRUE(platform.m_mem.write_obj(kArg, r).ok());
        return memory_op(cmd);
    }
    std::int32_t decrease(const std::vector<std::uint64_t>& gfns) {
        return reserve(XENMEM_decrease_reservation, gfns);
    }
    std::int32_t populate(const std::vector<std::uint64_t>& gfns) {
        return reserve(XENMEM_populate_physmap, gfns);
    }
    // The value of pvisor counter `name` (-1 if absent).
    std::int64_t counter(const std::string& name) {
        std::string out = "\n";
        pv->append_counters(out);
        const auto at = out.find("\n" + name + " ");
        return at == std::string::npos ? -1 : std::stoll(out.substr(at + name.size() + 2));
    }
    // 512-byte blocks the memfd holds (pages backed in the host).
    std::int64_t memfd_blocks() {
        struct stat st {};
        EXPECT_EQ(::fstat(platform.m_mem.memfd(), &st), 0);
        return st.st_blocks;
    }
    void fill(std::uint64_t gfn, std::uint32_t v) {
        ASSERT_TRUE(platform.m_mem.write_obj(gfn << 12, v).ok());
    }
    std::uint32_t word(std::uint64_t gfn) {
        return platform.m_mem.read_obj<std::uint32_t>(gfn << 12).value();
    }
};

std::vector<std::uint64_t> frames(std::uint64_t first, std::uint64_t n) {
    std::vector<std::uint64_t> v(n);
    std::iota(v.begin(), v.end(), first);
    return v;
}

TEST_F(BalloonTest, DecreaseFreesTheFramesInTheHost) {
    const auto gfns = frames(kFirst, 100);
    for (auto g : gfns)
        fill(g, 0xA5A5A5A5);
    ASSERT_TRUE(platform.m_mem.write(kList, gfns.data(), gfns.size() * 8).ok());
    const std::int64_t before = memfd_blocks();
    ASSERT_EQ(reserve(XENMEM_decrease_reservation, {}, gfns.size()), 100);
    EXPECT_EQ(before - memfd_blocks(), 100 * 4096 / 512);
    EXPECT_EQ(counter("balloon.pages"), 100);
    EXPECT_EQ(counter("balloon.decreased"), 100);
    EXPECT_EQ(counter("balloon.populated"), 0);
}

TEST_F(BalloonTest, PopulateGivesBackZeroedFramesItTookOnly) {
    const auto gfns = frames(kFirst, 8);
    for (auto g : gfns)
        fill(g, 0xDEADBEEF);
    ASSERT_EQ(decrease(gfns), 8);
    // The guest scribbles on a ballooned frame (it must not): the host backs it again...
    fill(kFirst + 3, 0x12345678);
    ASSERT_EQ(populate(gfns), 8);
    // ...and populate hands every frame back as a fresh zero page.
    for (auto g : gfns)
        EXPECT_EQ(word(g), 0U) << g;
    EXPECT_EQ(counter("balloon.pages"), 0);
    EXPECT_EQ(counter("balloon.populated"), 8);
    // More than it gave back: a frame present already ends the batch at once.
    EXPECT_EQ(populate({kFirst}), 0);
    EXPECT_EQ(populate(frames(kFirst + 100, 4)), 0);
    EXPECT_EQ(counter("balloon.refused.not_out"), 2);
    EXPECT_EQ(counter("balloon.populated"), 8);
}

TEST_F(BalloonTest, BatchStopsAtTheFirstRefusedFrame) {
    ASSERT_EQ(decrease({kFirst}), 1);
    // Already given back: the second extent ends the batch, the third is not touched.
    fill(kFirst + 2, 7);
    EXPECT_EQ(decrease({kFirst + 1, kFirst, kFirst + 2}), 1);
    EXPECT_EQ(word(kFirst + 2), 7U);
    EXPECT_EQ(counter("balloon.refused.already_out"), 1);
    EXPECT_EQ(counter("balloon.pages"), 2);
    // Half given back, half not: populate takes back the first two only.
    EXPECT_EQ(populate({kFirst, kFirst + 1, kFirst + 2}), 2);
    EXPECT_EQ(counter("balloon.pages"), 0);
}

TEST_F(BalloonTest, FramesOutsideRamOrInPvisorsUseAreRefused) {
    const std::uint64_t special = PV_SPECIAL_PAGES_GPA >> 12;
    for (std::uint64_t gfn : {kRamFrames, special, std::uint64_t{0xC0000},
                              std::uint64_t{UINT64_MAX}, std::uint64_t{1} << 52}) {
        EXPECT_EQ(decrease({gfn}), 0) << gfn;
        EXPECT_EQ(populate({gfn}), 0) << gfn;
    }
    EXPECT_EQ(counter("balloon.refused.not_ram"), 10);
    // shared_info and a grant table frame stay: pvisor writes them for the domain's life.
    ASSERT_EQ(physmap(XENMAPSPACE_grant_table, 0, 0x30), 0);
    EXPECT_EQ(decrease({kSharedInfo >> 12}), 0);
    EXPECT_EQ(decrease({0x30}), 0);
    EXPECT_EQ(counter("balloon.refused.in_use"), 2);
    EXPECT_EQ(counter("balloon.pages"), 0);
    // The last RAM frame is fine.
    EXPECT_EQ(decrease({kRamFrames - 1}), 1);
}

TEST_F(BalloonTest, FrameGivenBackCannotBecomeSharedInfoOrGrantFrame) {
    ASSERT_EQ(decrease({kFirst}), 1);
    EXPECT_EQ(physmap(XENMAPSPACE_grant_table, 0, kFirst), -XEN_EINVAL);
    EXPECT_EQ(physmap(XENMAPSPACE_shared_info, 0, kFirst), -XEN_EINVAL);
    ASSERT_EQ(populate({kFirst}), 1);
    EXPECT_EQ(physmap(XENMAPSPACE_shared_info, 0, kFirst), 0);
}

TEST_F(BalloonTest, BatchesSpanningSeveralListPages) {
    const auto gfns = frames(kFirst, 1500); // three pages of list
    ASSERT_EQ(decrease(gfns), 1500);
    EXPECT_EQ(counter("balloon.pages"), 1500);
    ASSERT_EQ(populate(gfns), 1500);
    EXPECT_EQ(counter("balloon.pages"), 0);
}

TEST_F(BalloonTest, HeaderAndListAreValidated) {
    const auto gfns = frames(kFirst, 4);
    ASSERT_TRUE(platform.m_mem.write(kList, gfns.data(), 32).ok());
    xen_memory_reservation r{};
    r.extent_start = kList;
    r.nr_extents = 4;
    r.domid = DOMID_SELF;
    auto call = [&](std::uint64_t cmd = XENMEM_decrease_reservation) {
        EXPECT_TRUE(platform.m_mem.write_obj(kArg, r).ok());
        return memory_op(cmd);
    };
    r.extent_order = 1;
    EXPECT_EQ(call(), -XEN_EINVAL);
    r.extent_order = 0;
    r.domid = 0;
    EXPECT_EQ(call(), -XEN_EINVAL);
    EXPECT_EQ(call(XENMEM_populate_physmap), -XEN_EINVAL);
    r.domid = DOMID_SELF;
    r.nr_extents = PV_XENMEM_MAX_EXTENTS + 1ULL;
    EXPECT_EQ(call(), -XEN_EINVAL);
    r.nr_extents = UINT64_MAX;
    EXPECT_EQ(call(), -XEN_EINVAL);
    // A list that does not translate at all, or a wrapping one: -EFAULT, nothing done.
    r.nr_extents = 4;
    r.extent_start = 64ULL << 20;
    EXPECT_EQ(call(), -XEN_EFAULT);
    r.extent_start = UINT64_MAX - 8;
    EXPECT_EQ(call(), -XEN_EFAULT);
    EXPECT_EQ(memory_op(XENMEM_decrease_reservation, 64ULL << 20), -XEN_EFAULT);
    EXPECT_EQ(memory_op(XENMEM_decrease_reservation | (1U << 6)), -XEN_EINVAL);
    EXPECT_EQ(counter("balloon.pages"), 0);
    // A list whose second page does not translate: the first page's extents are done.
    const std::uint64_t tail = (16ULL << 20) - 4096;
    const auto last = frames(kFirst, 512);
    ASSERT_TRUE(platform.m_mem.write(tail, last.data(), 4096).ok());
    r.extent_start = tail;
    r.nr_extents = 600;
    EXPECT_EQ(call(), 512);
    EXPECT_EQ(counter("balloon.pages"), 512);
    // Zero extents: nothing to do.
    r.extent_start = kList;
    r.nr_extents = 0;
    EXPECT_EQ(call(), 0);
}

// An auto-translated guest gets frames back with populate_physmap (as Linux's balloon does);
// increase_reservation would hand out frames it cannot name, so it hands out none.
TEST_F(BalloonTest, IncreaseReservationHandsOutNothing) {
    ASSERT_EQ(decrease({kFirst}), 1);
    EXPECT_EQ(reserve(XENMEM_increase_reservation, {kFirst}), 0);
    EXPECT_EQ(counter("balloon.pages"), 1);
}

} // namespace
} // namespace pvisor
