// control_attach_test.cpp: a backend attaches, maps guest memory and exchanges events with the
// guest.
#include "control_fixture.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <pv/event_channel.h>
#include <pv/memory.h>
#include <pv/xen.h>
#include <unistd.h>

namespace pvisor::test {
namespace {

using ControlAttachTest = ControlFixture;

std::uint64_t fnv1a(std::span<const std::byte> b) {
    std::uint64_t h = 0xcbf29ce484222325ULL;
    for (const std::byte x : b)
        h = (h ^ static_cast<std::uint8_t>(x)) * 0x100000001b3ULL;
    return h;
}

TEST_F(ControlAttachTest, MemfdMatchesGuestMemory) {
    UniqueFd c = connect_client();
    std::vector<UniqueFd> fds;
    const auto a =
        as<ctl::AttachReply>(exchange(c.get(), attach_request("backend/vbd/1/51712"), &fds));
    ASSERT_EQ(a.r.status, 0);
    ASSERT_EQ(a.r.nfds, 1U);
    ASSERT_EQ(fds.size(), 1U);
    EXPECT_EQ(a.r.hdr.op, static_cast<std::uint16_t>(ctl::Op::attach) | ctl::kReplyFlag);
    EXPECT_EQ(a.domid, 1U);
    EXPECT_EQ(std::string(a.store_socket), dir + "/store.sock");
    const auto& regions = platform.m_mem.regions();
    ASSERT_EQ(a.nr_regions, regions.size());
    for (std::size_t i = 0; i < regions.size(); ++i) {
        EXPECT_EQ(a.regions[i].gpa, regions[i].gpa);
        EXPECT_EQ(a.regions[i].size, regions[i].size);
        EXPECT_EQ(a.regions[i].memfd_offset, regions[i].memfd_offset);
    }
    // The guest writes a pattern; the backend's own mapping of the memfd sees it.
    std::vector<std::byte> pattern(8192);
    for (std::size_t i = 0; i < pattern.size(); ++i)
        pattern[i] = static_cast<std::byte>((i * 131) ^ 0x5a);
    ASSERT_TRUE(platform.m_mem.write(0x300000, pattern.data(), pattern.size()).ok());
    auto mem = GuestMemory::from_memfd(std::move(fds[0]), a.ram_bytes, a.extra_gpa, a.extra_pages);
    ASSERT_TRUE(mem.ok());
    auto span = mem->translate(0x300000, pattern.size());
    ASSERT_TRUE(span.ok());
    EXPECT_EQ(fnv1a(*span), fnv1a(pattern));
    // And the other way round.
    std::memset(span->data(), 0xee, 16);
    EXPECT_EQ(platform.m_mem.read_obj<std::uint64_t>(0x300000).value(), 0xeeeeeeeeeeeeeeeeULL);
}

TEST_F(ControlAttachTest, BindCarriesEventsBothWays) {
    UniqueFd c = connect_client();
    std::vector<UniqueFd> fds;
    ASSERT_EQ(as<ctl::AttachReply>(exchange(c.get(), attach_request(), &fds)).r.status, 0);
    const std::uint32_t port = alloc_unbound(0);
    EXPECT_EQ(port_status(port), std::make_pair(std::uint32_t{EVTCHNSTAT_unbound}, 0U));
    const auto b = as<ctl::BindReply>(exchange(c.get(), port_request(ctl::Op::bind, port), &fds));
    ASSERT_EQ(b.r.status, 0);
    ASSERT_EQ(fds.size(), 2U);
    EXPECT_EQ(b.port, port);
    EXPECT_EQ(platform.m_notify_fds.load(), 1);
    EXPECT_EQ(port_status(port).first, std::uint32_t{EVTCHNSTAT_interdomain});
    // A second bind of the same port is refused: it is no longer unbound.
    std::vector<UniqueFd> none;
    EXPECT_EQ(as<ctl::Reply>(exchange(c.get(), port_request(ctl::Op::bind, port), &none)).status,
              -EINVAL);

    // Guest -> backend: three sends (EVTCHNOP_send, as when no ioeventfd matched).
    evtchn_send s{port};
    for (int i = 0; i < 3; ++i) {
        ASSERT_TRUE(platform.m_mem.write_obj(kArg, s).ok());
        ASSERT_EQ(hypercall(__HYPERVISOR_event_channel_op, EVTCHNOP_send, kArg), 0);
    }
    std::uint64_t count = 0;
    ASSERT_EQ(::read(fds[0].get(), &count, sizeof count), 8);
    EXPECT_EQ(count, 3U);

    // Backend -> guest: the raise eventfd turns into a pending port and one upcall.
    const unsigned upcalls = platform.m_upcalls.load();
    EXPECT_FALSE(port_pending(port));
    const std::uint64_t one = 1;
    ASSERT_EQ(::write(fds[1].get(), &one, sizeof one), 8);
    ASSERT_TRUE(eventually([&] { return server->counters().raises.load() == 1; }));
    EXPECT_TRUE(port_pending(port));
    EXPECT_EQ(platform.m_upcalls.load(), upcalls + 1);

    // UNBIND: the port is unbound again, the ioeventfd gone; a rebind works.
    EXPECT_EQ(as<ctl::Reply>(exchange(c.get(), port_request(ctl::Op::unbind, port), &none)).status,
              0);
    EXPECT_EQ(port_status(port), std::make_pair(std::uint32_t{EVTCHNSTAT_unbound}, 0U));
    EXPECT_EQ(platform.m_notify_fds.load(), 0);
    EXPECT_EQ(as<ctl::Reply>(exchange(c.get(), port_request(ctl::Op::unbind, port), &none)).status,
              -EINVAL);
    EXPECT_EQ(
        as<ctl::BindReply>(exchange(c.get(), port_request(ctl::Op::bind, port), &fds)).r.status, 0);
}

TEST_F(ControlAttachTest, GrantFramesListsPlacedFrames) {
    UniqueFd c = connect_client();
    std::vector<UniqueFd> fds;
    ASSERT_EQ(as<ctl::AttachReply>(exchange(c.get(), attach_request(), &fds)).r.status, 0);
    ctl::GrantFramesRequest g{ctl::request_header(ctl::Op::grant_frames, 3, sizeof g)};
    auto r = as<ctl::GrantFramesReply>(exchange(c.get(), g, &fds));
    EXPECT_EQ(r.r.status, 0);
    EXPECT_EQ(r.nr_frames, 0U);
    // The guest places two grant frames.
    for (std::uint64_t i = 0; i < 2; ++i) {
        xen_add_to_physmap x{};
        x.domid = DOMID_SELF;
        x.space = XENMAPSPACE_grant_table;
        x.idx = i;
        x.gpfn = 0x40 + i;
        ASSERT_TRUE(platform.m_mem.write_obj(kArg, x).ok());
        ASSERT_EQ(hypercall(__HYPERVISOR_memory_op, XENMEM_add_to_physmap, kArg), 0);
    }
    r = as<ctl::GrantFramesReply>(exchange(c.get(), g, &fds));
    ASSERT_EQ(r.nr_frames, 2U);
    EXPECT_EQ(r.gpas[0], 0x40000U);
    EXPECT_EQ(r.gpas[1], 0x41000U);
}

} // namespace
} // namespace pvisor::test

