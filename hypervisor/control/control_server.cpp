// control_server.cpp: the control socket's accept/dispatch loop and per-client port bookkeeping.
#include "control_server.hpp"

#include "seqpacket.hpp"
#include "unix_listener.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

namespace pvisor {

using namespace ctl;

namespace {

template <typename T>
std::span<const std::byte> bytes_of(const T& v) {
    return std::as_bytes(std::span<const T, 1>(&v, 1));
}

std::int32_t errc_errno(Errc e) {
    switch (e) {
    case Errc::invalid_argument:
        return -EINVAL;
    case Errc::busy:
        return -EBUSY;
    case Errc::no_space:
        return -ENOSPC;
    case Errc::not_found:
        return -ENOENT;
    default:
        return -EIO;
    }
}

} // namespace

Result<std::unique_ptr<ControlServer>> ControlServer::create(PvServices& pv, const GuestMemory& mem,
                                                             ControlConfig config) {
    if (config.socket_path.empty() || config.socket_path.size() >= sizeof(sockaddr_un::sun_path) ||
        config.store_socket_path.size() >= kSocketPathLen)
        return Errc::invalid_argument;
    std::unique_ptr<ControlServer> s(new ControlServer(pv, mem, std::move(config)));
    PV_TRY_ASSIGN(loop, EventLoop::create());
    s->m_loop = std::move(loop);
    PV_TRY(s->listen());
    ControlServer* self = s.get();
    PV_TRY(s->m_loop->watch(s->m_listen.get(), [self] { self->on_accept(); }));
    PV_TRY(s->m_loop->start());
    return s;
}

ControlServer::~ControlServer() {
    if (m_loop)
        m_loop->stop();
    // The loop thread is gone: nothing else touches m_clients now.
    while (!m_clients.empty())
        close_client(m_clients.begin()->first);
    if (m_bound)
        ::unlink(m_config.socket_path.c_str());
}

Status ControlServer::listen() {
    // Mode 0600: backends run as pvisor's user. Never removes what is not a stale socket.
    PV_TRY_ASSIGN(fd, listen_unix(m_config.socket_path, SOCK_SEQPACKET));
    m_listen = std::move(fd);
    m_bound = true;
    return {};
}

void ControlServer::log(const std::string& line) {
    if (m_config.log)
        m_config.log(line);
    else
        std::fprintf(stderr, "pvisor: control: %s\n", line.c_str());
}

void ControlServer::on_accept() {
    for (;;) {
        UniqueFd fd(::accept4(m_listen.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK));
        if (!fd.valid())
            return;
        const int raw = fd.get();
        auto c = std::make_unique<Client>();
        c->sock = std::move(fd);
        m_clients[raw] = std::move(c);
        if (!m_loop->watch(raw, [this, raw] { on_client(raw); }).ok()) {
            m_clients.erase(raw);
            continue;
        }
        m_counters.clients_accepted.fetch_add(1);
    }
}

void ControlServer::on_client(int fd) {
    auto it = m_clients.find(fd);
    if (it == m_clients.end())
        return;
    Client& c = *it->second;
    alignas(8) std::array<std::byte, kMaxMessage> buf{};
    auto d = recv_datagram(fd, buf);
    if (!d.ok() && d.error() == Errc::again)
        return;
    if (!d.ok() || (d->len == 0 && !d->truncated)) {
        close_client(fd);
        return;
    }
    m_counters.requests.fetch_add(1);
    std::uint32_t seq = 0;
    const auto bytes = std::span<const std::byte>(buf.data(), d->len);
    auto req = parse_request(bytes, d->fds.size(), d->truncated, seq);
    if (!req.ok()) {
        std::uint16_t op = 0;
        if (d->len >= sizeof(Header))
            std::memcpy(&op, buf.data() + offsetof(Header, op), sizeof op);
        refuse(c, op, seq, req.error());
        return;
    }
    handle(c, *req);
}

void ControlServer::refuse(Client& c, std::uint16_t op, std::uint32_t seq, Fault f) {
    m_counters.faults[static_cast<std::size_t>(f)].fetch_add(1);
    log("refused request op " + std::to_string(op) + " seq " + std::to_string(seq) + " from fd " +
        std::to_string(c.sock.get()) + ": " + std::string(fault_name(f)));
    Reply r{};
    r.hdr = reply_header(static_cast<Op>(op & ~kReplyFlag), seq, sizeof r);
    r.status = fault_errno(f);
    (void)send_datagram(c.sock.get(), bytes_of(r));
}

void ControlServer::reply_status(Client& c, Op op, std::uint32_t seq, std::int32_t status) {
    Reply r{};
    r.hdr = reply_header(op, seq, sizeof r);
    r.status = status;
    (void)send_datagram(c.sock.get(), bytes_of(r));
}

void ControlServer::handle(Client& c, const Request& req) {
    if (req.op == Op::attach) {
        if (c.attached)
            return refuse(c, static_cast<std::uint16_t>(req.op), req.seq, Fault::already_attached);
        return do_attach(c, req);
    }
    if (!c.attached)
        return refuse(c, static_cast<std::uint16_t>(req.op), req.seq, Fault::not_attached);
    switch (req.op) {
    case Op::grant_frames:
        return do_grant_frames(c, req);
    case Op::bind:
        return do_bind(c, req);
    case Op::unbind:
        return do_unbind(c, req);
    case Op::pin_journal:
        return do_pin_journal(c, req);
    case Op::store_ring:
        return do_store_ring(c, req);
    case Op::attach:
        return;
    }
}

void ControlServer::do_attach(Client& c, const Request& req) {
    AttachReply a{};
    a.r.hdr = reply_header(Op::attach, req.seq, sizeof a);
    a.r.nfds = 1;
    a.domid = m_config.domid;
    a.ram_bytes = m_mem.ram_bytes();
    std::uint32_t n = 0;
    for (const GuestRegion& g : m_mem.regions()) {
        if (n == kMaxRegions)
            break;
        a.regions[n++] = Region{g.gpa, g.size, g.memfd_offset, g.is_ram ? 1U : 0U, 0};
        if (!g.is_ram) {
            a.extra_gpa = g.gpa;
            a.extra_pages = g.size / kPageSize;
        }
    }
    a.nr_regions = n;
    std::memcpy(a.store_socket, m_config.store_socket_path.c_str(),
                m_config.store_socket_path.size());
    const int memfd = m_mem.memfd();
    if (!send_datagram(c.sock.get(), bytes_of(a), std::span<const int>(&memfd, 1)).ok())
        return;
    c.attached = true;
    c.device = req.device;
    log("backend attached on fd " + std::to_string(c.sock.get()) +
        (c.device.empty() ? std::string() : " serving " + c.device));
}

void ControlServer::do_grant_frames(Client& c, const Request& req) {
    GrantFramesReply g{};
    g.r.hdr = reply_header(Op::grant_frames, req.seq, sizeof g);
    const std::vector<std::uint64_t> gpas = m_pv.grant_frame_gpas();
    for (const std::uint64_t gpa : gpas) {
        if (g.nr_frames == kMaxGrantFrames)
            break;
        g.gpas[g.nr_frames++] = gpa;
    }
    (void)send_datagram(c.sock.get(), bytes_of(g));
}

void ControlServer::do_bind(Client& c, const Request& req) {
    Binding b;
    b.notify.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    b.raise.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (!b.notify.valid() || !b.raise.valid())
        return reply_status(c, Op::bind, req.seq, -errno);
    const Status s = m_pv.bind_backend_port(req.port, b.notify.get());
    if (!s.ok()) {
        if (s.error() == Errc::invalid_argument)
            return refuse(c, static_cast<std::uint16_t>(Op::bind), req.seq, Fault::bad_port);
        return reply_status(c, Op::bind, req.seq, errc_errno(s.error()));
    }
    const std::uint32_t port = req.port;
    const int raise = b.raise.get();
    const Status w = m_loop->watch(raise, [this, port, raise] {
        std::uint64_t v = 0;
        if (::read(raise, &v, sizeof v) == sizeof v) {
            m_counters.raises.fetch_add(1);
            m_pv.raise_host_port(port);
        }
    });
    if (!w.ok()) {
        (void)m_pv.unbind_backend_port(port, b.notify.get());
        return reply_status(c, Op::bind, req.seq, -EIO);
    }
    BindReply r{};
    r.r.hdr = reply_header(Op::bind, req.seq, sizeof r);
    r.r.nfds = 2;
    r.port = port;
    const int fds[2] = {b.notify.get(), b.raise.get()};
    c.ports.emplace(port, std::move(b));
    (void)send_datagram(c.sock.get(), bytes_of(r), fds);
}

void ControlServer::release_port(std::uint32_t port, Binding& b) {
    m_loop->unwatch(b.raise.get());
    (void)m_pv.unbind_backend_port(port, b.notify.get());
}

void ControlServer::do_unbind(Client& c, const Request& req) {
    auto it = c.ports.find(req.port);
    if (it == c.ports.end())
        return refuse(c, static_cast<std::uint16_t>(Op::unbind), req.seq, Fault::bad_port);
    release_port(it->first, it->second);
    c.ports.erase(it);
    reply_status(c, Op::unbind, req.seq, 0);
}

void ControlServer::do_pin_journal(Client& c, const Request& req) {
    if (!c.journal) {
        auto j = HostPinJournal::create();
        if (!j.ok())
            return reply_status(c, Op::pin_journal, req.seq, -ENOMEM);
        c.journal = std::make_unique<HostPinJournal>(std::move(j).value());
        m_counters.pin_journals.fetch_add(1);
    }
    PinJournalReply r{};
    r.r.hdr = reply_header(Op::pin_journal, req.seq, sizeof r);
    r.r.nfds = 1;
    r.nr_entries = kPinJournalEntries;
    r.bits_per_ref = kPinJournalBitsPerRef;
    r.bytes = kPinJournalBytes;
    const int fd = c.journal->fd();
    (void)send_datagram(c.sock.get(), bytes_of(r), std::span<const int>(&fd, 1));
}

void ControlServer::do_store_ring(Client& c, const Request& req) {
    if (m_config.store_notify_fd < 0)
        return reply_status(c, Op::store_ring, req.seq, -EOPNOTSUPP);
    for (const auto& [fd, other] : m_clients)
        if (other->store_raise.valid())
            return reply_status(c, Op::store_ring, req.seq, -EBUSY);
    UniqueFd notify(::fcntl(m_config.store_notify_fd, F_DUPFD_CLOEXEC, 0));
    UniqueFd raise(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (!notify.valid() || !raise.valid())
        return reply_status(c, Op::store_ring, req.seq, -errno);
    const std::uint32_t port = m_config.store_port;
    const int rfd = raise.get();
    const Status w = m_loop->watch(rfd, [this, port, rfd] {
        std::uint64_t v = 0;
        if (::read(rfd, &v, sizeof v) == sizeof v) {
            m_counters.raises.fetch_add(1);
            m_pv.raise_host_port(port);
        }
    });
    if (!w.ok())
        return reply_status(c, Op::store_ring, req.seq, -EIO);
    StoreRingReply r{};
    r.r.hdr = reply_header(Op::store_ring, req.seq, sizeof r);
    r.r.nfds = 2;
    r.port = port;
    r.page_gpa = m_config.store_page_gpa;
    const int fds[2] = {notify.get(), rfd};
    c.store_raise = std::move(raise);
    (void)send_datagram(c.sock.get(), bytes_of(r), fds);
    log("store ring taken over by fd " + std::to_string(c.sock.get()));
}

// The backend on `fd` is gone: what Xen does with a dead domain's maptrack. Flags another
// connected backend's journal names stay (all backends are domain 0 in the entries). A backend
// pinning, right now, a ref the gone one also held may see its flag cleared once; frontends
// grant each page to one device, so two backends never share a ref.
void ControlServer::release_pins(int fd, const Client& c) {
    std::vector<const HostPinJournal*> live;
    for (const auto& [other_fd, other] : m_clients)
        if (other_fd != fd && other->journal)
            live.push_back(other->journal.get());
    const std::vector<std::uint64_t> frames = m_pv.grant_frame_gpas();
    const PinRelease r = c.journal->release(live, frames, m_mem);
    m_counters.pins_released.fetch_add(r.released);
    m_counters.pins_shared.fetch_add(r.shared);
    m_counters.pins_stale.fetch_add(r.stale);
    m_counters.pins_bad_ref.fetch_add(r.bad_ref);
    if (r.released + r.shared + r.stale + r.bad_ref != 0)
        log("backend on fd " + std::to_string(fd) + " left " + std::to_string(r.released) +
            " grant flag(s) set: cleared (" + std::to_string(r.shared) + " kept for other " +
            "backends, " + std::to_string(r.stale) + " already clear, " +
            std::to_string(r.bad_ref) + " bad refs)");
}

void ControlServer::close_client(int fd) {
    auto it = m_clients.find(fd);
    if (it == m_clients.end())
        return;
    Client& c = *it->second;
    for (auto& [port, b] : c.ports)
        release_port(port, b);
    if (c.store_raise.valid())
        m_loop->unwatch(c.store_raise.get());
    m_loop->unwatch(fd);
    // Before the store writes: the frontend that then sees Closing can end access at once.
    if (c.journal)
        release_pins(fd, c);
    if (c.attached) {
        log("backend on fd " + std::to_string(fd) + " closed; unbound " +
            std::to_string(c.ports.size()) + " port(s)");
        if (!c.device.empty() && m_config.store_write) {
            // What xl writes when the backend domain went away: the frontend sees Closing,
            // then Closed, and tears the device down.
            m_config.store_write(c.device + "/state", "5");
            m_config.store_write(c.device + "/state", "6");
        }
    }
    m_counters.clients_closed.fetch_add(1);
    m_clients.erase(it);
}

void ControlServer::append_counters(std::string& out) const {
    auto line = [&out](const std::string& name, std::uint64_t v) {
        out += "control." + name + ' ' + std::to_string(v) + '\n';
    };
    line("clients_accepted", m_counters.clients_accepted.load());
    line("clients_closed", m_counters.clients_closed.load());
    line("requests", m_counters.requests.load());
    line("raises", m_counters.raises.load());
    line("pin_journals", m_counters.pin_journals.load());
    line("pins_released", m_counters.pins_released.load());
    line("pins_shared", m_counters.pins_shared.load());
    line("pins_stale", m_counters.pins_stale.load());
    line("pins_bad_ref", m_counters.pins_bad_ref.load());
    for (std::size_t f = 1; f < kFaultCount; ++f)
        line("faults." + std::string(fault_name(static_cast<Fault>(f))),
             m_counters.faults[f].load());
}

} // namespace pvisor
