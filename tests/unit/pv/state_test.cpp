// state_test.cpp: the PV services' save/restore pieces: event channels, balloon and grant
// frames come back as saved, and a restore refuses state that does not fit the domain.
#include "balloon.hpp"
#include "event_channels.hpp"
#include "fake_platform.hpp"
#include "grant_table.hpp"

#include <pv/xen.h>

#include <gtest/gtest.h>

namespace pvisor {
namespace {

constexpr std::uint64_t kSharedInfo = 0x10000;

TEST(PvState, EventChannelsRoundTrip) {
    test::FakePlatform platform{2};
    EventChannels ev{platform, 2};
    ASSERT_TRUE(ev.set_shared_info(kSharedInfo).ok());
    auto console = ev.bind_host_port({});
    auto timer1 = ev.bind_virq(VIRQ_TIMER, 1);
    auto ipi = ev.bind_ipi(1);
    auto backend = ev.alloc_unbound(PV_DOMID_HOST);
    ASSERT_TRUE(console.ok() && timer1.ok() && ipi.ok() && backend.ok());
    ASSERT_TRUE(ev.bind_unbound_to_host(*backend, {}).ok()); // a backend bound it
    const std::vector<SavedPort> saved = ev.save();
    ASSERT_EQ(saved.size(), 4U);
    EXPECT_EQ(saved[3].state, static_cast<std::uint8_t>(SavedPortState::unbound));
    EXPECT_EQ(saved[3].remote_dom, PV_DOMID_HOST);

    // The guest's shared_info bits came back with its memory: restore must not clear them.
    test::FakePlatform platform2{2};
    auto* pending = reinterpret_cast<shared_info*>(
        platform2.m_mem.translate(kSharedInfo, 4096)->data());
    pending->evtchn_pending[0] = 1ULL << *ipi;
    EventChannels ev2{platform2, 2};
    ASSERT_TRUE(ev2.bind_host_port({}).ok()); // pvisor's own port, bound again first
    ASSERT_TRUE(ev2.restore(kSharedInfo, saved).ok());
    EXPECT_EQ(ev2.save().size(), 4U);
    EXPECT_EQ(pending->evtchn_pending[0], 1ULL << *ipi);
    EXPECT_EQ(*ev2.shared_info_gpa(), kSharedInfo);
    // The VIRQ is bound again on vCPU 1, the backend's port waits for the backend.
    EXPECT_EQ(ev2.bind_virq(VIRQ_TIMER, 1).error(), Errc::exists);
    EXPECT_TRUE(ev2.bind_unbound_to_host(*backend, {}).ok());
    // The IPI port delivers to vCPU 1 (pending already: the upcall goes on unmask).
    pending->evtchn_pending[0] = 0;
    ASSERT_TRUE(ev2.send(*ipi).ok());
    EXPECT_EQ(platform2.m_upcalls[1], 1U);
}

TEST(PvState, EventChannelRestoreRefusesWhatDoesNotFit) {
    test::FakePlatform platform{2};
    auto refused = [&platform](std::uint64_t si, std::vector<SavedPort> ports) {
        EventChannels ev{platform, 2};
        (void)ev.bind_host_port({}); // port 1
        return ev.restore(si, ports).error();
    };
    const std::uint8_t ipi = static_cast<std::uint8_t>(SavedPortState::ipi);
    const std::uint8_t virq = static_cast<std::uint8_t>(SavedPortState::virq);
    const std::uint8_t host = static_cast<std::uint8_t>(SavedPortState::host);
    EXPECT_EQ(refused(kSharedInfo, {{5, ipi, 0, 0, 1, 0, 0}}), Errc::ok);
    EXPECT_EQ(refused(kSharedInfo, {{5, ipi, 0, 0, 2, 0, 0}}), Errc::invalid_argument); // vCPU
    EXPECT_EQ(refused(kSharedInfo, {{0, ipi, 0, 0, 0, 0, 0}}), Errc::invalid_argument); // port 0
    EXPECT_EQ(refused(kSharedInfo, {{EventChannels::kNrPorts, ipi, 0, 0, 0, 0, 0}}),
              Errc::invalid_argument);
    EXPECT_EQ(refused(kSharedInfo, {{5, 9, 0, 0, 0, 0, 0}}), Errc::invalid_argument); // state
    EXPECT_EQ(refused(kSharedInfo, {{5, virq, 0, 0, 0, NR_VIRQS, 0}}), Errc::invalid_argument);
    EXPECT_EQ(refused(kSharedInfo, {{5, virq, 0, 0, 0, VIRQ_TIMER, 0},
                                    {6, virq, 0, 0, 0, VIRQ_TIMER, 0}}),
              Errc::invalid_argument); // one VIRQ bound twice
    EXPECT_EQ(refused(kSharedInfo, {{7, host, 0, 0, 0, 0, 0}}), Errc::invalid_argument);
    EXPECT_EQ(refused(kSharedInfo, {{1, ipi, 0, 0, 0, 0, 0}}), Errc::invalid_argument); // taken
    EXPECT_EQ(refused(kSharedInfo + 8, {}), Errc::invalid_argument);   // not a page
    EXPECT_EQ(refused(PV_SPECIAL_PAGES_GPA, {}), Errc::invalid_argument); // not RAM
}

TEST(PvState, BalloonAndGrantFrames) {
    test::FakePlatform platform{1};
    Balloon b{platform.memory()};
    ASSERT_TRUE(b.decrease(40).ok());
    ASSERT_TRUE(b.decrease(7).ok());
    EXPECT_EQ(b.out_frames(), (std::vector<std::uint64_t>{7, 40}));
    Balloon b2{platform.memory()};
    ASSERT_TRUE(b2.restore_out({7, 40}).ok());
    EXPECT_TRUE(b2.is_out(40));
    EXPECT_EQ(b2.pages_out(), 2U);
    EXPECT_TRUE(b2.populate(7).ok()); // taken back as after any balloon deflate
    EXPECT_EQ(Balloon{platform.memory()}.restore_out({7, 7}).error(), Errc::invalid_argument);
    EXPECT_EQ(Balloon{platform.memory()}.restore_out({PV_SPECIAL_PAGES_GPA >> 12}).error(),
              Errc::invalid_argument);

    GrantTable g{platform.memory(), 4};
    EXPECT_TRUE(g.restore_frames({0x20000, 0x21000}).ok());
    EXPECT_EQ(g.frame_gpas(), (std::vector<std::uint64_t>{0x20000, 0x21000}));
    EXPECT_TRUE(g.is_table_frame(0x21));
    EXPECT_EQ(g.restore_frames({0x22000}).error(), Errc::invalid_argument); // placed already
    EXPECT_EQ(GrantTable(platform.memory(), 4).restore_frames({0x20000, 0x20000}).error(),
              Errc::invalid_argument);
    EXPECT_EQ(GrantTable(platform.memory(), 1).restore_frames({0x20000, 0x21000}).error(),
              Errc::invalid_argument);
    EXPECT_EQ(GrantTable(platform.memory(), 4).restore_frames({0x20800}).error(),
              Errc::invalid_argument);
}

} // namespace
} // namespace pvisor
