// grant_table_view_test.cpp: evil-peer tests of the grant access library alone.
#include "frontend_model.hpp"
#include "grant_table_view.hpp"

#include <array>
#include <atomic>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <thread>
#include <unistd.h>

namespace pvisor::backend {
namespace {

using testing::FakeGuest;

class GrantTest : public ::testing::Test {
  protected:
    FakeGuest guest;
    GrantTableView grants = GrantTableView::create(guest.memory(), guest.grant_frames()).value();
};

TEST_F(GrantTest, PinSetsInUseFlagAndReleaseClearsIt) {
    const auto gpa = guest.alloc_page();
    const auto ref = guest.grant(gpa);
    {
        auto w = grants.pin(ref, GrantUse::write);
        ASSERT_TRUE(w.ok());
        EXPECT_EQ(w->page().data(), guest.backend_host(gpa));
        EXPECT_NE(w->page().data(), guest.host(gpa)); // a separate mapping of the memfd
        EXPECT_EQ(guest.entry(ref).flags, GTF_permit_access | GTF_writing);
        auto r = grants.pin(ref, GrantUse::read);
        ASSERT_TRUE(r.ok());
        EXPECT_EQ(guest.entry(ref).flags, GTF_permit_access | GTF_writing | GTF_reading);
        EXPECT_FALSE(guest.end_access(ref)); // the guest must defer while in use
        r->reset();
        EXPECT_EQ(guest.entry(ref).flags, GTF_permit_access | GTF_writing);
    }
    EXPECT_EQ(guest.entry(ref).flags, GTF_permit_access);
    EXPECT_EQ(grants.pinned_refs(), 0U);
    EXPECT_TRUE(guest.end_access(ref));
    EXPECT_EQ(grants.refused_total(), 0U);
}

// A journal memfd as pvisor hands one out, for `entries` refs.
PinJournal make_journal(std::uint32_t entries, std::size_t bytes = 0) {
    UniqueFd fd(::memfd_create("test-pin-journal", MFD_CLOEXEC));
    EXPECT_TRUE(fd.valid());
    EXPECT_EQ(::ftruncate(fd.get(),
                          static_cast<off_t>(bytes != 0 ? bytes : PinJournal::bytes_for(entries))),
              0);
    return std::move(PinJournal::map(std::move(fd), entries).value());
}

TEST_F(GrantTest, JournalNamesEachFlagExactlyWhileItIsHeld) {
    PinJournal journal = make_journal(grants.nr_entries());
    ASSERT_TRUE(grants.use_journal(journal).ok());
    const auto gpa = guest.alloc_page();
    const auto ref = guest.grant(gpa);
    const auto other = guest.grant(gpa);
    {
        auto w = grants.pin(ref, GrantUse::write);
        ASSERT_TRUE(w.ok());
        EXPECT_TRUE(journal.held(ref, true));
        EXPECT_FALSE(journal.held(ref, false));
        auto r1 = grants.pin(ref, GrantUse::read);
        auto r2 = grants.pin(ref, GrantUse::read);
        ASSERT_TRUE(r1.ok() && r2.ok());
        EXPECT_TRUE(journal.held(ref, false));
        r1->reset(); // nested: the flag and its bit stay until the last read pin
        EXPECT_TRUE(journal.held(ref, false));
        EXPECT_EQ(guest.entry(ref).flags, GTF_permit_access | GTF_writing | GTF_reading);
        r2->reset();
        EXPECT_FALSE(journal.held(ref, false));
        EXPECT_TRUE(journal.held(ref, true));
        EXPECT_FALSE(journal.held(other, false) || journal.held(other, true));
        // Pins are held: the journal cannot change now.
        PinJournal second = make_journal(grants.nr_entries());
        EXPECT_EQ(grants.use_journal(second).error(), Errc::busy);
    }
    EXPECT_FALSE(journal.held(ref, true));
    EXPECT_EQ(guest.entry(ref).flags, GTF_permit_access);
    // Copies pin too, and leave nothing behind.
    std::array<std::byte, 16> buf{};
    ASSERT_TRUE(grants.copy_to_guest(other, 0, buf).ok());
    EXPECT_FALSE(journal.held(other, true));
}

TEST_F(GrantTest, RefusedPinLeavesNoJournalBit) {
    PinJournal journal = make_journal(grants.nr_entries());
    ASSERT_TRUE(grants.use_journal(journal).ok());
    const auto gpa = guest.alloc_page();
    const auto ro = guest.grant(gpa, true);
    const auto revoked = guest.grant(gpa);
    ASSERT_TRUE(guest.end_access(revoked));
    auto r = grants.pin(ro, GrantUse::read);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(grants.pin(ro, GrantUse::write).error(), Errc::permission_denied);
    EXPECT_EQ(grants.pin(revoked, GrantUse::read).error(), Errc::permission_denied);
    EXPECT_FALSE(journal.held(ro, true));
    EXPECT_TRUE(journal.held(ro, false)); // the read pin that did succeed
    EXPECT_FALSE(journal.held(revoked, false));
}

TEST_F(GrantTest, JournalTooSmallForTheTableIsRefused) {
    PinJournal small = make_journal(grants.nr_entries() - 1);
    EXPECT_EQ(grants.use_journal(small).error(), Errc::invalid_argument);
    UniqueFd fd(::memfd_create("short", MFD_CLOEXEC));
    ASSERT_EQ(::ftruncate(fd.get(), 8), 0);
    EXPECT_EQ(PinJournal::map(std::move(fd), 1024).error(), Errc::invalid_argument);
    EXPECT_EQ(PinJournal::map(UniqueFd(), 32).error(), Errc::invalid_argument);
}

TEST_F(GrantTest, NestedPinsKeepTheFlagUntilTheLastOne) {
    const auto ref = guest.grant(guest.alloc_page());
    auto a = grants.pin(ref, GrantUse::read);
    auto b = grants.pin(ref, GrantUse::read);
    ASSERT_TRUE(a.ok() && b.ok());
    a->reset();
    EXPECT_EQ(guest.entry(ref).flags, GTF_permit_access | GTF_reading);
    b->reset();
    EXPECT_EQ(guest.entry(ref).flags, GTF_permit_access);
}

TEST_F(GrantTest, RevokedForeignOutOfRangeAndReadOnlyAreRefused) {
    const auto gpa = guest.alloc_page();
    const auto revoked = guest.grant(gpa);
    ASSERT_TRUE(guest.end_access(revoked));
    const auto foreign = guest.grant(gpa, false, 3);
    const auto ro = guest.grant(gpa, true);
    const auto transfer = guest.grant(gpa);
    guest.set_entry(transfer, GTF_accept_transfer, 0, static_cast<std::uint32_t>(gpa >> 12));

    EXPECT_EQ(grants.pin(revoked, GrantUse::read).error(), Errc::permission_denied);
    EXPECT_EQ(grants.pin(foreign, GrantUse::read).error(), Errc::permission_denied);
    EXPECT_EQ(grants.pin(ro, GrantUse::write).error(), Errc::permission_denied);
    EXPECT_EQ(grants.pin(transfer, GrantUse::read).error(), Errc::permission_denied);
    EXPECT_EQ(grants.pin(512, GrantUse::read).error(), Errc::permission_denied);
    EXPECT_EQ(grants.pin(0xFFFFFFFFU, GrantUse::read).error(), Errc::permission_denied);
    EXPECT_EQ(grants.pin(GNTTAB_RESERVED_XENSTORE, GrantUse::read).error(),
              Errc::permission_denied);
    EXPECT_EQ(grants.refused(GrantRefusal::not_permitted), 2U);
    EXPECT_EQ(grants.refused(GrantRefusal::foreign_domid), 1U);
    EXPECT_EQ(grants.refused(GrantRefusal::read_only), 1U);
    EXPECT_EQ(grants.refused(GrantRefusal::out_of_range), 3U);
    // Refusals leave the entries untouched (no in-use flag left behind).
    EXPECT_EQ(guest.entry(ro).flags, GTF_permit_access | GTF_readonly);
    EXPECT_TRUE(grants.pin(ro, GrantUse::read).ok());
}

TEST_F(GrantTest, FrameOutsideRamIsRefusedAndFlagUndone) {
    const auto ref = guest.grant(guest.alloc_page());
    guest.set_entry(ref, GTF_permit_access, 0,
                    static_cast<std::uint32_t>(FakeGuest::kRamBytes >> kPageShift));
    EXPECT_EQ(grants.pin(ref, GrantUse::read).error(), Errc::bad_address);
    guest.set_entry(ref, GTF_permit_access, 0, 0xFFFFFFFFU);
    EXPECT_EQ(grants.pin(ref, GrantUse::write).error(), Errc::bad_address);
    EXPECT_EQ(grants.refused(GrantRefusal::bad_frame), 2U);
    EXPECT_EQ(guest.entry(ref).flags, GTF_permit_access);
    EXPECT_EQ(grants.pinned_refs(), 0U);
}

TEST_F(GrantTest, CopiesStayInsideTheGrantedPage) {
    const auto gpa = guest.alloc_page();
    const auto ref = guest.grant(gpa);
    std::array<std::byte, 16> buf{};
    buf.fill(std::byte{0x42});
    EXPECT_TRUE(grants.copy_to_guest(ref, 4080, buf).ok());
    EXPECT_EQ(guest.host(gpa)[4095], std::byte{0x42});
    EXPECT_EQ(grants.copy_to_guest(ref, 4081, buf).error(), Errc::permission_denied);
    EXPECT_EQ(grants.copy_from_guest(ref, 0xFFFFFFFFU, buf).error(), Errc::permission_denied);
    EXPECT_EQ(grants.refused(GrantRefusal::bad_length), 2U);
    std::array<std::byte, 16> back{};
    EXPECT_TRUE(grants.copy_from_guest(ref, 4080, back).ok());
    EXPECT_EQ(back, buf);
    EXPECT_EQ(guest.entry(ref).flags, GTF_permit_access);
}

TEST_F(GrantTest, EntryChangedAfterPinDoesNotMoveThePage) {
    // The frame is read once, when the first pin is taken: a guest rewriting the entry while
    // the page is in use cannot redirect the backend's access.
    const auto gpa = guest.alloc_page();
    const auto other = guest.alloc_page();
    const auto ref = guest.grant(gpa);
    auto a = grants.pin(ref, GrantUse::read);
    ASSERT_TRUE(a.ok());
    guest.set_entry(ref, GTF_permit_access | GTF_reading, 0,
                    static_cast<std::uint32_t>(other >> kPageShift));
    auto b = grants.pin(ref, GrantUse::read);
    ASSERT_TRUE(b.ok());
    EXPECT_EQ(b->page().data(), guest.backend_host(gpa));
}

TEST_F(GrantTest, CreateRejectsBadTableFrames) {
    EXPECT_EQ(GrantTableView::create(guest.memory(), {}).error(), Errc::invalid_argument);
    EXPECT_EQ(GrantTableView::create(guest.memory(), {0x10001}).error(), Errc::invalid_argument);
    EXPECT_EQ(GrantTableView::create(guest.memory(), {FakeGuest::kRamBytes}).error(),
              Errc::bad_address);
}

TEST_F(GrantTest, GuestEndAccessRacingBackendPinsNeverOverlap) {
    // The guest grants and ends access in a loop while the backend pins and releases the
    // same ref. Whenever the guest's end of access succeeds, the backend must hold no pin.
    const auto gpa = guest.alloc_page();
    const auto ref = guest.grant(gpa);
    const auto frame = static_cast<std::uint32_t>(gpa >> kPageShift);
    ASSERT_TRUE(guest.end_access(ref));
    std::atomic<bool> holding{false};
    std::atomic<bool> done{false};
    std::atomic<std::uint64_t> overlaps{0}, ends{0}, pins{0};
    std::thread backend([&] {
        while (!done.load()) {
            auto p = grants.pin(ref, GrantUse::write);
            if (!p.ok())
                continue;
            holding.store(true);
            pins.fetch_add(1);
            for (int spin = 0; spin < 200; ++spin) // hold the page a little while
                holding.store(true);
            holding.store(false);
        }
    });
    for (int i = 0; i < 5000; ++i) {
        const std::uint64_t before = pins.load();
        guest.set_entry(ref, GTF_permit_access, 0, frame);
        // Keep the grant up until the backend used it (or a while), then end access.
        for (int spin = 0; spin < 100000 && pins.load() == before; ++spin) {
        }
        while (!guest.end_access(ref)) {
        }
        if (holding.load())
            overlaps.fetch_add(1);
        ends.fetch_add(1);
    }
    done.store(true);
    backend.join();
    EXPECT_EQ(overlaps.load(), 0U) << pins.load() << " pins";
    RecordProperty("backend_pins", std::to_string(pins.load()));
    EXPECT_EQ(ends.load(), 5000U);
    EXPECT_EQ(grants.pinned_refs(), 0U);
    EXPECT_EQ(guest.entry(ref).flags, 0U);
    // Refusals while revoked are counted as not_permitted, nothing else.
    EXPECT_EQ(grants.refused_total(), grants.refused(GrantRefusal::not_permitted));
}

} // namespace
} // namespace pvisor::backend
