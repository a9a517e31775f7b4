// daemon_devices.cpp: a domain's split devices in the store, and the backend processes that
// serve them (one per kind per domain, started, watched and restarted by the daemon).
#include "daemon.hpp"

#include "devices/blk_store_nodes.hpp"
#include "devices/net_store_nodes.hpp"
#include "devices/vbd_numbering.hpp"
#include "device_keys.hpp"
#include "store_path.hpp"
#include "xen_vdev.hpp"

#include <csignal>
#include <ctime>
#include <sys/epoll.h>

namespace pvisor::toolstack {
namespace {

// A backend that dies more often than this in a minute is left dead (and said so).
constexpr std::size_t kMaxRestartsPerMinute = 5;

std::string backend_exe(const std::string& given, const char* name) {
    if (!given.empty())
        return given;
    const std::string self = self_exe();
    const std::string beside = self.substr(0, self.rfind('/') + 1) + name;
    return ::access(beside.c_str(), X_OK) == 0 ? beside : std::string(name);
}

} // namespace

// xl's vbd and vif layouts, written as `pvisor run` writes them (devices/*_store_nodes):
// one store lock for both directories, so the backend's watch sees each device whole.
Status Daemon::write_vbd_nodes(const Domain& d, const DomainDisk& disk) {
    auto vdev = decode_xen_vdev(disk.vdev);
    if (!vdev.ok() || vdev->kind != VdevKind::xvd || vdev->partition != 0 ||
        vdev->disk >= kBlkMaxDisks)
        return Errc::invalid_argument;
    DiskSpec spec;
    spec.path = disk.target;
    spec.read_only = disk.read_only;
    store::XsStatus st;
    m_store->with_store(
        [&](store::Store& s) { st = add_blk_store_nodes(s, d.domid, vdev->disk, spec); });
    return st.ok() ? Status{} : Status{st.error() == store::XsErr::eexist ? Errc::exists
                                                                          : Errc::io_error};
}

Status Daemon::write_vif_nodes(const Domain& d, unsigned handle, const DomainVif& vif) {
    NetSpec spec;
    spec.tap = vif.vifname.empty() ? "vif" + std::to_string(d.domid) + "." + std::to_string(handle)
                                   : vif.vifname;
    if (!vif.mac.empty())
        spec.mac = pvisor::parse_mac(vif.mac);
    spec.bridge = vif.bridge;
    store::XsStatus st;
    m_store->with_store(
        [&](store::Store& s) { st = add_vif_store_nodes(s, d.domid, handle, spec); });
    return st.ok() ? Status{} : Status{st.error() == store::XsErr::eexist ? Errc::exists
                                                                          : Errc::io_error};
}

void Daemon::ensure_backend(Domain& d, const std::string& kind) {
    Backend& b = d.backends[kind];
    if (b.proc.pid > 0 || b.given_up)
        return;
    start_backend(d, kind, b);
}

// One backend process per kind per domain: it finds the domain's devices of its kind in the
// store (and those added later) and serves them through the VMM's control socket.
void Daemon::start_backend(Domain& d, const std::string& kind, Backend& b) {
    const bool blk = kind == "vbd";
    b.exe = backend_exe(blk ? m_opt.blkback : m_opt.netback,
                        blk ? "pvisor-blkback" : "pvisor-netback");
    const std::string dir = m_opt.dir.domain_dir(d.domid);
    const std::string base = dir + "/" + (blk ? "blkback" : "netback");
    const std::vector<std::string> argv = {b.exe,
                                           "--store",
                                           m_opt.dir.store_socket(),
                                           "--domid",
                                           std::to_string(d.domid),
                                           "--control",
                                           dir + "/guest.ctl",
                                           "--metrics",
                                           base + ".metrics"};
    std::string why;
    auto proc = spawn_detached(argv, base + ".log", why);
    if (!proc.ok()) {
        log("domain " + std::to_string(d.domid) + ": cannot start " + b.exe + ": " + why);
        b.given_up = true;
        return;
    }
    b.proc = std::move(*proc);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = b.proc.pidfd.get();
    ::epoll_ctl(m_epoll.get(), EPOLL_CTL_ADD, ev.data.fd, &ev);
    m_pidfds[ev.data.fd] = {d.domid, kind};
    log("domain " + std::to_string(d.domid) + ": started " + b.exe + " (pid " +
        std::to_string(b.proc.pid) + ")");
    persist(d);
}

// A backend died while its domain lives: start it again (the frontends reconnect to it, as
// they do after any backend restart), unless it keeps dying.
void Daemon::backend_exited(Domain& d, const std::string& kind) {
    const auto it = d.backends.find(kind);
    if (it == d.backends.end())
        return;
    Backend& b = it->second;
    const auto status = reap_child(b.proc);
    b.proc = Process{};
    const std::time_t now = std::time(nullptr);
    std::erase_if(b.restarts, [now](std::time_t t) { return now - t > 60; });
    if (b.restarts.size() >= kMaxRestartsPerMinute) {
        b.given_up = true;
        log("domain " + std::to_string(d.domid) + ": " + b.exe + " died " +
            std::to_string(b.restarts.size() + 1) + " times in a minute; not restarted");
        persist(d);
        return;
    }
    b.restarts.push_back(now);
    log("domain " + std::to_string(d.domid) + ": " + b.exe + " ended (" +
        (status ? "status " + std::to_string(*status) : std::string("not our child")) +
        "); restarting it");
    start_backend(d, kind, b);
}

} // namespace pvisor::toolstack
