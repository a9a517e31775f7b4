// event_channels_test.cpp: port state machine and Xen's 2-level pending/mask/selector rule.
#include "event_channels.hpp"
#include "fake_platform.hpp"

#include <pv/xen.h>

#include <gtest/gtest.h>

namespace pvisor {
namespace {

constexpr std::uint64_t kSharedInfo = 0x10000;

struct EventChannelsTest : ::testing::Test {
    test::FakePlatform platform{4};
    EventChannels ev{platform, 4};
    void SetUp() override { ASSERT_TRUE(ev.set_shared_info(kSharedInfo).ok()); }
    shared_info& si() {
        return *reinterpret_cast<shared_info*>(platform.m_mem.translate(kSharedInfo, 4096)->data());
    }
};

TEST_F(EventChannelsTest, IpiSendSetsPendingSelectorAndRaisesOnce) {
    auto port = ev.bind_ipi(2);
    ASSERT_TRUE(port.ok());
    ASSERT_TRUE(ev.send(*port).ok());
    EXPECT_EQ(si().evtchn_pending[*port / 64], 1ULL << (*port % 64));
    EXPECT_EQ(si().vcpu_info[2].evtchn_pending_sel, 1ULL << (*port / 64));
    EXPECT_EQ(si().vcpu_info[2].evtchn_upcall_pending, 1);
    EXPECT_EQ(platform.m_upcalls[2], 1U);
    // Already pending: no second upcall.
    ASSERT_TRUE(ev.send(*port).ok());
    EXPECT_EQ(platform.m_upcalls[2], 1U);
}

TEST_F(EventChannelsTest, MaskedPortStaysQuietUntilUnmask) {
    auto port = ev.bind_ipi(1);
    ASSERT_TRUE(port.ok());
    si().evtchn_mask[*port / 64] |= 1ULL << (*port % 64);
    ASSERT_TRUE(ev.send(*port).ok());
    EXPECT_EQ(platform.m_upcalls[1], 0U);
    EXPECT_EQ(si().vcpu_info[1].evtchn_upcall_pending, 0);
    ASSERT_TRUE(ev.unmask(*port).ok());
    EXPECT_EQ(platform.m_upcalls[1], 1U);
    EXPECT_EQ(si().vcpu_info[1].evtchn_upcall_pending, 1);
}

TEST_F(EventChannelsTest, VirqBindingRulesAndErrors) {
    auto t0 = ev.bind_virq(VIRQ_TIMER, 0);
    ASSERT_TRUE(t0.ok());
    EXPECT_EQ(ev.bind_virq(VIRQ_TIMER, 0).error(), Errc::exists);
    EXPECT_TRUE(ev.bind_virq(VIRQ_TIMER, 3).ok());
    EXPECT_EQ(ev.bind_virq(VIRQ_TIMER, 4).error(), Errc::invalid_argument);
    EXPECT_EQ(ev.bind_virq(NR_VIRQS, 0).error(), Errc::invalid_argument);
    EXPECT_EQ(ev.bind_virq(VIRQ_CONSOLE, 1).error(), Errc::invalid_argument); // global: vCPU 0
    EXPECT_EQ(ev.send(*t0).error(), Errc::invalid_argument); // cannot send on a VIRQ
    EXPECT_EQ(ev.bind_vcpu(*t0, 1).error(), Errc::invalid_argument); // per-vCPU VIRQ
    ev.raise_virq(VIRQ_TIMER, 0);
    EXPECT_EQ(platform.m_upcalls[0], 1U);
}

TEST_F(EventChannelsTest, BadPortsAndDoubleClose) {
    EXPECT_EQ(ev.send(0).error(), Errc::invalid_argument);
    EXPECT_EQ(ev.send(EventChannels::kNrPorts).error(), Errc::invalid_argument);
    EXPECT_EQ(ev.close(7).error(), Errc::invalid_argument);
    auto p = ev.bind_ipi(0);
    ASSERT_TRUE(p.ok());
    EXPECT_TRUE(ev.close(*p).ok());
    EXPECT_EQ(ev.close(*p).error(), Errc::invalid_argument);
    EXPECT_EQ(ev.bind_ipi(9).error(), Errc::invalid_argument);
    EXPECT_EQ(ev.counters().bad_sends.load(), 2U);
}

TEST_F(EventChannelsTest, LoopbackInterdomainLeavesLocalPendingAndDelivers) {
    auto offer = ev.alloc_unbound(DOMID_SELF);
    ASSERT_TRUE(offer.ok());
    auto local = ev.bind_interdomain(DOMID_SELF, *offer);
    ASSERT_TRUE(local.ok());
    EXPECT_TRUE(ev.port_pending(*local));
    ASSERT_TRUE(ev.bind_vcpu(*offer, 3).ok());
    ASSERT_TRUE(ev.send(*local).ok());
    EXPECT_TRUE(ev.port_pending(*offer));
    EXPECT_EQ(platform.m_upcalls[3], 1U);
    auto st = ev.status(*offer);
    ASSERT_TRUE(st.ok());
    EXPECT_EQ(st->status, static_cast<std::uint32_t>(EVTCHNSTAT_interdomain));
    EXPECT_EQ(st->u.interdomain.port, *local);
    EXPECT_EQ(ev.bind_interdomain(DOMID_SELF, *offer).error(), Errc::invalid_argument);
    EXPECT_EQ(ev.alloc_unbound(5).error(), Errc::not_found);
}

TEST_F(EventChannelsTest, HostPortCallsHostOnSendAndRaisesTowardsGuest) {
    int sends = 0;
    auto port = ev.bind_host_port({[&] { ++sends; }});
    ASSERT_TRUE(port.ok());
    ASSERT_TRUE(ev.send(*port).ok());
    EXPECT_EQ(sends, 1);
    EXPECT_EQ(platform.m_upcalls[0], 0U);
    ev.raise_host_port(*port);
    EXPECT_EQ(platform.m_upcalls[0], 1U);
    EXPECT_EQ(ev.close(*port).error(), Errc::permission_denied);
}

TEST_F(EventChannelsTest, PortsRunOut) {
    for (std::uint32_t i = 1; i < EventChannels::kNrPorts; ++i)
        ASSERT_TRUE(ev.bind_ipi(0).ok());
    EXPECT_EQ(ev.bind_ipi(0).error(), Errc::no_space);
}

} // namespace
} // namespace pvisor
