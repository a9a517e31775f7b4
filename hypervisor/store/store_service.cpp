// store_service.cpp: epoll loop serving the guest ring and host socket clients.
#include "store_service.hpp"

#include "pv/pvisor.h"
#include "store_protocol.hpp"
#include "unix_listener.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

namespace pvisor::store {
namespace {

enum Tag : std::uint64_t { kTagWake = 1, kTagListen = 2, kTagGuest = 3, kTagClient = 4 };
constexpr std::size_t kMaxClients = 64;
// Beyond this much unsent output a client is not read from until it drains.
constexpr std::size_t kClientOutLimit = 256 * 1024;

std::uint64_t client_tag(int fd) {
    return (static_cast<std::uint64_t>(fd) << 8) | kTagClient;
}

void drain_eventfd(int fd) {
    std::uint64_t v = 0;
    [[maybe_unused]] const auto n = ::read(fd, &v, sizeof v);
}

} // namespace

Result<std::span<std::byte>> store_ring_page(const GuestMemory& memory) {
    return memory.translate(PV_SPECIAL_PAGES_GPA + PV_SPECIAL_PAGE_STORE * kPageSize, kPageSize);
}

struct StoreService::Client {
    UniqueFd fd;
    ConnId conn = 0;
    MessageReader reader;
    std::string out;
    std::uint32_t interest = EPOLLIN;
};

StoreService::StoreService(StoreConfig config)
    : m_config(std::move(config)), m_store(m_config.limits) {}

StoreService::~StoreService() {
    stop();
    m_rings.clear();
    if (m_socket_bound)
        ::unlink(m_config.socket_path.c_str());
}

Result<std::unique_ptr<StoreService>> StoreService::create(StoreConfig config) {
    std::unique_ptr<StoreService> s(new StoreService(std::move(config)));
    PV_TRY(s->setup());
    return s;
}

Status StoreService::watch_fd(int fd, std::uint64_t tag, std::uint32_t events) {
    epoll_event ev{};
    ev.events = events;
    ev.data.u64 = tag;
    if (::epoll_ctl(m_epoll.get(), EPOLL_CTL_ADD, fd, &ev) != 0)
        return Errc::system_error;
    return {};
}

Status StoreService::setup() {
    m_epoll = UniqueFd(::epoll_create1(EPOLL_CLOEXEC));
    m_wake = UniqueFd(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
    if (!m_epoll.valid() || !m_wake.valid())
        return Errc::system_error;
    PV_TRY(watch_fd(m_wake.get(), kTagWake, EPOLLIN));
    if (!m_config.socket_path.empty()) {
        auto listen_fd = listen_unix(m_config.socket_path, SOCK_STREAM); // 0600: host clients act as dom0
        if (!listen_fd.ok()) {
            if (listen_fd.error() == Errc::system_error)
                std::fprintf(stderr, "pvisor store: listen %s: %s\n", m_config.socket_path.c_str(),
                             std::strerror(errno));
            return listen_fd.error();
        }
        m_listen = std::move(listen_fd).value();
        m_socket_bound = true;
        PV_TRY(watch_fd(m_listen.get(), kTagListen, EPOLLIN));
    }
    std::map<DomId, std::vector<Watch>> kept;
    if (!m_config.restore_from.empty()) {
        auto r = m_store.restore(m_config.restore_from);
        if (!r.ok())
            return Errc::invalid_argument;
        kept = std::move(*r);
    } else if (m_config.guest_domid != 0 &&
               !m_store.introduce_domain(m_config.guest_domid, m_config.guest_name).ok()) {
        return Errc::invalid_argument;
    }
    if (!m_config.ring_page.empty()) {
        RingSpec spec;
        spec.adopt = !m_config.restore_from.empty();
        spec.watches = std::move(kept[m_config.guest_domid]);
        spec.domid = m_config.guest_domid;
        spec.page = m_config.ring_page;
        spec.evtchn = m_config.store_evtchn;
        spec.notify_guest = m_config.notify_guest;
        spec.guest_notify_fd = m_config.guest_notify_fd;
        PV_TRY(add_ring_locked(std::move(spec)));
    }
    return {};
}

// Caller holds m_mutex (or the service has not started).
Status StoreService::add_ring_locked(RingSpec spec) {
    if (m_rings.contains(spec.domid))
        return Errc::exists;
    auto notify = spec.notify_guest ? std::move(spec.notify_guest) : [] {};
    PV_TRY_ASSIGN(ring, StoreRing::create(spec.page, m_store, spec.domid, spec.evtchn,
                                          std::move(notify), spec.adopt));
    m_store.adopt_watches(ring->conn(), std::move(spec.watches));
    if (spec.guest_notify_fd >= 0)
        PV_TRY(watch_fd(spec.guest_notify_fd, (std::uint64_t{spec.domid} << 8) | kTagGuest,
                        EPOLLIN));
    // A ring taken over may hold requests already: serve it on the next pass.
    m_rings.emplace(spec.domid, Ring{std::move(ring), spec.guest_notify_fd, true});
    return {};
}

Status StoreService::add_ring(RingSpec spec) {
    {
        std::lock_guard lock(m_mutex);
        PV_TRY(add_ring_locked(std::move(spec)));
    }
    const std::uint64_t one = 1;
    [[maybe_unused]] const auto n = ::write(m_wake.get(), &one, sizeof one);
    return {};
}

void StoreService::remove_ring(DomId domid) {
    std::lock_guard lock(m_mutex);
    const auto it = m_rings.find(domid);
    if (it == m_rings.end())
        return;
    if (it->second.notify_fd >= 0)
        ::epoll_ctl(m_epoll.get(), EPOLL_CTL_DEL, it->second.notify_fd, nullptr);
    m_rings.erase(it);
}

Result<std::map<DomId, std::vector<Watch>>> StoreService::restore(std::string_view snap) {
    std::lock_guard lock(m_mutex);
    auto r = m_store.restore(snap);
    if (!r.ok())
        return Errc::invalid_argument;
    m_persisted_gen = m_store.generation();
    return std::move(*r);
}

std::string StoreService::snapshot() {
    std::lock_guard lock(m_mutex);
    std::vector<ConnId> rings;
    for (const auto& [domid, r] : m_rings)
        rings.push_back(r.ring->conn());
    return m_store.snapshot(rings);
}

bool StoreService::ring_more() const {
    for (const auto& [domid, r] : m_rings)
        if (r.more)
            return true;
    return false;
}

// Caller holds m_mutex.
void StoreService::persist_if_changed() {
    if (!m_config.persist)
        return;
    std::uint64_t msgs = 0;
    std::vector<ConnId> rings;
    for (const auto& [domid, r] : m_rings) {
        msgs += r.ring->counters().messages + r.ring->counters().resets;
        rings.push_back(r.ring->conn());
    }
    if (m_store.generation() == m_persisted_gen && msgs == m_persisted_msgs)
        return;
    m_persisted_gen = m_store.generation();
    m_persisted_msgs = msgs;
    m_config.persist(m_store.snapshot(rings));
}

Status StoreService::start() {
    if (m_thread.joinable())
        return Errc::busy;
    m_thread = std::thread([this] { run(); });
    return {};
}

void StoreService::stop() {
    if (!m_thread.joinable())
        return;
    {
        std::lock_guard lock(m_mutex);
        m_stopping = true;
    }
    const std::uint64_t one = 1;
    [[maybe_unused]] const auto n = ::write(m_wake.get(), &one, sizeof one);
    m_thread.join();
}

void StoreService::with_store(const std::function<void(Store&)>& fn) {
    {
        std::lock_guard lock(m_mutex);
        fn(m_store);
    }
    const std::uint64_t one = 1;
    [[maybe_unused]] const auto n = ::write(m_wake.get(), &one, sizeof one);
}

StoreServiceStats StoreService::stats() {
    std::lock_guard lock(m_mutex);
    StoreServiceStats s = m_stats;
    s.store = m_store.counters();
    for (const auto& [domid, r] : m_rings) {
        const RingCounters& c = r.ring->counters();
        s.ring.messages += c.messages;
        s.ring.bytes_in += c.bytes_in;
        s.ring.bytes_out += c.bytes_out;
        s.ring.broken += c.broken;
        s.ring.resets += c.resets;
    }
    return s;
}

void StoreService::run() {
    epoll_event events[32];
    for (;;) {
        // A ring that stopped with work left is served again without waiting.
        const int timeout = ring_more() ? 0 : -1;
        const int n = ::epoll_wait(m_epoll.get(), events, 32, timeout);
        if (n < 0 && errno != EINTR) {
            std::fprintf(stderr, "pvisor store: epoll_wait: %s\n", std::strerror(errno));
            return;
        }
        std::lock_guard lock(m_mutex);
        if (m_stopping)
            return;
        for (int i = 0; i < n; ++i)
            on_event(events[i].data.u64, events[i].events);
        flush_all();
        persist_if_changed();
    }
}

void StoreService::on_event(std::uint64_t tag, std::uint32_t events) {
    switch (tag & 0xff) {
    case kTagWake:
        drain_eventfd(m_wake.get());
        return;
    case kTagListen:
        accept_clients();
        return;
    case kTagGuest: {
        const auto it = m_rings.find(static_cast<DomId>(tag >> 8));
        if (it != m_rings.end())
            drain_eventfd(it->second.notify_fd);
        return; // served in flush_all
    }
    default:
        break;
    }
    const int fd = static_cast<int>(tag >> 8);
    const auto it = m_clients.find(fd);
    if (it == m_clients.end())
        return;
    if ((events & EPOLLIN) != 0U)
        read_client(*it->second);
    if ((events & (EPOLLERR | EPOLLHUP)) != 0U && (events & EPOLLIN) == 0U)
        drop_client(fd);
}

void StoreService::accept_clients() {
    for (;;) {
        UniqueFd fd(::accept4(m_listen.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
        if (!fd.valid())
            return;
        (void)add_client(std::move(fd), 0);
    }
}

// Caller holds m_mutex. `fd` is non-blocking.
Status StoreService::add_client(UniqueFd fd, DomId domid) {
    if (m_clients.size() >= kMaxClients) {
        ++m_stats.clients_rejected;
        return Errc::no_space;
    }
    PV_TRY(watch_fd(fd.get(), client_tag(fd.get()), EPOLLIN));
    auto c = std::make_unique<Client>();
    c->conn = m_store.connect(domid);
    ++m_stats.clients_accepted;
    const int key = fd.get();
    c->fd = std::move(fd);
    m_clients.emplace(key, std::move(c));
    return {};
}

Result<UniqueFd> StoreService::connect_fd(DomId domid) {
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
        return Errc::system_error;
    UniqueFd ours(sv[0]);
    UniqueFd theirs(sv[1]);
    const int flags = ::fcntl(ours.get(), F_GETFL);
    if (flags < 0 || ::fcntl(ours.get(), F_SETFL, flags | O_NONBLOCK) != 0)
        return Errc::system_error;
    std::lock_guard lock(m_mutex);
    PV_TRY(add_client(std::move(ours), domid));
    return theirs;
}

void StoreService::read_client(Client& c) {
    std::byte buf[4096];
    const auto n = ::read(c.fd.get(), buf, sizeof buf);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
        drop_client(c.fd.get());
        return;
    }
    if (n < 0)
        return;
    std::span<const std::byte> in(buf, static_cast<std::size_t>(n));
    while (!in.empty()) {
        in = in.subspan(c.reader.feed(in));
        if (c.reader.broken()) {
            ++m_stats.clients_broken;
            m_store.note_peer_broken();
            drop_client(c.fd.get());
            return;
        }
        if (c.reader.has_message())
            serve_message(m_store, c.conn, c.reader.take(), c.out);
    }
}

void StoreService::drop_client(int fd) {
    const auto it = m_clients.find(fd);
    if (it == m_clients.end())
        return;
    ::epoll_ctl(m_epoll.get(), EPOLL_CTL_DEL, fd, nullptr);
    m_store.disconnect(it->second->conn);
    m_clients.erase(it);
}

// Writes what it can; adjusts epoll interest: EPOLLOUT while output waits, no EPOLLIN while
// the backlog is over the limit. Returns false if the client went away.
bool StoreService::flush_client(Client& c) {
    append_events(m_store, c.conn, c.out, kClientOutLimit);
    while (!c.out.empty()) {
        const auto n = ::send(c.fd.get(), c.out.data(), c.out.size(), MSG_NOSIGNAL);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            break;
        if (n <= 0)
            return false;
        c.out.erase(0, static_cast<std::size_t>(n));
    }
    std::uint32_t want = c.out.size() < kClientOutLimit ? EPOLLIN : 0U;
    if (!c.out.empty())
        want |= EPOLLOUT;
    if (want != c.interest) {
        epoll_event ev{};
        ev.events = want;
        ev.data.u64 = client_tag(c.fd.get());
        ::epoll_ctl(m_epoll.get(), EPOLL_CTL_MOD, c.fd.get(), &ev);
        c.interest = want;
    }
    return true;
}

void StoreService::flush_all() {
    // Serving a client may queue events for the guest and the other way round; one ring pass
    // after the clients and a second client pass deliver both directions.
    for (auto& [domid, r] : m_rings)
        r.more = r.ring->process();
    std::vector<int> gone;
    for (auto& [fd, c] : m_clients) {
        if (!flush_client(*c))
            gone.push_back(fd);
    }
    for (const int fd : gone)
        drop_client(fd);
}

} // namespace pvisor::store
