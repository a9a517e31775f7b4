// hypercall_test.cpp: the hypercall table's validation, through PvHooks as the VMM calls it.
#include "pv_fixture.hpp"

#include <pv/event_channel.h>
#include <pv/hvm.h>
#include <pv/memory.h>
#include <pv/sched.h>
#include <pv/shared_info.h>
#include <pv/vcpu.h>
#include <pv/version.h>
#include <pv/xen.h>

#include <gtest/gtest.h>

#include <cstring>
#include <thread>
#include <unistd.h>

namespace pvisor {
namespace {

constexpr std::uint64_t kSharedInfo = 0x10000;
constexpr std::uint64_t kArg = test::kArgGpa;
constexpr std::uint64_t kBeyondRam = 64ULL << 20;

struct HypercallTest : test::PvFixture {
    HypercallTest() : PvFixture(2) {}
    void SetUp() override {
        PvFixture::SetUp();
        ASSERT_EQ(physmap(XENMAPSPACE_shared_info, 0, kSharedInfo >> 12), 0);
    }
};

TEST_F(HypercallTest, UnknownAndPrivilege) {
    EXPECT_EQ(call(__HYPERVISOR_mmu_update), -XEN_ENOSYS);
    EXPECT_EQ(call(999), -XEN_ENOSYS);
    test::FakeVcpu user(0, 3);
    EXPECT_EQ(call(__HYPERVISOR_xen_version, XENVER_version, 0, 0, &user), -XEN_EPERM);
    EXPECT_EQ(call(__HYPERVISOR_xen_version, XENVER_version),
              static_cast<std::int32_t>(PV_INTERFACE_VERSION));
}

TEST_F(HypercallTest, BadHandleIsEfault) {
    EXPECT_EQ(call(__HYPERVISOR_event_channel_op, EVTCHNOP_bind_ipi, kBeyondRam), -XEN_EFAULT);
    EXPECT_EQ(call(__HYPERVISOR_sched_op, SCHEDOP_shutdown, kBeyondRam), -XEN_EFAULT);
    EXPECT_TRUE(platform.m_shutdowns.empty());
}

TEST_F(HypercallTest, EventChannelOpsWriteBackPortsAndValidate) {
    evtchn_bind_ipi ipi{};
    ipi.vcpu = 1;
    put(ipi);
    ASSERT_EQ(call(__HYPERVISOR_event_channel_op, EVTCHNOP_bind_ipi, kArg), 0);
    const std::uint32_t port = get<evtchn_bind_ipi>().port;
    EXPECT_GT(port, 0U);
    evtchn_send s{port};
    put(s);
    EXPECT_EQ(call(__HYPERVISOR_event_channel_op, EVTCHNOP_send, kArg), 0);
    EXPECT_EQ(platform.m_upcalls[1], 1U);
    ipi.vcpu = 2; // out of range
    put(ipi);
    EXPECT_EQ(call(__HYPERVISOR_event_channel_op, EVTCHNOP_bind_ipi, kArg), -XEN_EINVAL);
    evtchn_close c{4095};
    put(c);
    EXPECT_EQ(call(__HYPERVISOR_event_channel_op, EVTCHNOP_close, kArg), -XEN_EINVAL);
    evtchn_bind_virq v{VIRQ_TIMER, 0, 0};
    put(v);
    EXPECT_EQ(call(__HYPERVISOR_event_channel_op, EVTCHNOP_bind_virq, kArg), 0);
    put(v);
    EXPECT_EQ(call(__HYPERVISOR_event_channel_op, EVTCHNOP_bind_virq, kArg), -XEN_EEXIST);
    EXPECT_EQ(call(__HYPERVISOR_event_channel_op, 77, kArg), -XEN_ENOSYS);
}

TEST_F(HypercallTest, SingleshotTimerInThePastWithFutureFlagIsEtime) {
    vcpu_set_singleshot_timer t{};
    t.timeout_abs_ns = 1;
    t.flags = VCPU_SSHOTTMR_future;
    put(t);
    EXPECT_EQ(call(__HYPERVISOR_vcpu_op, VCPUOP_set_singleshot_timer, 0, kArg), -XEN_ETIME);
    EXPECT_EQ(call(__HYPERVISOR_vcpu_op, VCPUOP_set_singleshot_timer, 1, kArg), -XEN_EINVAL);
    EXPECT_EQ(call(__HYPERVISOR_vcpu_op, VCPUOP_set_singleshot_timer, 5, kArg), -XEN_EINVAL);
    // The time record was published: version even and nonzero, multiplier set.
    auto ti = platform.m_mem.read_obj<vcpu_time_info>(kSharedInfo + offsetof(vcpu_info, time)).value();
    EXPECT_EQ(ti.version % 2, 0U);
    EXPECT_GT(ti.version, 0U);
    EXPECT_NE(ti.tsc_to_system_mul, 0U);
}

TEST_F(HypercallTest, ShutdownReasons) {
    sched_shutdown s{SHUTDOWN_reboot};
    put(s);
    EXPECT_EQ(call(__HYPERVISOR_sched_op, SCHEDOP_shutdown, kArg), 0);
    s.reason = 42;
    put(s);
    EXPECT_EQ(call(__HYPERVISOR_sched_op, SCHEDOP_shutdown, kArg), -XEN_EINVAL);
    s.reason = SHUTDOWN_poweroff;
    put(s);
    EXPECT_EQ(call(__HYPERVISOR_sched_op, SCHEDOP_shutdown, kArg), 0);
    ASSERT_EQ(platform.m_shutdowns.size(), 2U);
    EXPECT_EQ(platform.m_shutdowns[0], ShutdownReason::reboot);
    EXPECT_EQ(platform.m_shutdowns[1], ShutdownReason::poweroff);
}

TEST_F(HypercallTest, BalloonDecreaseZeroesAndCountsExtents) {
    const std::uint64_t frame = 0x300;
    const std::uint32_t pattern = 0xDEADBEEF;
    ASSERT_TRUE(platform.m_mem.write_obj(frame << 12, pattern).ok());
    const std::uint64_t list = kArg + 0x100;
    const std::uint64_t frames[2] = {frame, kBeyondRam >> 12};
    ASSERT_TRUE(platform.m_mem.write(list, frames, sizeof frames).ok());
    xen_memory_reservation r{};
    r.extent_start = list;
    r.nr_extents = 2;
    r.domid = DOMID_SELF;
    put(r);
    // The second frame is outside RAM: the batch stops there, one extent done.
    EXPECT_EQ(call(__HYPERVISOR_memory_op, XENMEM_decrease_reservation, kArg), 1);
    EXPECT_EQ(platform.m_mem.read_obj<std::uint32_t>(frame << 12).value(), 0U);
    r.extent_order = 1;
    put(r);
    EXPECT_EQ(call(__HYPERVISOR_memory_op, XENMEM_decrease_reservation, kArg), -XEN_EINVAL);
    EXPECT_EQ(call(__HYPERVISOR_memory_op, XENMEM_decrease_reservation | (1 << 6), kArg),
              -XEN_EINVAL);
}

TEST_F(HypercallTest, MulticallWritesEachResultAndRefusesNesting) {
    multicall_entry e[3]{};
    e[0].op = __HYPERVISOR_xen_version;
    e[0].args[0] = XENVER_version;
    e[1].op = __HYPERVISOR_multicall;
    e[2].op = 3; // unused slot
    ASSERT_TRUE(platform.m_mem.write(kArg, e, sizeof e).ok());
    EXPECT_EQ(call(__HYPERVISOR_multicall, kArg, 3), 0);
    multicall_entry out[3];
    ASSERT_TRUE(platform.m_mem.read(kArg, out, sizeof out).ok());
    EXPECT_EQ(out[0].result, PV_INTERFACE_VERSION);
    EXPECT_EQ(static_cast<std::int64_t>(out[1].result), -XEN_EINVAL);
    EXPECT_EQ(static_cast<std::int64_t>(out[2].result), -XEN_ENOSYS);
    EXPECT_EQ(call(__HYPERVISOR_multicall, kArg, PV_MULTICALL_MAX + 1), -XEN_E2BIG);
}

TEST_F(HypercallTest, HvmParamsNameTheSpecialPages) {
    xen_hvm_param p{};
    p.domid = DOMID_SELF;
    p.index = HVM_PARAM_CONSOLE_PFN;
    put(p);
    ASSERT_EQ(call(__HYPERVISOR_hvm_op, HVMOP_get_param, kArg), 0);
    EXPECT_EQ(get<xen_hvm_param>().value, (PV_SPECIAL_PAGES_GPA >> 12) + PV_SPECIAL_PAGE_CONSOLE);
    p.index = HVM_PARAM_STORE_PFN;
    put(p);
    EXPECT_EQ(call(__HYPERVISOR_hvm_op, HVMOP_set_param, kArg), -XEN_EPERM);
    p.index = HVM_NR_PARAMS;
    put(p);
    EXPECT_EQ(call(__HYPERVISOR_hvm_op, HVMOP_get_param, kArg), -XEN_EINVAL);
}

} // namespace
} // namespace pvisor

