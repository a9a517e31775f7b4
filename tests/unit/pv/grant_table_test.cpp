// grant_table_test.cpp: grant table frames, grant_table_op results and per-op GNTST codes.
#include "grant_table.hpp"
#include "pv_fixture.hpp"

#include <array>
#include <atomic>
#include <cstring>
#include <gtest/gtest.h>
#include <pv/grant_table.h>
#include <pv/memory.h>
#include <pv/xen.h>
#include <thread>

namespace pvisor {
namespace {

constexpr std::uint64_t kArg = test::kArgGpa;
constexpr std::uint64_t kList = 0x30000;
constexpr std::uint64_t kFrame0 = 0x100; // gpfn of table frame 0
constexpr std::uint64_t kFrame1 = 0x101; // gpfn of table frame 1
constexpr std::uint64_t kDataA = 0x200;  // gpfn of a granted data page
constexpr std::uint64_t kDataB = 0x201;  // gpfn of a plain destination page
constexpr std::uint64_t kBeyondRam = 64ULL << 20;
constexpr pv_grant_ref kRef = 8; // first unreserved ref

// The guest's view: grant entries written into its table frames.
void grant(const GuestMemory& mem, pv_grant_ref ref, pv_domid domid, std::uint32_t frame,
           std::uint16_t flags) {
    const grant_entry_v1 e{flags, domid, frame};
    const std::uint64_t frame_gpa = (ref < 512 ? kFrame0 : kFrame1) << 12;
    ASSERT_TRUE(mem.write_obj(frame_gpa + (ref % 512) * 8, e).ok());
}
grant_entry_v1 entry(const GuestMemory& mem, pv_grant_ref ref) {
    return mem.read_obj<grant_entry_v1>(((ref < 512 ? kFrame0 : kFrame1) << 12) + (ref % 512) * 8)
        .value();
}

std::array<std::uint8_t, 4096> pattern(std::uint8_t seed) {
    std::array<std::uint8_t, 4096> p{};
    for (std::size_t i = 0; i < p.size(); ++i)
        p[i] = static_cast<std::uint8_t>(seed + i * 7);
    return p;
}

gnttab_copy gref_to_gmfn(pv_grant_ref ref, std::uint64_t gmfn, std::uint16_t len) {
    gnttab_copy c{};
    c.source.u.ref = ref;
    c.source.domid = DOMID_SELF;
    c.dest.u.gmfn = gmfn;
    c.dest.domid = DOMID_SELF;
    c.len = len;
    c.flags = GNTCOPY_source_gref;
    return c;
}

gnttab_copy gmfn_to_gref(std::uint64_t gmfn, pv_grant_ref ref, std::uint16_t len) {
    gnttab_copy c{};
    c.source.u.gmfn = gmfn;
    c.source.domid = DOMID_SELF;
    c.dest.u.ref = ref;
    c.dest.domid = DOMID_SELF;
    c.len = len;
    c.flags = GNTCOPY_dest_gref;
    return c;
}

// GrantTable alone: copy statuses and the fault counters behind them.
struct GrantCopyTest : ::testing::Test {
    test::FakePlatform platform{1};
    const GuestMemory& mem = platform.m_mem;
    GrantTable table{platform.m_mem};
    void SetUp() override {
        ASSERT_TRUE(table.place_frame(0, kFrame0).ok());
        ASSERT_TRUE(table.place_frame(1, kFrame1).ok());
        ASSERT_TRUE(mem.write(kDataA << 12, pattern(1).data(), 4096).ok());
        ASSERT_TRUE(mem.write(kDataB << 12, pattern(99).data(), 4096).ok());
    }
    std::array<std::uint8_t, 4096> page(std::uint64_t gpfn) {
        std::array<std::uint8_t, 4096> p{};
        EXPECT_TRUE(mem.read(gpfn << 12, p.data(), p.size()).ok());
        return p;
    }
};

TEST_F(GrantCopyTest, CopyFromGrantClearsTheFlagItSet) {
    grant(mem, kRef, PV_DOMID_HOST, kDataA, GTF_permit_access | GTF_readonly);
    EXPECT_EQ(table.copy(gref_to_gmfn(kRef, kDataB, 4096)), GNTST_okay);
    EXPECT_EQ(page(kDataB), pattern(1));
    EXPECT_EQ(entry(mem, kRef).flags, GTF_permit_access | GTF_readonly);
    EXPECT_EQ(table.copies_done(), 1U);
}

TEST_F(GrantCopyTest, CopyIntoWritableGrantAtOffset) {
    grant(mem, kRef, PV_DOMID_GUEST, kDataA, GTF_permit_access);
    gnttab_copy c = gmfn_to_gref(kDataB, kRef, 100);
    c.source.offset = 10;
    c.dest.offset = 3996;
    EXPECT_EQ(table.copy(c), GNTST_okay);
    const auto a = page(kDataA);
    const auto b = pattern(99);
    const auto orig = pattern(1);
    EXPECT_EQ(std::memcmp(a.data() + 3996, b.data() + 10, 100), 0);
    EXPECT_EQ(std::memcmp(a.data(), orig.data(), 3996), 0);
    EXPECT_EQ(entry(mem, kRef).flags, GTF_permit_access);
}

TEST_F(GrantCopyTest, FlagHeldByAnotherPartyStaysSet) {
    grant(mem, kRef, PV_DOMID_HOST, kDataA, GTF_permit_access | GTF_reading);
    EXPECT_EQ(table.copy(gref_to_gmfn(kRef, kDataB, 64)), GNTST_okay);
    EXPECT_EQ(entry(mem, kRef).flags, GTF_permit_access | GTF_reading);
}

TEST_F(GrantCopyTest, ReadOnlyGrantUsedForWriteIsRefused) {
    grant(mem, kRef, PV_DOMID_HOST, kDataA, GTF_permit_access | GTF_readonly);
    EXPECT_EQ(table.copy(gmfn_to_gref(kDataB, kRef, 16)), GNTST_general_error);
    EXPECT_EQ(table.faults(GrantFault::read_only), 1U);
    EXPECT_EQ(page(kDataA), pattern(1));
    EXPECT_EQ(entry(mem, kRef).flags, GTF_permit_access | GTF_readonly);
}

TEST_F(GrantCopyTest, RevokedGrantIsRefused) {
    grant(mem, kRef, PV_DOMID_HOST, kDataA, GTF_invalid);
    EXPECT_EQ(table.copy(gref_to_gmfn(kRef, kDataB, 16)), GNTST_general_error);
    grant(mem, kRef, PV_DOMID_HOST, kDataA, GTF_accept_transfer);
    EXPECT_EQ(table.copy(gref_to_gmfn(kRef, kDataB, 16)), GNTST_general_error);
    EXPECT_EQ(table.faults(GrantFault::revoked), 2U);
    EXPECT_EQ(page(kDataB), pattern(99));
    EXPECT_EQ(table.copies_done(), 0U);
}

TEST_F(GrantCopyTest, GrantToAnotherDomainIsRefused) {
    grant(mem, kRef, 7, kDataA, GTF_permit_access);
    EXPECT_EQ(table.copy(gref_to_gmfn(kRef, kDataB, 16)), GNTST_general_error);
    EXPECT_EQ(table.faults(GrantFault::foreign), 1U);
}

TEST_F(GrantCopyTest, BadRefs) {
    grant(mem, 5, PV_DOMID_HOST, kDataA, GTF_permit_access);
    EXPECT_EQ(table.copy(gref_to_gmfn(5, kDataB, 16)), GNTST_bad_gntref);    // reserved
    EXPECT_EQ(table.copy(gref_to_gmfn(1024, kDataB, 16)), GNTST_bad_gntref); // beyond 2 frames
    EXPECT_EQ(table.copy(gref_to_gmfn(0xFFFFFFFFU, kDataB, 16)), GNTST_bad_gntref);
    EXPECT_EQ(table.copy(gmfn_to_gref(kDataB, 1024, 16)), GNTST_bad_gntref);
    EXPECT_EQ(table.faults(GrantFault::bad_gntref), 4U);
    grant(mem, 1023, PV_DOMID_HOST, kDataA, GTF_permit_access); // last ref of frame 1
    EXPECT_EQ(table.copy(gref_to_gmfn(1023, kDataB, 16)), GNTST_okay);
}

TEST_F(GrantCopyTest, CopyCrossingThePageEndIsBadCopyArg) {
    grant(mem, kRef, PV_DOMID_HOST, kDataA, GTF_permit_access);
    gnttab_copy c = gref_to_gmfn(kRef, kDataB, 200);
    c.source.offset = 4000;
    EXPECT_EQ(table.copy(c), GNTST_bad_copy_arg);
    c.source.offset = 0;
    c.dest.offset = 3897;
    EXPECT_EQ(table.copy(c), GNTST_bad_copy_arg);
    c.dest.offset = 3896; // ends exactly at the page end
    EXPECT_EQ(table.copy(c), GNTST_okay);
    c.len = 0xFFFF;
    c.dest.offset = 0;
    EXPECT_EQ(table.copy(c), GNTST_bad_copy_arg);
    EXPECT_EQ(table.faults(GrantFault::bad_copy_arg), 3U);
    EXPECT_EQ(entry(mem, kRef).flags, GTF_permit_access); // released on the error path too
}

TEST_F(GrantCopyTest, BadFramesAndDomains) {
    grant(mem, kRef, PV_DOMID_HOST, static_cast<std::uint32_t>(kBeyondRam >> 12),
          GTF_permit_access);
    EXPECT_EQ(table.copy(gref_to_gmfn(kRef, kDataB, 16)), GNTST_bad_page);
    EXPECT_EQ(entry(mem, kRef).flags, GTF_permit_access);
    grant(mem, kRef, PV_DOMID_HOST, static_cast<std::uint32_t>(PV_SPECIAL_PAGES_GPA >> 12),
          GTF_permit_access);
    EXPECT_EQ(table.copy(gref_to_gmfn(kRef, kDataB, 16)), GNTST_bad_page); // not RAM
    EXPECT_EQ(table.copy(gmfn_to_gref(kBeyondRam >> 12, kRef, 16)), GNTST_bad_page);
    EXPECT_EQ(table.copy(gref_to_gmfn(kRef, ~0ULL, 16)), GNTST_bad_page);
    EXPECT_EQ(table.faults(GrantFault::bad_page), 4U);

    grant(mem, kRef, PV_DOMID_HOST, kDataA, GTF_permit_access);
    gnttab_copy c = gref_to_gmfn(kRef, kDataB, 16);
    c.dest.domid = PV_DOMID_GUEST; // a frame may be named with DOMID_SELF only
    EXPECT_EQ(table.copy(c), GNTST_permission_denied);
    c = gref_to_gmfn(kRef, kDataB, 16);
    c.source.domid = PV_DOMID_HOST; // the host side has no grant table
    EXPECT_EQ(table.copy(c), GNTST_bad_domain);
    c.source.domid = PV_DOMID_GUEST; // the guest's own id names its own table
    EXPECT_EQ(table.copy(c), GNTST_okay);
}

// The guest's end of access (pv/grant_table.h, as pvcore does it) against copies on another
// thread: once the guest's cmpxchg cleared the entry it scribbles over the page ("reuse");
// a copy that succeeded must never have seen that, or half of two rounds.
TEST_F(GrantCopyTest, EndOfAccessNeverRacesACopy) {
    constexpr unsigned kRounds = 2000;
    constexpr std::uint64_t kEntry = (kFrame0 << 12) + kRef * 8;
    auto word_span = mem.translate(kEntry, 8).value();
    // SAFETY: the test's model of the guest uses the entry's first word atomically, as pvisor.
    std::atomic_ref<std::uint32_t> word(*reinterpret_cast<std::uint32_t*>(word_span.data()));
    auto src = mem.translate(kDataA << 12, 4096).value();
    std::atomic<unsigned> copied_round{0};
    std::atomic<bool> done{false};
    std::atomic<unsigned> torn{0};
    std::atomic<unsigned> ok{0};
    std::thread copier([&] {
        while (!done.load()) {
            if (table.copy(gref_to_gmfn(kRef, kDataB, 4096)) != GNTST_okay)
                continue;
            const auto got = page(kDataB);
            if (got != pattern(got[0]))
                torn.fetch_add(1);
            ok.fetch_add(1);
            copied_round.store(got[0]);
        }
    });
    std::uint64_t deferred = 0;
    for (unsigned r = 1; r <= kRounds; ++r) {
        const auto seed = static_cast<std::uint8_t>(r);
        ASSERT_TRUE(mem.write(kDataA << 12, pattern(seed).data(), 4096).ok());
        ASSERT_TRUE(mem.write_obj(kEntry + 4, static_cast<std::uint32_t>(kDataA)).ok());
        word.store(std::uint32_t{PV_DOMID_HOST} << 16 | GTF_permit_access); // grant
        while (copied_round.load() != seed) // a copy of this round went through
            std::this_thread::yield();
        for (std::uint32_t cur = word.load();;) { // end of access, deferring while in use
            if ((cur & (GTF_reading | GTF_writing)) != 0) {
                ++deferred;
                cur = word.load();
            } else if (word.compare_exchange_weak(cur, cur & 0xFFFF0000U)) {
                break;
            }
        }
        std::memset(src.data(), 0xEE, src.size()); // the page is reused
    }
    done.store(true);
    copier.join();
    EXPECT_EQ(torn.load(), 0U);
    EXPECT_GE(ok.load(), kRounds);
    EXPECT_EQ(table.copies_done(), ok.load());
    EXPECT_EQ(word.load() & 0xFFFFU, 0U); // pvisor left no flag behind
    RecordProperty("deferred_ends", static_cast<int>(deferred));
}

TEST(GrantFrames, PlacementRules) {
    test::FakePlatform platform{1};
    const GuestMemory& mem = platform.m_mem;
    GrantTable table{mem, 4};
    const std::uint64_t junk = 0xDEADBEEFDEADBEEFULL;
    ASSERT_TRUE(mem.write_obj(kFrame0 << 12, junk).ok());
    EXPECT_EQ(table.place_frame(1, kFrame1).error(), Errc::invalid_argument); // not next
    EXPECT_EQ(table.place_frame(4, kFrame0).error(), Errc::invalid_argument); // beyond max
    EXPECT_EQ(table.place_frame(0, kBeyondRam >> 12).error(), Errc::invalid_argument);
    EXPECT_EQ(table.place_frame(0, PV_SPECIAL_PAGES_GPA >> 12).error(), Errc::invalid_argument);
    EXPECT_EQ(table.place_frame(0, ~0ULL).error(), Errc::invalid_argument);
    ASSERT_TRUE(table.place_frame(0, kFrame0).ok());
    EXPECT_EQ(mem.read_obj<std::uint64_t>(kFrame0 << 12).value(), 0U); // zeroed
    grant(mem, kRef, 0, kDataA, GTF_permit_access);
    EXPECT_TRUE(table.place_frame(0, kFrame0).ok()); // same again: kept, not zeroed
    EXPECT_EQ(entry(mem, kRef).frame, kDataA);
    EXPECT_EQ(table.place_frame(0, kFrame1).error(), Errc::busy);             // no moving
    EXPECT_EQ(table.place_frame(1, kFrame0).error(), Errc::invalid_argument); // in use
    ASSERT_TRUE(table.place_frame(1, kFrame1).ok());
    EXPECT_EQ(table.frame_gpas(), (std::vector<std::uint64_t>{kFrame0 << 12, kFrame1 << 12}));
    EXPECT_TRUE(table.is_table_frame(kFrame1));
    EXPECT_FALSE(table.is_table_frame(kDataA));
    EXPECT_EQ(table.faults(GrantFault::bad_placement), 7U);
}

// Through the hypercall table, as the guest calls it.
struct GrantHypercallTest : test::PvFixture {
    std::int32_t gnttab(std::uint64_t cmd, std::uint64_t count, std::uint64_t arg = kArg) {
        return call(__HYPERVISOR_grant_table_op, cmd, arg, count);
    }
};

TEST_F(GrantHypercallTest, AddToPhysmapPlacesFramesForBackends) {
    EXPECT_EQ(physmap(XENMAPSPACE_grant_table, 1, kFrame1), -XEN_EINVAL);
    EXPECT_EQ(physmap(XENMAPSPACE_grant_table, PV_GNTTAB_MAX_FRAMES, kFrame0), -XEN_EINVAL);
    EXPECT_EQ(physmap(XENMAPSPACE_grant_table, 0, kBeyondRam >> 12), -XEN_EINVAL);
    EXPECT_EQ(physmap(XENMAPSPACE_grant_table, 0, kFrame0), 0);
    EXPECT_EQ(physmap(XENMAPSPACE_grant_table, 1, kFrame1), 0);
    EXPECT_EQ(physmap(XENMAPSPACE_grant_table, 1, kDataA), -XEN_EBUSY);
    EXPECT_EQ(physmap(XENMAPSPACE_shared_info, 0, kFrame1), -XEN_EINVAL);
    EXPECT_EQ(physmap(XENMAPSPACE_shared_info, 0, kDataB), 0);
    EXPECT_EQ(physmap(XENMAPSPACE_grant_table, 2, kDataB), -XEN_EINVAL);
    EXPECT_EQ(physmap(XENMAPSPACE_gmfn, 0, kDataA), -XEN_EINVAL);
    EXPECT_EQ(pv->grant_frame_gpas(), (std::vector<std::uint64_t>{kFrame0 << 12, kFrame1 << 12}));
}

TEST_F(GrantHypercallTest, QuerySize) {
    ASSERT_EQ(physmap(XENMAPSPACE_grant_table, 0, kFrame0), 0);
    gnttab_query_size q{};
    q.dom = DOMID_SELF;
    put(q);
    EXPECT_EQ(gnttab(GNTTABOP_query_size, 2), -XEN_EINVAL); // bad count
    EXPECT_EQ(gnttab(GNTTABOP_query_size, 0), -XEN_EINVAL);
    ASSERT_EQ(gnttab(GNTTABOP_query_size, 1), 0);
    EXPECT_EQ(get<gnttab_query_size>().status, GNTST_okay);
    EXPECT_EQ(get<gnttab_query_size>().nr_frames, 1U);
    EXPECT_EQ(get<gnttab_query_size>().max_nr_frames, PV_GNTTAB_MAX_FRAMES);
    q.dom = PV_DOMID_HOST;
    put(q);
    ASSERT_EQ(gnttab(GNTTABOP_query_size, 1), 0);
    EXPECT_EQ(get<gnttab_query_size>().status, GNTST_permission_denied);
    q.dom = 9;
    put(q);
    ASSERT_EQ(gnttab(GNTTABOP_query_size, 1), 0);
    EXPECT_EQ(get<gnttab_query_size>().status, GNTST_bad_domain);
    EXPECT_EQ(gnttab(GNTTABOP_query_size, 1, kBeyondRam), -XEN_EFAULT);
}

TEST_F(GrantHypercallTest, SetupTableListsPlacedFrames) {
    ASSERT_EQ(physmap(XENMAPSPACE_grant_table, 0, kFrame0), 0);
    ASSERT_EQ(physmap(XENMAPSPACE_grant_table, 1, kFrame1), 0);
    gnttab_setup_table s{};
    s.dom = DOMID_SELF;
    s.nr_frames = 3;
    s.frame_list = kList;
    put(s);
    ASSERT_EQ(gnttab(GNTTABOP_setup_table, 1), 0);
    EXPECT_EQ(get<gnttab_setup_table>().status, GNTST_okay);
    EXPECT_EQ(get<std::uint64_t>(kList), kFrame0);
    EXPECT_EQ(get<std::uint64_t>(kList + 8), kFrame1);
    EXPECT_EQ(get<std::uint64_t>(kList + 16), ~0ULL); // not placed: invalid gfn
    EXPECT_EQ(gnttab(GNTTABOP_setup_table, 2), -XEN_EINVAL);
    s.nr_frames = PV_GNTTAB_MAX_FRAMES + 1;
    put(s);
    ASSERT_EQ(gnttab(GNTTABOP_setup_table, 1), 0);
    EXPECT_EQ(get<gnttab_setup_table>().status, GNTST_general_error);
    s.nr_frames = 1;
    s.frame_list = kBeyondRam;
    put(s);
    ASSERT_EQ(gnttab(GNTTABOP_setup_table, 1), 0);
    EXPECT_EQ(get<gnttab_setup_table>().status, GNTST_bad_virt_addr);
    s.nr_frames = 2;
    s.frame_list = ~0ULL - 7; // the second entry would wrap to address 0
    put(s);
    ASSERT_EQ(gnttab(GNTTABOP_setup_table, 1), 0);
    EXPECT_EQ(get<gnttab_setup_table>().status, GNTST_bad_virt_addr);
    EXPECT_EQ(get<std::uint64_t>(0), 0U);
}

TEST_F(GrantHypercallTest, CopyBatchWritesEachStatus) {
    ASSERT_EQ(physmap(XENMAPSPACE_grant_table, 0, kFrame0), 0);
    grant(platform.m_mem, kRef, PV_DOMID_HOST, kDataA, GTF_permit_access | GTF_readonly);
    ASSERT_TRUE(platform.m_mem.write(kDataA << 12, pattern(5).data(), 4096).ok());
    std::array<gnttab_copy, 3> ops{gref_to_gmfn(kRef, kDataB, 4096),
                                   gmfn_to_gref(kDataB, kRef, 8),      // read-only grant
                                   gref_to_gmfn(kRef + 1, kDataB, 8)}; // never granted
    for (auto& op : ops)
        op.status = 77;
    ASSERT_TRUE(platform.m_mem.write(kArg, ops.data(), sizeof ops).ok());
    ASSERT_EQ(gnttab(GNTTABOP_copy, 3), 0);
    EXPECT_EQ(get<gnttab_copy>(kArg).status, GNTST_okay);
    EXPECT_EQ(get<gnttab_copy>(kArg + 40).status, GNTST_general_error);
    EXPECT_EQ(get<gnttab_copy>(kArg + 80).status, GNTST_general_error);
    std::array<std::uint8_t, 4096> b{};
    ASSERT_TRUE(platform.m_mem.read(kDataB << 12, b.data(), b.size()).ok());
    EXPECT_EQ(b, pattern(5));
    EXPECT_EQ(gnttab(GNTTABOP_copy, kMaxGrantBatch + 1), -XEN_EINVAL); // bad count
    EXPECT_EQ(gnttab(GNTTABOP_copy, 0), 0);
    EXPECT_EQ(gnttab(GNTTABOP_copy, 1, kBeyondRam), -XEN_EFAULT);
    EXPECT_EQ(gnttab(GNTTABOP_copy, 2, ~0ULL - 39), -XEN_EFAULT); // op 1 would wrap to 0
}

TEST_F(GrantHypercallTest, VersionAndUnservedOps) {
    gnttab_set_version sv{1};
    put(sv);
    EXPECT_EQ(gnttab(GNTTABOP_set_version, 1), 0);
    sv.version = 2;
    put(sv);
    EXPECT_EQ(gnttab(GNTTABOP_set_version, 1), -XEN_EINVAL);
    EXPECT_EQ(get<gnttab_set_version>().version, 1U);
    gnttab_get_version gv{};
    gv.dom = DOMID_SELF;
    put(gv);
    ASSERT_EQ(gnttab(GNTTABOP_get_version, 1), 0);
    EXPECT_EQ(get<gnttab_get_version>().version, 1U);
    EXPECT_EQ(gnttab(GNTTABOP_map_grant_ref, 1), -XEN_ENOSYS);
    EXPECT_EQ(gnttab(GNTTABOP_unmap_grant_ref, 1), -XEN_ENOSYS);
    EXPECT_EQ(gnttab(GNTTABOP_map_grant_ref, kMaxGrantBatch + 1), -XEN_EINVAL);
    EXPECT_EQ(gnttab(11 /* swap_grant_ref */, 1), -XEN_ENOSYS);
    EXPECT_EQ(gnttab(7 /* get_status_frames: v2 only */, 1), -XEN_ENOSYS);
}

} // namespace
} // namespace pvisor
