// control_protocol_test.cpp: malformed control requests get exact error replies and counters.
#include "control_fixture.hpp"

#include <cerrno>
#include <pv/event_channel.h>
#include <pv/memory.h>
#include <pv/xen.h>
#include <sys/eventfd.h>

namespace pvisor::test {
namespace {

using ctl::Fault;

struct ControlProtocolTest : ControlFixture {
    // Sends `req`, expects a bare Reply with `err` and the `f` counter at 1.
    template <typename Req>
    void expect_refused(int fd, const Req& req, std::int32_t err, Fault f) {
        const auto before = server->faults(f);
        std::vector<UniqueFd> fds;
        const auto r = as<ctl::Reply>(exchange(fd, req, &fds));
        EXPECT_EQ(r.hdr.magic, ctl::kMagic);
        EXPECT_EQ(r.status, err) << ctl::fault_name(f);
        EXPECT_EQ(r.nfds, 0U);
        EXPECT_TRUE(fds.empty());
        EXPECT_EQ(server->faults(f), before + 1) << ctl::fault_name(f);
    }
};

TEST_F(ControlProtocolTest, HeaderFaults) {
    UniqueFd c = connect_client();
    const std::array<std::byte, 3> tiny{};
    expect_refused(c.get(), tiny, -EINVAL, Fault::short_message);
    auto a = attach_request();
    a.hdr.magic = 0x12345678;
    expect_refused(c.get(), a, -EPROTO, Fault::bad_magic);
    a = attach_request();
    a.hdr.version = 2;
    expect_refused(c.get(), a, -EPROTONOSUPPORT, Fault::bad_version);
    a = attach_request();
    a.hdr.op = 99;
    expect_refused(c.get(), a, -EOPNOTSUPP, Fault::bad_op);
    a = attach_request();
    a.hdr.op = static_cast<std::uint16_t>(ctl::Op::attach) | ctl::kReplyFlag;
    expect_refused(c.get(), a, -EOPNOTSUPP, Fault::bad_op);
    a = attach_request();
    a.hdr.len = 100;
    expect_refused(c.get(), a, -EINVAL, Fault::bad_length);
    // A port request sized as an attach.
    auto p = port_request(ctl::Op::bind, 5);
    p.hdr.len = sizeof(ctl::AttachRequest);
    expect_refused(c.get(), p, -EINVAL, Fault::bad_length);
    std::array<std::byte, ctl::kMaxMessage + 64> huge{};
    const ctl::Header h = ctl::request_header(ctl::Op::attach, 1, sizeof huge);
    std::memcpy(huge.data(), &h, sizeof h);
    expect_refused(c.get(), huge, -EMSGSIZE, Fault::truncated);
}

TEST_F(ControlProtocolTest, BodyFaultsAndOrdering) {
    UniqueFd c = connect_client();
    expect_refused(c.get(), port_request(ctl::Op::bind, 1), -ENOTCONN, Fault::not_attached);
    auto a = attach_request();
    std::memset(a.device, 'x', sizeof a.device); // no NUL
    expect_refused(c.get(), a, -EINVAL, Fault::bad_device);
    expect_refused(c.get(), attach_request("local/domain/1"), -EINVAL, Fault::bad_device);
    expect_refused(c.get(), attach_request("backend/vbd/../x"), -EINVAL, Fault::bad_device);
    // Fds with a request are refused (and closed by the server).
    UniqueFd efd(::eventfd(0, EFD_CLOEXEC));
    const int raw = efd.get();
    const auto ok_attach = attach_request();
    ASSERT_TRUE(ctl::send_datagram(c.get(), std::as_bytes(std::span(&ok_attach, 1)),
                                   std::span<const int>(&raw, 1))
                    .ok());
    std::array<std::byte, ctl::kMaxMessage> buf{};
    auto d = ctl::recv_datagram(c.get(), buf);
    ASSERT_TRUE(d.ok());
    ctl::Reply r{};
    std::memcpy(&r, buf.data(), sizeof r);
    EXPECT_EQ(r.status, -EINVAL);
    EXPECT_EQ(server->faults(Fault::unexpected_fds), 1U);

    std::vector<UniqueFd> fds;
    const auto ar = as<ctl::AttachReply>(exchange(c.get(), attach_request(), &fds));
    EXPECT_EQ(ar.r.status, 0);
    EXPECT_EQ(ar.r.hdr.seq, 7U);
    expect_refused(c.get(), attach_request(), -EISCONN, Fault::already_attached);
    auto p = port_request(ctl::Op::bind, 3);
    p.reserved = 1;
    expect_refused(c.get(), p, -EINVAL, Fault::reserved_nonzero);
    // Port 0, out of range, not allocated, or unbound for another domain: bad_port.
    expect_refused(c.get(), port_request(ctl::Op::bind, 0), -EINVAL, Fault::bad_port);
    expect_refused(c.get(), port_request(ctl::Op::bind, 1u << 20), -EINVAL, Fault::bad_port);
    expect_refused(c.get(), port_request(ctl::Op::bind, 900), -EINVAL, Fault::bad_port);
    const std::uint32_t loop = alloc_unbound(DOMID_SELF);
    expect_refused(c.get(), port_request(ctl::Op::bind, loop), -EINVAL, Fault::bad_port);
    // pvisor's own host ports (the store's) are not a backend's to take or drop.
    expect_refused(c.get(), port_request(ctl::Op::bind, pv->store_port()), -EINVAL,
                   Fault::bad_port);
    expect_refused(c.get(), port_request(ctl::Op::unbind, pv->store_port()), -EINVAL,
                   Fault::bad_port);
}

TEST_F(ControlProtocolTest, OneClientsFaultsDoNotAffectAnother) {
    UniqueFd bad = connect_client();
    UniqueFd good = connect_client();
    std::vector<UniqueFd> fds;
    EXPECT_EQ(as<ctl::AttachReply>(exchange(good.get(), attach_request(), &fds)).r.status, 0);
    const std::array<std::byte, 5> junk{std::byte{1}, std::byte{2}, std::byte{3}, std::byte{4},
                                        std::byte{5}};
    for (int i = 0; i < 50; ++i)
        expect_refused(bad.get(), junk, -EINVAL, Fault::short_message);
    bad.reset();
    const std::uint32_t port = alloc_unbound(0);
    const auto r =
        as<ctl::BindReply>(exchange(good.get(), port_request(ctl::Op::bind, port), &fds));
    EXPECT_EQ(r.r.status, 0);
    EXPECT_EQ(fds.size(), 2U);
    EXPECT_EQ(server->faults(Fault::short_message), 50U);
    std::string counters;
    server->append_counters(counters);
    EXPECT_NE(counters.find("control.faults.short_message 50\n"), std::string::npos) << counters;
}

} // namespace
} // namespace pvisor::test
