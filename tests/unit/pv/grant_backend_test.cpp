// grant_backend_test.cpp: the table pvisor serves, read by the backend grant library: the
// in-process model of e2e-grant's host half (frames from grant_frame_gpas(), copy and map).
#include "fake_platform.hpp"
#include "grant_table_view.hpp"
#include "pv_services.hpp"

#include <array>
#include <atomic>
#include <cstring>
#include <gtest/gtest.h>
#include <pv/grant_table.h>
#include <pv/memory.h>
#include <pv/xen.h>

namespace pvisor {
namespace {

using backend::GrantRefusal;
using backend::GrantTableView;
using backend::GrantUse;

constexpr std::uint64_t kArg = 0x20000;
constexpr std::uint64_t kFrames[] = {0x100, 0x101};               // gpfns of the table frames
constexpr std::uint64_t kRw = 0x200;                              // granted read-write
constexpr std::uint64_t kRo = 0x201;                              // granted read-only
constexpr std::uint64_t kRevoked = 0x202;                         // granted, then access ended
constexpr std::uint64_t kScratch = 0x203;                         // the guest's own copy target
constexpr pv_grant_ref kRefRw = 8, kRefRo = 9, kRefRevoked = 600; // 600: in frame 1

std::uint8_t pattern_byte(std::uint8_t seed, std::size_t i) {
    return static_cast<std::uint8_t>(seed + 7 * i);
}

// pvcore's side, written as the guest would: add_to_physmap, entries, end of access.
struct GrantBackendTest : ::testing::Test {
    test::FakePlatform platform{1};
    test::FakeVcpu vcpu0{0};
    const GuestMemory& mem = platform.m_mem;
    std::unique_ptr<PvServices> pv;