namespace pvisor {
namespace {

// CI runs with stdin on /dev/null, which epoll refuses: the services must still start.
TEST(PvServicesCreate, StartsWhateverStdinIs) {
    test::FakePlatform platform{1};
    PvConfig cfg;
    cfg.vcpus = 1;
    cfg.console_on_stdio = true;
    auto pv = PvServices::create(platform, cfg);
    ASSERT_TRUE(pv.ok()) << errc_name(pv.error());
    EXPECT_TRUE((*pv)->start().ok());
    (*pv)->stop();
    cfg.vcpus = PV_MAX_VCPUS + 1;
    EXPECT_EQ(PvServices::create(platform, cfg).error(), Errc::invalid_argument);
}

} // namespace
} // namespace pvisor

namespace pvisor {
namespace {

// SCHEDOP_poll sleeps until one of its ports is pending; a send from another vCPU wakes it
// (a lost wake-up hangs this test, and meson's timeout fails it).
TEST_F(HypercallTest, PollWakesOnSendFromAnotherVcpu) {
    evtchn_bind_ipi ipi{};
    ipi.vcpu = 1;
    put(ipi);
    ASSERT_EQ(call(__HYPERVISOR_event_channel_op, EVTCHNOP_bind_ipi, kArg), 0);
    const std::uint32_t port = get<evtchn_bind_ipi>().port;
    constexpr std::uint64_t kPorts = 0x30000;
    ASSERT_TRUE(platform.m_mem.write_obj(kPorts, port).ok());
    sched_poll poll{};
    poll.ports = kPorts;
    poll.nr_ports = 1;
    constexpr std::uint64_t kPollArg = 0x31000;
    ASSERT_TRUE(platform.m_mem.write_obj(kPollArg, poll).ok());

    test::FakeVcpu vcpu1{1};
    std::int32_t polled = 1;
    std::thread sleeper([&] { polled = call(__HYPERVISOR_sched_op, SCHEDOP_poll, kPollArg, 0, &vcpu1); });
    evtchn_send send{port};
    put(send);
    EXPECT_EQ(call(__HYPERVISOR_event_channel_op, EVTCHNOP_send, kArg), 0);
    sleeper.join();
    EXPECT_EQ(polled, 0);
}

// SCHEDOP_block with nothing pending returns once the VMM says its vCPUs are stopping.
TEST_F(HypercallTest, BlockReturnsWhenVcpusStop) {
    test::FakeVcpu vcpu1{1};
    std::int32_t blocked = 1;
    std::thread sleeper([&] { blocked = call(__HYPERVISOR_sched_op, SCHEDOP_block, 0, 0, &vcpu1); });
    pv->vcpus_stopping();
    sleeper.join();
    EXPECT_EQ(blocked, 0);
}

// SCHEDOP_block returns when the domain is paused, so that the vCPU can park.
TEST_F(HypercallTest, BlockReturnsWhenPaused) {
    test::FakeVcpu vcpu1{1};
    std::int32_t blocked = 1;
    std::thread sleeper([&] { blocked = call(__HYPERVISOR_sched_op, SCHEDOP_block, 0, 0, &vcpu1); });
    pv->pause_changed(true);
    sleeper.join();
    EXPECT_EQ(blocked, 0);
}

// A timer that expires while the domain is paused raises no upcall; unpausing delivers it
// once.
TEST_F(HypercallTest, TimerExpiringWhilePausedIsDeliveredAtUnpause) {
    evtchn_bind_virq b{};
    b.virq = VIRQ_TIMER;
    b.vcpu = 0;
    put(b);
    ASSERT_EQ(call(__HYPERVISOR_event_channel_op, EVTCHNOP_bind_virq, kArg), 0);
    ASSERT_TRUE(pv->start().ok());
    pv->pause_changed(true);
    ASSERT_EQ(call(__HYPERVISOR_set_timer_op, 1), 0); // long past: expires at once
    std::string out;
    for (int i = 0; i < 500 && out.find("timer.held_while_paused 1\n") == std::string::npos; ++i) {
        ::usleep(10'000);
        out.clear();
        pv->append_counters(out);
    }
    EXPECT_NE(out.find("timer.held_while_paused 1\n"), std::string::npos) << out;
    EXPECT_NE(out.find("timer.fires 0\n"), std::string::npos) << out;
    EXPECT_EQ(platform.m_upcalls[0], 0U);
    pv->pause_changed(false);
    EXPECT_EQ(platform.m_upcalls[0], 1U);
    out.clear();
    pv->append_counters(out);
    EXPECT_NE(out.find("timer.fires 1\n"), std::string::npos) << out;
    pv->stop();
}

// A poll whose timeout has passed returns at once.
TEST_F(HypercallTest, PollWithPastTimeoutReturns) {
    constexpr std::uint64_t kPorts = 0x30000;
    ASSERT_TRUE(platform.m_mem.write_obj(kPorts, std::uint32_t{1}).ok());
    sched_poll poll{};
    poll.ports = kPorts;
    poll.nr_ports = 1;
    poll.timeout = 1; // 1 ns after pvisor's clock started: long past
    put(poll);
    EXPECT_EQ(call(__HYPERVISOR_sched_op, SCHEDOP_poll, kArg), 0);
}

} // namespace
} // namespace pvisor

namespace pvisor {
namespace {

// The counters behind `pvisor run --metrics`: calls and errors per hypercall, by name.
TEST_F(HypercallTest, CountersNameEachHypercall) {
    EXPECT_EQ(call(__HYPERVISOR_event_channel_op, 77, kArg), -XEN_ENOSYS);
    EXPECT_EQ(call(__HYPERVISOR_xen_version, XENVER_version), static_cast<std::int32_t>(PV_INTERFACE_VERSION));
    std::string out;
    pv->append_counters(out);
    EXPECT_NE(out.find("hypercall.event_channel_op.calls 1\n"), std::string::npos) << out;
    EXPECT_NE(out.find("hypercall.event_channel_op.errors 1\n"), std::string::npos) << out;
    EXPECT_NE(out.find("hypercall.xen_version.errors 0\n"), std::string::npos) << out;
    EXPECT_NE(out.find("hypercall.memory_op.calls 1\n"), std::string::npos) << out; // SetUp
    EXPECT_NE(out.find("grant.faults.bad_gntref 0\n"), std::string::npos) << out;
}

} // namespace
} // namespace pvisor
