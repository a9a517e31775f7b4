// control_client_test.cpp: the backend-side ControlClient against a real ControlServer.
#include "control_client.hpp"
#include "control_fixture.hpp"

#include <pv/event_channel.h>
#include <pv/memory.h>
#include <pv/xen.h>
#include <unistd.h>

namespace pvisor::test {
namespace {

using ControlClientTest = ControlFixture;

TEST_F(ControlClientTest, AttachBindUnbind) {
    EXPECT_EQ(backend::ControlClient::connect(dir + "/nothing.ctl").error(), Errc::not_found);
    auto c = backend::ControlClient::connect(server->socket_path());
    ASSERT_TRUE(c.ok());
    // Requests before ATTACH are refused with ENOTCONN.
    EXPECT_EQ(c->bind(1).error(), Errc::protocol_error);
    EXPECT_EQ(c->last_status(), -ENOTCONN);
    ASSERT_TRUE(platform.m_mem.write_obj<std::uint64_t>(0x123000, 0x1122334455667788ULL).ok());
    auto a = c->attach("backend/vbd/1/51712");
    ASSERT_TRUE(a.ok());
    EXPECT_EQ(a->domid, 1U);
    EXPECT_EQ(a->store_socket, dir + "/store.sock");
    EXPECT_EQ(a->memory.read_obj<std::uint64_t>(0x123000).value(), 0x1122334455667788ULL);
    EXPECT_TRUE(c->grant_frames().value().empty());
    const std::uint32_t port = alloc_unbound(0);
    auto b = c->bind(port);
    ASSERT_TRUE(b.ok());
    EXPECT_EQ(c->bind(port).error(), Errc::invalid_argument);
    evtchn_send s{port};
    ASSERT_TRUE(platform.m_mem.write_obj(kArg, s).ok());
    ASSERT_EQ(hypercall(__HYPERVISOR_event_channel_op, EVTCHNOP_send, kArg), 0);
    std::uint64_t n = 0;
    ASSERT_EQ(::read(b->notify.get(), &n, sizeof n), 8);
    EXPECT_EQ(n, 1U);
    EXPECT_TRUE(c->unbind(port).ok());
    EXPECT_EQ(c->unbind(port).error(), Errc::invalid_argument);
}

} // namespace
} // namespace pvisor::test
