// daemon.cpp: the toolstack service's life: start, take domains back, supervise processes.
#include "daemon.hpp"

#include "pv/pvisor.h"
#include "store_path.hpp"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <dirent.h>
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace pvisor::toolstack {
namespace {

// How long a new VMM may take to open its control socket.
constexpr int kControlSocketWaitMs = 20000;

bool exists(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0;
}

// The VMM's own account of its end (`exit`: "status=N reason=..."), else the wait status.
std::pair<int, std::string> exit_of(const std::string& dom_dir, std::optional<int> waited) {
    std::string text;
    if (read_small_file(dom_dir + "/exit", text, 4096) && text.starts_with("status=")) {
        const int status = std::atoi(text.c_str() + 7);
        const auto r = text.find("reason=");
        std::string reason = r == std::string::npos ? "" : text.substr(r + 7);
        while (!reason.empty() && (reason.back() == '\n' || reason.back() == '\r'))
            reason.pop_back();
        return {status, reason};
    }
    if (waited)
        return {*waited, "exit status " + std::to_string(*waited)};
    return {-1, "ended (no exit record)"};
}

} // namespace

const char* Daemon::state_name(State s) {
    switch (s) {
    case State::running:
        return "running";
    case State::paused:
        return "paused";
    case State::shutdown:
        return "shutdown";
    case State::dying:
        return "dying";
    }
    return "running";
}

void Daemon::log(const std::string& line) {
    std::time_t now = std::time(nullptr);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", std::gmtime(&now));
    std::fprintf(stderr, "%s pvisor daemon: %s\n", stamp, line.c_str());
}

Result<std::unique_ptr<Daemon>> Daemon::start(DaemonOptions options, std::string& why) {
    std::unique_ptr<Daemon> d(new Daemon(std::move(options)));
    PV_TRY(d->setup(why));
    d->recover();
    if (!d->m_store->start().ok()) {
        why = "cannot start the store's thread";
        return Errc::system_error;
    }
    d->m_supervisor = std::thread([p = d.get()] { p->supervise(); });
    return d;
}

Daemon::~Daemon() {
    stop();
    std::lock_guard lock(m_mu);
    m_domains.clear(); // store links close: each VMM keeps its guest, ring as it stands
    m_store.reset();
}

void Daemon::stop() {
    {
        std::lock_guard lock(m_mu);
        if (m_stopping)
            return;
        m_stopping = true;
    }
    wake_supervisor();
    if (m_supervisor.joinable())
        m_supervisor.join();
    // No restart begins now (m_stopping); those under way finish their create.
    std::vector<Restart> restarts;
    {
        std::lock_guard lock(m_mu);
        restarts.swap(m_restarts);
    }
    for (Restart& r : restarts)
        r.thread.join();
    m_changed.notify_all();
}

void Daemon::wake_supervisor() {
    const std::uint64_t one = 1;
    [[maybe_unused]] const auto n = ::write(m_wake.get(), &one, sizeof one);
}

Status Daemon::setup(std::string& why) {
    const RunDir& dir = m_opt.dir;
    if (!make_dirs(dir.root) || !make_dirs(dir.records_dir()) || !make_dirs(dir.root + "/dom")) {
        why = dir.root + ": " + std::strerror(errno);
        return Errc::io_error;
    }
    m_lock.reset(::open(dir.lock_file().c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
    if (!m_lock.valid() || ::flock(m_lock.get(), LOCK_EX | LOCK_NB) != 0) {
        why = "another pvisor daemon runs on " + dir.root;
        return Errc::busy;
    }
    const std::string pid = std::to_string(::getpid()) + "\n";
    (void)!::ftruncate(m_lock.get(), 0);
    (void)!::pwrite(m_lock.get(), pid.data(), pid.size(), 0);
    m_epoll.reset(::epoll_create1(EPOLL_CLOEXEC));
    m_wake.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = m_wake.get();
    if (!m_epoll.valid() || !m_wake.valid() ||
        ::epoll_ctl(m_epoll.get(), EPOLL_CTL_ADD, m_wake.get(), &ev) != 0) {
        why = std::string("epoll: ") + std::strerror(errno);
        return Errc::system_error;
    }
    store::StoreConfig sc;
    sc.socket_path = dir.store_socket();
    sc.guest_domid = 0; // no guest of its own: every domain's ring comes with add_ring
    const std::string snap_path = dir.store_snapshot();
    sc.persist = [snap_path](const std::string& snap) {
        (void)pvisor::write_file_atomic(snap_path, snap, 0600);
    };
    auto svc = store::StoreService::create(sc);
    if (!svc.ok()) {
        why = "store socket " + sc.socket_path + ": " + std::string(errc_name(svc.error()));
        return svc.error();
    }
    m_store = std::move(*svc);
    m_started = std::time(nullptr);
    return {};
}

// Takes back what an earlier daemon left: the store as it was, every domain whose VMM still
// runs (its ring adopted as it stands, its backends watched or restarted), and the records
// of the others cleaned up.
void Daemon::recover() {
    std::map<store::DomId, std::vector<store::Watch>> watches;
    std::string snap;
    if (read_small_file(m_opt.dir.store_snapshot(), snap, 64 << 20)) {
        auto r = m_store->restore(snap);
        if (r.ok())
            watches = std::move(*r);
        else
            log("store snapshot unreadable; starting with an empty store");
    }
    DIR* records = ::opendir(m_opt.dir.records_dir().c_str());
    std::vector<std::string> names;
    while (records != nullptr) {
        const dirent* e = ::readdir(records);
        if (e == nullptr)
            break;
        const std::string n = e->d_name;
        if (n.ends_with(".json"))
            names.push_back(n);
    }
    if (records != nullptr)
        ::closedir(records);
    std::unique_lock lock(m_mu);
    for (const std::string& n : names) {
        const std::string path = m_opt.dir.records_dir() + "/" + n;
        std::string text;
        std::optional<Json> rec;
        if (read_small_file(path, text))
            rec = parse_json_object(text);
        std::string why;
        const auto domid = rec ? json_int(*rec, "domid") : std::nullopt;
        const Json* spec_json = rec ? json_object(*rec, "spec") : nullptr;
        auto spec = spec_json != nullptr ? spec_from_json(*spec_json, why)
                                         : Result<DomainSpec>(Errc::invalid_argument);
        if (!domid || *domid <= 0 || *domid >= DOMID_FIRST_RESERVED || !spec.ok()) {
            log("record " + path + " unreadable; removed");
            ::unlink(path.c_str());
            continue;
        }
        auto d = std::make_unique<Domain>();
        d->domid = static_cast<store::DomId>(*domid);
        d->spec = std::move(*spec);
        d->created = static_cast<std::time_t>(json_int(*rec, "created").value_or(0));
        d->reboots = static_cast<unsigned>(json_int(*rec, "reboots").value_or(0));
        const std::string* state = json_string(*rec, "state");
        d->state = state != nullptr && *state == "paused" ? State::paused : State::running;
        if (state != nullptr && *state == "shutdown") {
            d->state = State::shutdown;
            const std::string* last = json_string(*rec, "last_exit");
            d->last_exit = last != nullptr ? *last : "";
            m_domains.emplace(d->domid, std::move(d));
            continue;
        }
        const Json* vmm = json_object(*rec, "vmm");
        auto proc = vmm != nullptr
                        ? adopt_process(static_cast<pid_t>(json_int(*vmm, "pid").value_or(0)),
                                        static_cast<std::uint64_t>(
                                            json_int(*vmm, "start").value_or(0)))
                        : Result<Process>(Errc::not_found);
        if (!proc.ok()) {
            const auto [status, reason] = exit_of(m_opt.dir.domain_dir(d->domid), std::nullopt);
            log("domain " + std::to_string(d->domid) + " (" + d->spec.name +
                ") ended while the toolstack was away: " + reason);
            m_domains.emplace(d->domid, std::move(d));
            vmm_exited(static_cast<store::DomId>(*domid));
            continue;
        }
        d->vmm = std::move(*proc);
        const store::DomId id = d->domid;
        Domain& dom = *m_domains.emplace(id, std::move(d)).first->second;
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.fd = dom.vmm.pidfd.get();
        ::epoll_ctl(m_epoll.get(), EPOLL_CTL_ADD, ev.data.fd, &ev);
        m_pidfds[ev.data.fd] = {id, "vmm"};
        auto w = watches.find(id);
        if (!attach_store(dom, true, w != watches.end() ? std::move(w->second)
                                                        : std::vector<store::Watch>{},
                          why)
                 .ok())
            log("domain " + std::to_string(id) + ": store ring not taken back: " + why);
        if (const Json* backs = json_object(*rec, "backends")) {
            for (const auto& [kind, b] : backs->items()) {
                if (kind != "vbd" && kind != "vif")
                    continue;
                Backend& be = dom.backends[kind];
                auto bp = adopt_process(static_cast<pid_t>(json_int(b, "pid").value_or(0)),
                                        static_cast<std::uint64_t>(json_int(b, "start").value_or(0)));
                if (bp.ok()) {
                    be.proc = std::move(*bp);
                    epoll_event bev{};
                    bev.events = EPOLLIN;
                    bev.data.fd = be.proc.pidfd.get();
                    ::epoll_ctl(m_epoll.get(), EPOLL_CTL_ADD, bev.data.fd, &bev);
                    m_pidfds[bev.data.fd] = {id, kind};
                } else {
                    start_backend(dom, kind, be);
                }
            }
        }
        persist(dom);
        log("took back domain " + std::to_string(id) + " (" + dom.spec.name + "), VMM pid " +
            std::to_string(dom.vmm.pid));
    }
    // Store entries of domains no record names (a crash between writing the store and the
    // record) would hold their names and ids forever.
    m_store->with_store([this](store::Store& s) {
        for (store::DomId id = 1; id < DOMID_FIRST_RESERVED; ++id)
            if (s.domain_introduced(id) && !m_domains.contains(id))
                (void)s.release_domain(id);
    });
}

// Ids grow as Xen's do: the one after the last given (kept in RunDir, so a restarted service
// goes on from there), skipping live domains, wrapping before the reserved ids. A domain that
// reboots comes back under a new id.
store::DomId Daemon::next_domid() {
    std::string text;
    unsigned last = 0;
    if (read_small_file(m_opt.dir.root + "/last-domid", text, 64))
        last = static_cast<unsigned>(std::strtoul(text.c_str(), nullptr, 10));
    store::DomId id = static_cast<store::DomId>(last % (DOMID_FIRST_RESERVED - 1) + 1);
    while (m_domains.contains(id))
        id = static_cast<store::DomId>(id % (DOMID_FIRST_RESERVED - 1) + 1);
    (void)pvisor::write_file_atomic(m_opt.dir.root + "/last-domid", std::to_string(id) + "\n",
                                    0600);
    return id;
}

bool Daemon::name_taken(const std::string& name) const {
    for (const auto& [id, d] : m_domains)
        if (d->spec.name == name)
            return true;
    return false;
}

void Daemon::persist(const Domain& d) {
    Json rec = {{"domid", d.domid},
                {"spec", spec_to_json(d.spec)},
                {"state", state_name(d.state)},
                {"created", static_cast<std::int64_t>(d.created)},
                {"reboots", d.reboots},
                {"last_exit", d.last_exit}};
    if (d.vmm.pid > 0)
        rec["vmm"] = {{"pid", d.vmm.pid}, {"start", d.vmm.start_time}};
    Json backs = Json::object();
    for (const auto& [kind, b] : d.backends)
        if (b.proc.pid > 0)
            backs[kind] = {{"pid", b.proc.pid}, {"start", b.proc.start_time}};
    rec["backends"] = backs;
    if (!pvisor::write_file_atomic(m_opt.dir.record(d.domid), json_line(rec) + "\n", 0600).ok())
        log("cannot write " + m_opt.dir.record(d.domid) + ": " + std::strerror(errno));
}

Status Daemon::attach_store(Domain& d, bool adopt, std::vector<store::Watch> watches,
                            std::string& why) {
    auto link = StoreLink::take(m_opt.dir.domain_dir(d.domid) + "/guest.ctl", why);
    if (!link.ok())
        return link.error();
    d.link.emplace(std::move(*link));
    store::RingSpec spec;
    spec.domid = d.domid;
    spec.page = d.link->page();
    spec.evtchn = d.link->port();
    const StoreLink* l = &*d.link;
    spec.notify_guest = [l] { l->raise(); };
    spec.guest_notify_fd = d.link->notify_fd();
    spec.adopt = adopt;
    spec.watches = std::move(watches);
    const Status s = m_store->add_ring(std::move(spec));
    if (!s.ok()) {
        why = "the store refused the ring: " + std::string(errc_name(s.error()));
        d.link.reset();
    }
    return s;
}

// The supervisor: one epoll over every pidfd; an ended VMM or backend is handled under m_mu.
void Daemon::supervise() {
    epoll_event events[16];
    for (;;) {
        const int n = ::epoll_wait(m_epoll.get(), events, 16, -1);
        if (n < 0 && errno != EINTR)
            return;
        std::unique_lock lock(m_mu);
        if (m_stopping)
            return;
        for (int i = 0; i < n; ++i) {
            const int fd = events[i].data.fd;
            if (fd == m_wake.get()) {
                std::uint64_t v = 0;
                [[maybe_unused]] const auto r = ::read(fd, &v, sizeof v);
                continue;
            }
            const auto it = m_pidfds.find(fd);
            if (it == m_pidfds.end())
                continue;
            const auto [domid, what] = it->second;
            ::epoll_ctl(m_epoll.get(), EPOLL_CTL_DEL, fd, nullptr);
            m_pidfds.erase(it);
            const auto d = m_domains.find(domid);
            if (d == m_domains.end())
                continue;
            if (what == "vmm")
                vmm_exited(domid);
            else
                backend_exited(*d->second, what);
        }
    }
}

// Stops serving the domain: its ring, its store entries, its backends, its record.
void Daemon::release(Domain& d) {
    if (d.link) {
        m_store->remove_ring(d.domid);
        d.link.reset();
    }
    for (auto& [kind, b] : d.backends) {
        if (b.proc.pidfd.valid()) {
            ::epoll_ctl(m_epoll.get(), EPOLL_CTL_DEL, b.proc.pidfd.get(), nullptr);
            m_pidfds.erase(b.proc.pidfd.get());
            (void)signal_process(b.proc, SIGTERM);
            (void)reap_child(b.proc);
        }
    }
    d.backends.clear();
    if (d.vmm.pidfd.valid()) {
        ::epoll_ctl(m_epoll.get(), EPOLL_CTL_DEL, d.vmm.pidfd.get(), nullptr);
        m_pidfds.erase(d.vmm.pidfd.get());
    }
    const store::DomId id = d.domid;
    m_store->with_store([id](store::Store& s) { (void)s.release_domain(id); });
}

// The VMM of `domid` ended: what its end means (poweroff, reboot, crash, destroy) and what
// the domain's configuration says to do then.
void Daemon::vmm_exited(store::DomId domid) {
    const auto it = m_domains.find(domid);
    Domain& d = *it->second;
    const std::optional<int> waited = d.vmm.pidfd.valid() ? reap_child(d.vmm) : std::nullopt;
    const auto [status, reason] = exit_of(m_opt.dir.domain_dir(domid), waited);
    release(d);
    d.vmm = Process{};
    // pvisor run's statuses (cli.hpp): 0 poweroff, 3 reboot, 4 triple fault, 5 crash.
    Action act = Action::destroy;
    const char* what = "destroyed";
    if (d.state != State::dying) {
        if (status == 0) {
            act = d.spec.on_poweroff;
            what = "powered off";
        } else if (status == 3) {
            act = d.spec.on_reboot;
            what = "rebooted";
        } else if (status == 4 || status == 5 || status == 6) {
            act = d.spec.on_crash;
            what = "crashed";
        }
    }
    log("domain " + std::to_string(domid) + " (" + d.spec.name + ") " + what + ": " + reason +
        "; " + action_name(act));
    const DomainSpec spec = d.spec;
    const unsigned reboots = d.reboots;
    if (act == Action::preserve) {
        d.state = State::shutdown;
        d.last_exit = std::string(what) + ": " + reason;
        persist(d);
        m_changed.notify_all();
        return;
    }
    ::unlink(m_opt.dir.record(domid).c_str());
    m_domains.erase(it);
    m_changed.notify_all();
    if (act != Action::restart || m_stopping)
        return;
    // The restarts that ended are joined here; this one starts once m_mu is free.
    std::erase_if(m_restarts, [](Restart& r) {
        if (!r.done->load())
            return false;
        r.thread.join();
        return true;
    });
    auto done = std::make_shared<std::atomic<bool>>(false);
    m_restarts.push_back({std::thread([this, spec, reboots, done] {
                              restart(spec, reboots);
                              done->store(true);
                          }),
                          done});
}

// A restart is a new domain of the same name and configuration (a new id, as in Xen).
void Daemon::restart(DomainSpec spec, unsigned reboots) {
    std::unique_lock lock(m_mu);
    if (m_stopping)
        return;
    std::string why;
    auto again = create_domain(spec, lock, [](const std::string&) {}, why);
    if (!again.ok()) {
        log("restart of " + spec.name + " failed: " + why);
        return;
    }
    if (const auto n = m_domains.find(*again); n != m_domains.end()) {
        n->second->reboots = reboots + 1;
        persist(*n->second);
    }
}

Result<store::DomId> Daemon::create_domain(const DomainSpec& spec,
                                           std::unique_lock<std::mutex>& lock,
                                           const Progress& progress, std::string& why) {
    if (name_taken(spec.name)) {
        why = "a domain named " + spec.name + " exists";
        return Errc::exists;
    }
    const store::DomId domid = next_domid();
    const std::string dir = m_opt.dir.domain_dir(domid);
    if (!make_dirs(dir)) {
        why = dir + ": " + std::strerror(errno);
        return Errc::io_error;
    }
    for (const char* stale : {"/exit", "/guest.ctl", "/vmm.sock", "/console.sock"})
        ::unlink((dir + stale).c_str());
    auto d = std::make_unique<Domain>();
    d->domid = domid;
    d->spec = spec;
    d->created = std::time(nullptr);
    Domain& dom = *m_domains.emplace(domid, std::move(d)).first->second;
    if (!write_domain_nodes(dom).ok()) {
        why = "the store refused the domain's nodes";
        release(dom);
        m_domains.erase(domid);
        return Errc::io_error;
    }
    std::vector<std::string> argv = {self_exe(),
                                     "run",
                                     "--kernel",
                                     spec.kernel,
                                     "--cmdline",
                                     spec.cmdline,
                                     "--memory",
                                     std::to_string(spec.memory_mib) + "M",
                                     "--vcpus",
                                     std::to_string(spec.vcpus),
                                     "--console",
                                     "pv",
                                     "--control",
                                     dir,
                                     "--store",
                                     m_opt.dir.store_socket(),
                                     "--metrics",
                                     dir + "/metrics",
                                     "--domid",
                                     std::to_string(domid),
                                     "--name",
                                     spec.name};
    if (!spec.acpi) {
        argv.emplace_back("--acpi");
        argv.emplace_back("off");
    }
    if (!spec.ramdisk.empty()) {
        argv.emplace_back("--initrd");
        argv.push_back(spec.ramdisk);
    }
    progress("starting the VMM of domain " + std::to_string(domid));
    auto proc = spawn_detached(argv, dir + "/vmm.log", why);
    if (!proc.ok()) {
        release(dom);
        m_domains.erase(domid);
        return proc.error();
    }
    dom.vmm = std::move(*proc);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = dom.vmm.pidfd.get();
    ::epoll_ctl(m_epoll.get(), EPOLL_CTL_ADD, ev.data.fd, &ev);
    m_pidfds[ev.data.fd] = {domid, "vmm"};
    persist(dom);
    m_changed.notify_all();

    // The VMM opens guest.ctl before its vCPUs run; wait for it without holding the lock.
    const std::string ctl = dir + "/guest.ctl";
    const pid_t pid = dom.vmm.pid;
    bool ready = false;
    for (int waited = 0; waited < kControlSocketWaitMs && !ready; waited += 20) {
        lock.unlock();
        ::usleep(20000);
        ready = exists(ctl);
        lock.lock();
        const auto again = m_domains.find(domid);
        if (again == m_domains.end() || again->second->vmm.pid != pid) {
            std::string log_text;
            (void)read_small_file(dir + "/vmm.log", log_text, 1 << 16);
            why = "the VMM ended at start: " + log_text.substr(log_text.rfind('\n', log_text.size() - 2) + 1);
            while (!why.empty() && why.back() == '\n')
                why.pop_back();
            return Errc::io_error;
        }
    }
    Domain& live = *m_domains.at(domid);
    if (!ready || !attach_store(live, false, {}, why).ok()) {
        if (!ready)
            why = "the VMM opened no control socket in " +
                  std::to_string(kControlSocketWaitMs / 1000) + " s (see " + dir + "/vmm.log)";
        live.state = State::dying;
        (void)signal_process(live.vmm, SIGKILL);
        return Errc::io_error;
    }
    progress("domain " + std::to_string(domid) + " store ring attached");
    if (!live.spec.disks.empty())
        ensure_backend(live, "vbd");
    if (!live.spec.vifs.empty())
        ensure_backend(live, "vif");
    persist(live);
    log("created domain " + std::to_string(domid) + " (" + spec.name + "), VMM pid " +
        std::to_string(live.vmm.pid));
    return domid;
}

Status Daemon::write_domain_nodes(const Domain& d) {
    store::XsStatus st;
    const store::DomId id = d.domid;
    const std::string dom = store::domain_path(id);
    const std::string kib = std::to_string(d.spec.memory_mib * 1024);
    const std::string max_kib = std::to_string(d.spec.maxmem_mib * 1024);
    m_store->with_store([&](store::Store& s) {
        st = s.introduce_domain(id, d.spec.name);
        if (!st.ok())
            return;
        const store::ConnId c = s.connect(0);
        const store::Perms guest_reads = store::Perms(0, store::Access::none)
                                             .grant(id, store::Access::read);
        for (const auto& [key, value] : {std::pair{"/memory", std::string()},
                                         std::pair{"/memory/static-max", max_kib},
                                         std::pair{"/memory/target", kib},
                                         std::pair{"/cpu", std::string()},
                                         std::pair{"/vm", std::string("/vm/") + d.spec.name}}) {
            if (st.ok())
                st = s.write(c, 0, dom + key, value);
            if (st.ok())
                st = s.set_perms(c, 0, dom + key, guest_reads);
        }
        for (unsigned v = 0; v < d.spec.maxvcpus && st.ok(); ++v) {
            const std::string cpu = dom + "/cpu/" + std::to_string(v) + "/availability";
            st = s.write(c, 0, cpu, v < d.spec.vcpus ? "online" : "offline");
        }
        s.disconnect(c);
    });
    if (!st.ok())
        return Errc::io_error;
    for (const DomainDisk& disk : d.spec.disks)
        PV_TRY(write_vbd_nodes(d, disk));
    for (const DomainVif& vif : d.spec.vifs)
        PV_TRY(write_vif_nodes(d, vif.handle, vif));
    return {};
}

} // namespace pvisor::toolstack
