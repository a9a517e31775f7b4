// control_test.cpp: pvcore's control.c (the toolstack's control/shutdown requests) over the
// userspace store client against pvisor's Store: which requests are acknowledged and acted
// on, which are left alone, and the feature-* nodes.
#include "client.h"
#include "store_host.hpp"

#include <chrono>
#include <gtest/gtest.h>
#include <string>
#include <thread>

namespace {

using pvbus_test::Host;
using pvisor::store::Access;
using pvisor::store::Perms;

const std::string kHome = "/local/domain/1";
const std::string kShutdown = kHome + "/control/shutdown";

class Control : public ::testing::Test {
  protected:
    void SetUp() override {
        tc_reset_calls();
        ASSERT_EQ(tc_start(), 0);
    }
    void TearDown() override {
        tc_control_exit();
        tc_stop();
        tc_reset_calls();
    }
    // Waits (5 s at most) until pred holds; false if it never did.
    template <typename P>
    static bool eventually(P pred) {
        for (int i = 0; i < 5000 && !pred(); i++)
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        return pred();
    }
    static int poweroffs() {
        bool forced = false;
        return tc_poweroffs(&forced);
    }
    static bool last_forced() {
        bool forced = false;
        (void)tc_poweroffs(&forced);
        return forced;
    }
    // For a request the guest must not act on: time enough for its watch callback.
    static void settle() { std::this_thread::sleep_for(std::chrono::milliseconds(100)); }
    // Waits until the guest sent `n` more store requests than `before`.
    bool requests_since(std::uint64_t before, std::uint64_t n) {
        return eventually([&] { return m_host.counters().messages >= before + n; });
    }

    Host m_host;
};

TEST_F(Control, PoweroffIsAcknowledgedThenTheOrderlyPathStarts) {
    tc_control_init();
    m_host.write(kShutdown, "poweroff");
    ASSERT_TRUE(eventually([] { return poweroffs() == 1; }));
    EXPECT_FALSE(last_forced()); // a running system asks userspace (/sbin/poweroff)
    EXPECT_EQ(m_host.read(kShutdown), "");
    EXPECT_EQ(tc_reboots(), 0);
}

TEST_F(Control, HaltIsPoweroff) {
    tc_control_init();
    m_host.write(kShutdown, "halt");
    ASSERT_TRUE(eventually([] { return poweroffs() == 1; }));
    EXPECT_EQ(m_host.read(kShutdown), "");
}

TEST_F(Control, RebootIsTakenOnceAndLaterRequestsWait) {
    tc_control_init();
    m_host.write(kShutdown, "reboot");
    ASSERT_TRUE(eventually([] { return tc_reboots() == 1; }));
    EXPECT_EQ(m_host.read(kShutdown), "");
    // The system is going down: a poweroff now is neither taken nor acknowledged.
    m_host.write(kShutdown, "poweroff");
    settle();
    EXPECT_EQ(poweroffs(), 0);
    EXPECT_EQ(m_host.read(kShutdown), "poweroff");
}

TEST_F(Control, UnknownCommandIsLeftUnacknowledged) {
    tc_control_init();
    const std::uint64_t before = m_host.counters().messages;
    m_host.write(kShutdown, "suspend");
    // The callback's transaction: start, read, end.
    ASSERT_TRUE(requests_since(before, 3));
    settle();
    EXPECT_EQ(m_host.read(kShutdown), "suspend");
    EXPECT_EQ(poweroffs() + tc_reboots(), 0);
    // The next known command is taken as usual.
    m_host.write(kShutdown, "poweroff");
    ASSERT_TRUE(eventually([] { return poweroffs() == 1; }));
    EXPECT_EQ(m_host.read(kShutdown), "");
}

TEST_F(Control, RequestWrittenBeforeTheGuestWatchedIsTakenAtRegistration) {
    m_host.write(kShutdown, "poweroff");
    tc_control_init();
    ASSERT_TRUE(eventually([] { return poweroffs() == 1; }));
    EXPECT_EQ(m_host.read(kShutdown), "");
}

TEST_F(Control, EmptyNodeDoesNothing) {
    tc_control_init();
    const std::uint64_t before = m_host.counters().messages;
    m_host.write(kShutdown, "");
    ASSERT_TRUE(requests_since(before, 3));
    settle();
    EXPECT_EQ(poweroffs() + tc_reboots(), 0);
}

TEST_F(Control, PoweroffWhileBootingIsForced) {
    tc_set_system_state(TC_SYSTEM_BOOTING);
    tc_control_init();
    m_host.write(kShutdown, "poweroff");
    ASSERT_TRUE(eventually([] { return poweroffs() == 1; }));
    EXPECT_TRUE(last_forced());
}

TEST_F(Control, NothingIsTakenWhileThePowerGoesOff) {
    tc_set_system_state(TC_SYSTEM_POWER_OFF);
    tc_control_init();
    m_host.write(kShutdown, "reboot");
    settle();
    EXPECT_EQ(tc_reboots(), 0);
    EXPECT_EQ(m_host.read(kShutdown), "reboot");
}

// pvisor's store keeps feature-* itself (read-only for the guest): the guest's writes are
// refused and that is fine. A toolstack that leaves them to the guest (as libxl does) gets
// "1" for the commands pvcore serves, and none for halt.
TEST_F(Control, FeatureNodesAdvertiseTheServedCommands) {
    tc_control_init();
    EXPECT_EQ(m_host.read(kHome + "/control/feature-poweroff"), "1");
    tc_control_exit();
    const Perms guest_writes = Perms(0, Access::none).grant(1, Access::both);
    for (const char* f : {"poweroff", "reboot", "halt"}) {
        const std::string node = kHome + "/control/feature-" + f;
        m_host.write(node, "");
        m_host.set_perms(node, guest_writes);
    }
    tc_control_init();
    EXPECT_EQ(m_host.read(kHome + "/control/feature-poweroff"), "1");
    EXPECT_EQ(m_host.read(kHome + "/control/feature-reboot"), "1");
    EXPECT_EQ(m_host.read(kHome + "/control/feature-halt"), "");
}

} // namespace