namespace pvisor::test {
namespace {

// STORE_RING: only a VMM whose store the toolstack holds hands out the guest's store ring,
// to one client at a time, and the next client may take it once the first has gone.
TEST_F(ControlFixture, StoreRingGoesToOneClientAtATime) {
    UniqueFd own = connect_client();
    exchange(own.get(), attach_request());
    ctl::StoreRingRequest sr{};
    sr.hdr = ctl::request_header(ctl::Op::store_ring, 9, sizeof sr);
    EXPECT_EQ(as<ctl::Reply>(exchange(own.get(), sr)).status, -EOPNOTSUPP);

    UniqueFd notify(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    ControlConfig cc;
    cc.socket_path = dir + "/managed.ctl";
    cc.domid = 3;
    cc.store_notify_fd = notify.get();
    cc.store_port = pv->store_port();
    cc.store_page_gpa = 0x7000;
    cc.log = [](const std::string&) {};
    auto managed = ControlServer::create(*pv, platform.m_mem, cc);
    ASSERT_TRUE(managed.ok());
    const auto take = [&](int fd, std::vector<UniqueFd>* fds) {
        ctl::AttachRequest a = attach_request();
        const int one = fd;
        (void)exchange(one, a);
        return exchange(one, sr, fds);
    };
    const auto client = [&] {
        UniqueFd fd(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::strncpy(addr.sun_path, cc.socket_path.c_str(), sizeof addr.sun_path - 1);
        EXPECT_EQ(::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
        return fd;
    };
    UniqueFd first = client();
    std::vector<UniqueFd> fds;
    const auto r = as<ctl::StoreRingReply>(take(first.get(), &fds));
    EXPECT_EQ(r.r.status, 0);
    EXPECT_EQ(r.port, pv->store_port());
    EXPECT_EQ(r.page_gpa, 0x7000U);
    ASSERT_EQ(fds.size(), 2U);
    // fd [1] raises the store port: counted by the server.
    const std::uint64_t one = 1;
    ASSERT_EQ(::write(fds[1].get(), &one, sizeof one), 8);
    EXPECT_TRUE(eventually([&] { return (*managed)->counters().raises.load() == 1; }));
    // fd [0] is the VMM's own notify eventfd (a duplicate): what the guest signals arrives.
    ASSERT_EQ(::write(notify.get(), &one, sizeof one), 8);
    std::uint64_t got = 0;
    EXPECT_EQ(::read(fds[0].get(), &got, sizeof got), 8);

    UniqueFd second = client();
    EXPECT_EQ(as<ctl::Reply>(take(second.get(), nullptr)).status, -EBUSY);
    first.reset();
    std::vector<UniqueFd> again;
    bool taken = false;
    EXPECT_TRUE(eventually([&] {
        if (taken)
            return true;
        UniqueFd third = client();
        const auto rep = take(third.get(), &again);
        ctl::Reply head{};
        std::memcpy(&head, rep.data(), std::min(rep.size(), sizeof head));
        taken = head.status == 0 && rep.size() == sizeof(ctl::StoreRingReply);
        if (taken)
            second = std::move(third);
        return taken;
    }));
    EXPECT_EQ(again.size(), 2U);
}

} // namespace
} // namespace pvisor::test
