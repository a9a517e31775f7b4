// control_disconnect_test.cpp: a backend's connection closing unbinds its ports and closes its
// device.
#include "control_fixture.hpp"

#include <pv/event_channel.h>
#include <pv/memory.h>
#include <pv/xen.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

namespace pvisor::test {
namespace {

using ControlDisconnectTest = ControlFixture;

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
    int ready[2];
    ASSERT_EQ(::pipe(ready), 0);
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        // The backend: attach, bind, report, then wait to be killed.
        UniqueFd c = connect_client();
        std::vector<UniqueFd> fds;
        const bool ok =
            as<ctl::AttachReply>(exchange(c.get(), attach_request("backend/vbd/1/51728"), &fds))
                    .r.status == 0 &&
            as<ctl::BindReply>(exchange(c.get(), port_request(ctl::Op::bind, port), &fds))
                    .r.status == 0;
        const char r = ok ? 'y' : 'n';
        (void)!::write(ready[1], &r, 1);
        for (;;)
            ::pause();
    }
    ::close(ready[1]);
    char r = 0;
    ASSERT_EQ(::read(ready[0], &r, 1), 1);
    ::close(ready[0]);
    EXPECT_EQ(r, 'y');
    EXPECT_EQ(port_status(port).first, std::uint32_t{EVTCHNSTAT_interdomain});
    ::kill(child, SIGKILL);
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(eventually([&] { return server->counters().clients_closed.load() == 1; }));
    EXPECT_EQ(port_status(port), std::make_pair(std::uint32_t{EVTCHNSTAT_unbound}, 0U));
    std::lock_guard lock(store_lock);
    ASSERT_EQ(store_writes.size(), 2U);
    EXPECT_EQ(store_writes[1].first, "backend/vbd/1/51728/state");
    EXPECT_EQ(store_writes[1].second, "6");
}

} // namespace
} // namespace pvisor::test
