// control_disconnect_test.cpp: a backend's connection closing unbinds its ports and closes its
// device.
#include "control_client.hpp"
#include "control_fixture.hpp"
#include "grant_table_view.hpp"

#include <fcntl.h>
#include <memory>
#include <optional>
#include <pv/event_channel.h>
#include <pv/grant_table.h>
#include <pv/memory.h>
#include <pv/xen.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

namespace pvisor::test {
namespace {

using ControlDisconnectTest = ControlFixture;

// The guest side of the pin tests: one placed grant table frame and refs granted to dom0.
struct PinFixture : ControlFixture {
    static constexpr std::uint64_t kTableGfn = 0x100;
    static constexpr std::uint64_t kPageGfn = 0x200; // ref r grants page kPageGfn + r

    void SetUp() override {
        ControlFixture::SetUp();
        xen_add_to_physmap x{};
        x.domid = DOMID_SELF;
        x.space = XENMAPSPACE_grant_table;
        x.idx = 0;
        x.gpfn = kTableGfn;
        ASSERT_TRUE(platform.m_mem.write_obj(kArg, x).ok());
        ASSERT_EQ(hypercall(__HYPERVISOR_memory_op, XENMEM_add_to_physmap, kArg), 0);
    }
    static std::uint64_t entry_gpa(pv_grant_ref ref) { return (kTableGfn << 12) + ref * 8U; }
    std::atomic_ref<std::uint16_t> flags(pv_grant_ref ref) {
        // SAFETY: the entry's flags word inside the placed table frame of guest memory.
        return std::atomic_ref<std::uint16_t>(*reinterpret_cast<std::uint16_t*>(
            platform.m_mem.translate(entry_gpa(ref), 8).value().data()));
    }
    void grant(pv_grant_ref ref) {
        ASSERT_TRUE(platform.m_mem.write_obj(entry_gpa(ref) + 2, pv_domid{PV_DOMID_HOST}).ok());
        ASSERT_TRUE(
            platform.m_mem.write_obj(entry_gpa(ref) + 4, static_cast<std::uint32_t>(kPageGfn + ref))
                .ok());
        flags(ref).store(GTF_permit_access);
    }
    // The guest's end of access (gnttab_end_foreign_access_ref): fails while in use.
    bool end_access(pv_grant_ref ref) {
        std::uint16_t expect = GTF_permit_access;
        return flags(ref).compare_exchange_strong(expect, 0);
    }
};

// A backend as pvisor-blkback is one: its own control connection, journal and table view.
// Not movable once made: the view points to the journal.
struct PinningBackend {
    backend::ControlClient control;
    backend::Attachment att;
    backend::PinJournal journal;
    std::optional<backend::GrantTableView> view; // after journal: it must outlive the view
    std::vector<backend::GrantPin> pins;

