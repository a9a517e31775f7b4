// control_fixture.cpp: the control tests' server, guest hypercalls and raw client.
#include "control_fixture.hpp"

#include <array>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <pv/event_channel.h>
#include <pv/memory.h>
#include <pv/pvisor.h>
#include <pv/shared_info.h>
#include <pv/xen.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <thread>
#include <unistd.h>

namespace pvisor::test {

namespace {

class Vcpu0 final : public VcpuAccess {
  public:
    unsigned id() const override { return 0; }
    unsigned cpl() const override { return 0; }
    Result<std::uint64_t> translate_gva(std::uint64_t gva, bool) override { return gva; }
    Result<std::uint64_t> guest_tsc() override { return std::uint64_t{1000}; }
    std::uint64_t tsc_khz() const override { return 1'000'000; }
};

} // namespace

CountingPlatform::CountingPlatform()
    : m_mem(std::move(
          GuestMemory::create(16 << 20, PV_SPECIAL_PAGES_GPA, PV_SPECIAL_PAGES_COUNT).value())) {}

Status CountingPlatform::add_notify_eventfd(std::uint32_t, int) {
    m_notify_fds.fetch_add(1);
    return {};
}

Status CountingPlatform::remove_notify_eventfd(std::uint32_t, int) {
    m_notify_fds.fetch_sub(1);
    return {};
}

void ControlFixture::sleep_ms(int ms) {
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
}

void ControlFixture::SetUp() {
    const char* tmp = std::getenv("TMPDIR");
    std::string tmpl = std::string(tmp != nullptr ? tmp : "/tmp") + "/pvctl-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir = tmpl;
    PvConfig cfg;
    cfg.console_on_stdio = false;
    pv = std::move(PvServices::create(platform, cfg).value());
    xen_add_to_physmap x{};
    x.domid = DOMID_SELF;
    x.space = XENMAPSPACE_shared_info;
    x.gpfn = kSharedInfo >> 12;
    ASSERT_TRUE(platform.m_mem.write_obj(kArg, x).ok());
    ASSERT_EQ(hypercall(__HYPERVISOR_memory_op, XENMEM_add_to_physmap, kArg), 0);
    ControlConfig cc;
    cc.socket_path = dir + "/guest.ctl";
    cc.store_socket_path = dir + "/store.sock";
    cc.domid = 1;
    cc.store_write = [this](const std::string& p, const std::string& v) {
        std::lock_guard lock(store_lock);
        store_writes.emplace_back(p, v);
    };
    cc.log = [this](const std::string& line) {
        std::lock_guard lock(store_lock);
        log_lines.push_back(line);
    };
    auto s = ControlServer::create(*pv, platform.m_mem, cc);
    ASSERT_TRUE(s.ok()) << errc_name(s.error());
    server = std::move(s).value();
}

void ControlFixture::TearDown() {
    server.reset();
    pv.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
}

std::int32_t ControlFixture::hypercall(std::uint64_t nr, std::uint64_t a0, std::uint64_t a1) {
    Vcpu0 v;
    HypercallRegs r;
    r.nr = nr;
    r.args[0] = a0;
    r.args[1] = a1;
    return pv->hypercall(v, r);
}

std::uint32_t ControlFixture::alloc_unbound(std::uint16_t remote_dom) {
    evtchn_alloc_unbound a{};
    a.dom = DOMID_SELF;
    a.remote_dom = remote_dom;
    EXPECT_TRUE(platform.m_mem.write_obj(kArg, a).ok());
    EXPECT_EQ(hypercall(__HYPERVISOR_event_channel_op, EVTCHNOP_alloc_unbound, kArg), 0);
    return platform.m_mem.read_obj<evtchn_alloc_unbound>(kArg).value().port;
}

std::pair<std::uint32_t, std::uint32_t> ControlFixture::port_status(std::uint32_t port) {
    evtchn_status s{};
    s.dom = DOMID_SELF;
    s.port = port;
    EXPECT_TRUE(platform.m_mem.write_obj(kArg, s).ok());
    EXPECT_EQ(hypercall(__HYPERVISOR_event_channel_op, EVTCHNOP_status, kArg), 0);
    s = platform.m_mem.read_obj<evtchn_status>(kArg).value();
    const std::uint32_t dom =
        s.status == EVTCHNSTAT_unbound ? s.u.unbound.dom : s.u.interdomain.dom;
    return {s.status, dom};
}

bool ControlFixture::port_pending(std::uint32_t port) {
    const std::uint64_t gpa = kSharedInfo + offsetof(shared_info, evtchn_pending) + (port / 64) * 8;
    auto span = platform.m_mem.translate(gpa, 8);
    if (!span.ok())
        return false;
    // SAFETY: an aligned word of the shared_info page, updated with atomics by the services.
    auto* word = reinterpret_cast<std::uint64_t*>(span->data());
    return (std::atomic_ref<std::uint64_t>(*word).load() >> (port % 64)) & 1U;
}

UniqueFd ControlFixture::connect_client() {
    UniqueFd fd(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    const std::string& path = server->socket_path();
    std::memcpy(addr.sun_path, path.c_str(), path.size());
    EXPECT_EQ(::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    return fd;
}

std::vector<std::byte> ControlFixture::exchange_bytes(int fd, std::span<const std::byte> req,
                                                      std::vector<UniqueFd>* fds) {
    EXPECT_TRUE(ctl::send_datagram(fd, req).ok());
    std::array<std::byte, ctl::kMaxMessage> buf{};
    auto d = ctl::recv_datagram(fd, buf);
    EXPECT_TRUE(d.ok());
    if (!d.ok())
        return {};
    if (fds != nullptr)
        *fds = std::move(d->fds);
    return {buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(d->len)};
}

ctl::AttachRequest ControlFixture::attach_request(const char* device) {
    ctl::AttachRequest a{};
    a.hdr = ctl::request_header(ctl::Op::attach, 7, sizeof a);
    std::strncpy(a.device, device, sizeof a.device - 1);
    return a;
}

ctl::PortRequest ControlFixture::port_request(ctl::Op op, std::uint32_t port) {
    ctl::PortRequest p{};
    p.hdr = ctl::request_header(op, 9, sizeof p);
    p.port = port;
    return p;
}

} // namespace pvisor::test