    void SetUp() override {
        PvConfig cfg;
        cfg.console_on_stdio = false;
        pv = std::move(PvServices::create(platform, cfg).value());
        for (std::uint64_t idx = 0; idx < 2; ++idx) {
            xen_add_to_physmap x{};
            x.domid = DOMID_SELF;
            x.space = XENMAPSPACE_grant_table;
            x.idx = idx;
            x.gpfn = kFrames[idx];
            ASSERT_TRUE(mem.write_obj(kArg, x).ok());
            ASSERT_EQ(call(__HYPERVISOR_memory_op, XENMEM_add_to_physmap, kArg, 0), 0);
        }
        grant(kRefRw, kRw, false);
        grant(kRefRo, kRo, true);
        grant(kRefRevoked, kRevoked, false);
        ASSERT_TRUE(end_access(kRefRevoked));
        for (std::uint64_t g : {kRw, kRo, kRevoked})
            fill(g, 9);
    }
    std::int32_t call(std::uint64_t nr, std::uint64_t a0, std::uint64_t a1, std::uint64_t a2) {
        HypercallRegs r;
        r.nr = nr;
        r.args[0] = a0;
        r.args[1] = a1;
        r.args[2] = a2;
        return pv->hypercall(vcpu0, r);
    }
    std::atomic_ref<std::uint16_t> flags(pv_grant_ref ref) {
        const std::uint64_t gpa = (kFrames[ref / 512] << 12) + (ref % 512) * 8;
        // SAFETY: the entry's flags, inside a table frame of guest memory.
        return std::atomic_ref<std::uint16_t>(
            *reinterpret_cast<std::uint16_t*>(mem.translate(gpa, 8).value().data()));
    }
    void grant(pv_grant_ref ref, std::uint64_t gfn, bool readonly) {
        const std::uint64_t gpa = (kFrames[ref / 512] << 12) + (ref % 512) * 8;
        ASSERT_TRUE(mem.write_obj(gpa + 2, static_cast<pv_domid>(PV_DOMID_HOST)).ok());
        ASSERT_TRUE(mem.write_obj(gpa + 4, static_cast<std::uint32_t>(gfn)).ok());
        flags(ref).store(
            static_cast<std::uint16_t>(GTF_permit_access | (readonly ? GTF_readonly : 0U)));
    }
    // pv/grant_table.h's end of access: only when neither GTF_reading nor GTF_writing is set.
    bool end_access(pv_grant_ref ref) {
        auto f = flags(ref);
        std::uint16_t cur = f.load();
        while ((cur & (GTF_reading | GTF_writing)) == 0) {
            if (f.compare_exchange_weak(cur, 0))
                return true;
        }
        return false;
    }
    void fill(std::uint64_t gfn, std::uint8_t seed) {
        std::array<std::uint8_t, 4096> p{};
        for (std::size_t i = 0; i < p.size(); ++i)
            p[i] = pattern_byte(seed, i);
        ASSERT_TRUE(mem.write(gfn << 12, p.data(), p.size()).ok());
    }
    // Offset of the first byte not matching pattern(seed), 4096 if none.
    std::size_t mismatch(std::uint64_t gfn, std::uint8_t seed) {
        std::array<std::uint8_t, 4096> p{};
        EXPECT_TRUE(mem.read(gfn << 12, p.data(), p.size()).ok());
        std::size_t i = 0;
        while (i < p.size() && p[i] == pattern_byte(seed, i))
            ++i;
        return i;
    }
    GrantTableView view() {
        return std::move(GrantTableView::create(mem, pv->grant_frame_gpas()).value());
    }
};

TEST_F(GrantBackendTest, BackendWritesByCopyAndByMapping) {
    GrantTableView v = view();
    ASSERT_EQ(v.nr_entries(), 1024U);
    std::array<std::byte, 2048> half{};
    for (std::size_t i = 0; i < half.size(); ++i)
        half[i] = static_cast<std::byte>(pattern_byte(165, i));
    ASSERT_TRUE(v.copy_to_guest(kRefRw, 0, half).ok());
    {
        auto pin = v.pin(kRefRw, GrantUse::write);
        ASSERT_TRUE(pin.ok());
        EXPECT_EQ(flags(kRefRw).load(), GTF_permit_access | GTF_writing);
        EXPECT_FALSE(end_access(kRefRw)); // the guest defers while the backend maps it
        for (std::size_t i = 2048; i < 4096; ++i)
            pin->page()[i] = static_cast<std::byte>(pattern_byte(165, i));
    }
    EXPECT_EQ(mismatch(kRw, 165), 4096U);
    EXPECT_EQ(flags(kRefRw).load(), GTF_permit_access);
    EXPECT_TRUE(end_access(kRefRw)); // unpinned: the guest may now take the page back
    EXPECT_EQ(v.pin(kRefRw, GrantUse::read).error(), Errc::permission_denied);
}

TEST_F(GrantBackendTest, ReadOnlyRevokedAndOutOfRangeAreRefused) {
    GrantTableView v = view();
    std::array<std::byte, 16> bytes{};
    EXPECT_EQ(v.copy_to_guest(kRefRo, 0, bytes).error(), Errc::permission_denied);
    EXPECT_EQ(v.refused(GrantRefusal::read_only), 1U);
    EXPECT_TRUE(v.copy_from_guest(kRefRo, 0, bytes).ok()); // reading it is what it is for
    EXPECT_EQ(std::to_integer<std::uint8_t>(bytes[1]), pattern_byte(9, 1));
    EXPECT_EQ(v.copy_to_guest(kRefRevoked, 0, bytes).error(), Errc::permission_denied);
    EXPECT_EQ(v.refused(GrantRefusal::not_permitted), 1U);
    EXPECT_EQ(v.pin(1024, GrantUse::read).error(), Errc::permission_denied);
    EXPECT_EQ(v.refused(GrantRefusal::out_of_range), 1U);
    EXPECT_EQ(mismatch(kRo, 9), 4096U);
    EXPECT_EQ(mismatch(kRevoked, 9), 4096U);
}

// The guest's own GNTTABOP_copy through a grant made for the backend, while the backend reads
// it: pvisor neither sets nor clears the flag the backend holds.
TEST_F(GrantBackendTest, GuestCopyBesideABackendPin) {
    GrantTableView v = view();
    auto pin = v.pin(kRefRo, GrantUse::read);
    ASSERT_TRUE(pin.ok());
    gnttab_copy c{};
    c.source.u.ref = kRefRo;
    c.source.domid = DOMID_SELF;
    c.dest.u.gmfn = kScratch;
    c.dest.domid = DOMID_SELF;
    c.len = 4096;
    c.flags = GNTCOPY_source_gref;
    ASSERT_TRUE(mem.write_obj(kArg, c).ok());
    ASSERT_EQ(call(__HYPERVISOR_grant_table_op, GNTTABOP_copy, kArg, 1), 0);
    EXPECT_EQ(mem.read_obj<gnttab_copy>(kArg).value().status, GNTST_okay);
    EXPECT_EQ(mismatch(kScratch, 9), 4096U);
    EXPECT_EQ(flags(kRefRo).load(), GTF_permit_access | GTF_readonly | GTF_reading);
    pin->reset();
    EXPECT_EQ(flags(kRefRo).load(), GTF_permit_access | GTF_readonly);
}

} // namespace
} // namespace pvisor