    static std::unique_ptr<PinningBackend> attach(const std::string& path, const char* device) {
        auto c = backend::ControlClient::connect(path);
        if (!c.ok())
            return nullptr;
        auto a = c->attach(device);
        auto j = a.ok() ? c->pin_journal() : Result<backend::PinJournal>(Errc::io_error);
        auto f = j.ok() ? c->grant_frames() : Result<std::vector<std::uint64_t>>(Errc::io_error);
        if (!f.ok())
            return nullptr;
        auto b = std::unique_ptr<PinningBackend>(
            new PinningBackend{std::move(*c), std::move(*a), std::move(*j), std::nullopt, {}});
        auto v = backend::GrantTableView::create(b->att.memory, std::move(*f));
        if (!v.ok())
            return nullptr;
        b->view.emplace(std::move(*v));
        if (!b->view->use_journal(b->journal).ok())
            return nullptr;
        return b;
    }
    bool pin(pv_grant_ref ref, backend::GrantUse use) {
        auto p = view->pin(ref, use);
        if (p.ok())
            pins.push_back(std::move(*p));
        return p.ok();
    }
};

// Forks a backend process: it runs `setup` (attach, bind, pin...), reports, then waits to be
// killed; everything `setup` made stays alive in it. Returns its pid once `setup` succeeded,
// else -1 (the child already reaped).
template <typename Setup>
pid_t fork_backend(Setup setup) {
    int ready[2];
    if (::pipe(ready) != 0)
        return -1;
    const pid_t child = ::fork();
    if (child == 0) {
        const char r = setup() ? 'y' : 'n';
        (void)!::write(ready[1], &r, 1);
        for (;;)
            ::pause();
    }
    ::close(ready[1]);
    char r = 0;
    const bool ok = ::read(ready[0], &r, 1) == 1 && r == 'y';
    ::close(ready[0]);
    if (!ok && child > 0) {
        ::kill(child, SIGKILL);
        ::waitpid(child, nullptr, 0);
    }
    return ok ? child : -1;
}

// Forks a backend that attaches, pins `pins` and waits to be killed; returns its pid once
// it pinned them (or -1).
template <typename Fixture>
pid_t fork_pinning_backend(Fixture& f,
                           std::vector<std::pair<pv_grant_ref, backend::GrantUse>> pins) {
    std::unique_ptr<PinningBackend> b;
    return fork_backend([&] {
        b = PinningBackend::attach(f.server->socket_path(), "backend/vbd/1/51712");
        bool ok = b != nullptr;
        for (const auto& [ref, use] : pins)
            ok = ok && b->pin(ref, use);
        return ok;
    });
}

void kill_and_reap(pid_t pid) {
    ::kill(pid, SIGKILL);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
}

using ControlPinTest = PinFixture;

TEST_F(ControlPinTest, KilledBackendsGrantFlagsAreClearedOthersKept) {
    for (pv_grant_ref r : {10U, 11U, 12U})
        grant(r);
    auto live = PinningBackend::attach(server->socket_path(), "backend/vif/1/0");
    ASSERT_NE(live, nullptr);
    ASSERT_TRUE(live->pin(12, backend::GrantUse::read));
    const pid_t child = fork_pinning_backend(
        *this, {{10, backend::GrantUse::write}, {11, backend::GrantUse::read}});
    ASSERT_GT(child, 0);
    EXPECT_EQ(flags(10).load(), GTF_permit_access | GTF_writing);
    EXPECT_EQ(flags(11).load(), GTF_permit_access | GTF_reading);
    EXPECT_EQ(flags(12).load(), GTF_permit_access | GTF_reading);
    EXPECT_FALSE(end_access(10)); // the guest defers while the backend holds the page
    kill_and_reap(child);
    ASSERT_TRUE(eventually([&] { return server->counters().clients_closed.load() == 1; }));
    EXPECT_EQ(server->counters().pins_released.load(), 2U);
    EXPECT_EQ(server->counters().pins_shared.load(), 0U);
    EXPECT_EQ(server->counters().pins_stale.load(), 0U);
    EXPECT_EQ(flags(10).load(), GTF_permit_access);
    EXPECT_EQ(flags(11).load(), GTF_permit_access);
    EXPECT_EQ(flags(12).load(), GTF_permit_access | GTF_reading); // the live backend's pin
    EXPECT_TRUE(end_access(10));
    EXPECT_TRUE(end_access(11));
    EXPECT_FALSE(end_access(12));
    std::string counters;
    server->append_counters(counters);
    EXPECT_NE(counters.find("control.pins_released 2\n"), std::string::npos) << counters;
    EXPECT_NE(counters.find("control.pin_journals 2\n"), std::string::npos) << counters;
    // The live backend's own unpin still works after the release.
    live->pins.clear();
    EXPECT_EQ(flags(12).load(), GTF_permit_access);
    EXPECT_FALSE(live->journal.held(12, false));
}

TEST_F(ControlPinTest, FlagAnotherBackendAlsoHoldsStays) {
    grant(20);
    auto live = PinningBackend::attach(server->socket_path(), "backend/vif/1/0");
    ASSERT_NE(live, nullptr);
    ASSERT_TRUE(live->pin(20, backend::GrantUse::read));
    const pid_t child = fork_pinning_backend(
        *this, {{20, backend::GrantUse::read}, {20, backend::GrantUse::write}});
    ASSERT_GT(child, 0);
    EXPECT_EQ(flags(20).load(), GTF_permit_access | GTF_reading | GTF_writing);
    kill_and_reap(child);
    ASSERT_TRUE(eventually([&] { return server->counters().clients_closed.load() == 1; }));
    EXPECT_EQ(server->counters().pins_released.load(), 1U); // GTF_writing
    EXPECT_EQ(server->counters().pins_shared.load(), 1U);   // GTF_reading: the live one's too
    EXPECT_EQ(flags(20).load(), GTF_permit_access | GTF_reading);
}

TEST_F(ControlPinTest, CleanUnpinLeavesNothingToRelease) {
    grant(30);
    {
        auto b = PinningBackend::attach(server->socket_path(), "");
        ASSERT_NE(b, nullptr);
        ASSERT_TRUE(b->pin(30, backend::GrantUse::write));
        EXPECT_TRUE(b->journal.held(30, true));
        b->pins.clear();
        EXPECT_FALSE(b->journal.held(30, true));
    }
    ASSERT_TRUE(eventually([&] { return server->counters().clients_closed.load() == 1; }));
    EXPECT_EQ(server->counters().pins_released.load(), 0U);
    EXPECT_EQ(flags(30).load(), GTF_permit_access);
}

// The journal is backend-written: bits for reserved refs or refs beyond the placed frames are
// counted and ignored; a bit whose flag is clear changes nothing; the memfd cannot be resized.
TEST_F(ControlPinTest, HostileJournalBitsAreRangeChecked) {
    grant(40);
    grant(41);
    flags(41).store(GTF_permit_access | GTF_writing); // as if pinned (by the hostile backend)
    {
        UniqueFd c = connect_client();
        std::vector<UniqueFd> fds;
        ASSERT_EQ(as<ctl::AttachReply>(exchange(c.get(), attach_request(), &fds)).r.status, 0);
        fds.clear();
        ctl::PinJournalRequest req{ctl::request_header(ctl::Op::pin_journal, 7, sizeof req)};
        const auto r = as<ctl::PinJournalReply>(exchange(c.get(), req, &fds));
        ASSERT_EQ(r.r.status, 0);
        ASSERT_EQ(fds.size(), 1U);
        EXPECT_EQ(r.nr_entries, ctl::kPinJournalEntries);
        EXPECT_EQ(r.bits_per_ref, 2U);
        EXPECT_EQ(r.bytes, ctl::kPinJournalBytes);
        EXPECT_NE(::ftruncate(fds[0].get(), 4096), 0); // sealed: pvisor's mapping cannot fault
        EXPECT_NE(::ftruncate(fds[0].get(), 1 << 20), 0);
        void* p = ::mmap(nullptr, r.bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fds[0].get(), 0);
        ASSERT_NE(p, MAP_FAILED);
        auto* w = static_cast<std::uint64_t*>(p);
        auto set = [w](pv_grant_ref ref, bool writing) {
            w[ref / 32] |= std::uint64_t{1} << ((ref % 32) * 2 + (writing ? 1 : 0));
        };
        set(GNTTAB_RESERVED_XENSTORE, false); // reserved
        set(600, true);                       // beyond the one placed frame
        set(ctl::kPinJournalEntries - 1, true);
        set(40, false); // flag not set: stale
        set(41, true);  // released
        ::munmap(p, r.bytes);
    }
    ASSERT_TRUE(eventually([&] { return server->counters().clients_closed.load() == 1; }));
    EXPECT_EQ(server->counters().pins_bad_ref.load(), 3U);
    EXPECT_EQ(server->counters().pins_stale.load(), 1U);
    EXPECT_EQ(server->counters().pins_released.load(), 1U);
    EXPECT_EQ(flags(40).load(), GTF_permit_access);
    EXPECT_EQ(flags(41).load(), GTF_permit_access);
}

TEST_F(ControlPinTest, JournalBeforeAttachIsRefused) {
    UniqueFd c = connect_client();
    ctl::PinJournalRequest req{ctl::request_header(ctl::Op::pin_journal, 1, sizeof req)};
    std::vector<UniqueFd> fds;
    EXPECT_EQ(as<ctl::Reply>(exchange(c.get(), req, &fds)).status, -ENOTCONN);
    EXPECT_TRUE(fds.empty());
    EXPECT_EQ(server->counters().pin_journals.load(), 0U);
}

TEST_F(ControlDisconnectTest, CloseUnbindsAndClosesDevice) {
    const std::uint32_t p1 = alloc_unbound(0);
    const std::uint32_t p2 = alloc_unbound(0);
    {
        UniqueFd c = connect_client();
        std::vector<UniqueFd> fds;
        ASSERT_EQ(
            as<ctl::AttachReply>(exchange(c.get(), attach_request("backend/vbd/1/51712"), &fds))
                .r.status,
            0);
        ASSERT_EQ(
            as<ctl::BindReply>(exchange(c.get(), port_request(ctl::Op::bind, p1), &fds)).r.status,
            0);
        ASSERT_EQ(
            as<ctl::BindReply>(exchange(c.get(), port_request(ctl::Op::bind, p2), &fds)).r.status,
            0);
        EXPECT_EQ(platform.m_notify_fds.load(), 2);
    }
    ASSERT_TRUE(eventually([&] { return server->counters().clients_closed.load() == 1; }));
    EXPECT_EQ(port_status(p1), std::make_pair(std::uint32_t{EVTCHNSTAT_unbound}, 0U));
    EXPECT_EQ(port_status(p2), std::make_pair(std::uint32_t{EVTCHNSTAT_unbound}, 0U));
    EXPECT_EQ(platform.m_notify_fds.load(), 0);
    {
        std::lock_guard lock(store_lock);
        ASSERT_EQ(store_writes.size(), 2U);
        EXPECT_EQ(store_writes[0],
                  std::make_pair(std::string("backend/vbd/1/51712/state"), std::string("5")));
        EXPECT_EQ(store_writes[1],
                  std::make_pair(std::string("backend/vbd/1/51712/state"), std::string("6")));
    }
    // A guest send on the now-unbound port is dropped, as Xen does.
    evtchn_send s{p1};
    ASSERT_TRUE(platform.m_mem.write_obj(kArg, s).ok());
    EXPECT_EQ(hypercall(__HYPERVISOR_event_channel_op, EVTCHNOP_send, kArg), 0);
    // A new backend binds the same port again.
    UniqueFd c2 = connect_client();
    std::vector<UniqueFd> fds;
    ASSERT_EQ(as<ctl::AttachReply>(exchange(c2.get(), attach_request(), &fds)).r.status, 0);
    EXPECT_EQ(
        as<ctl::BindReply>(exchange(c2.get(), port_request(ctl::Op::bind, p1), &fds)).r.status, 0);
}

TEST_F(ControlDisconnectTest, KilledBackendProcessIsCleanedUp) {
    const std::uint32_t port = alloc_unbound(0);
    // The backend: attach, bind, then wait to be killed.
    UniqueFd c;
    std::vector<UniqueFd> fds;
    const pid_t child = fork_backend([&] {
        c = connect_client();
        return as<ctl::AttachReply>(exchange(c.get(), attach_request("backend/vbd/1/51728"), &fds))
                       .r.status == 0 &&
               as<ctl::BindReply>(exchange(c.get(), port_request(ctl::Op::bind, port), &fds))
                       .r.status == 0;
    });
    ASSERT_GT(child, 0);
    EXPECT_EQ(port_status(port).first, std::uint32_t{EVTCHNSTAT_interdomain});
    kill_and_reap(child);
    ASSERT_TRUE(eventually([&] { return server->counters().clients_closed.load() == 1; }));
    EXPECT_EQ(port_status(port), std::make_pair(std::uint32_t{EVTCHNSTAT_unbound}, 0U));
    std::lock_guard lock(store_lock);
    ASSERT_EQ(store_writes.size(), 2U);
    EXPECT_EQ(store_writes[1].first, "backend/vbd/1/51728/state");
    EXPECT_EQ(store_writes[1].second, "6");
}

} // namespace
} // namespace pvisor::test
