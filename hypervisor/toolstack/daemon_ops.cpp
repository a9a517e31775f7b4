// daemon_ops.cpp: the API's operations (docs/api.md), each validating its arguments first.
#include "daemon.hpp"

#include "store_path.hpp"
#include "vmm_client.hpp"

#include <charconv>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <sys/utsname.h>
#include <unistd.h>

namespace pvisor::toolstack {
namespace {

constexpr int kDetachWaitMs = 10000;
constexpr int kDefaultShutdownTimeoutS = 60;

bool all_digits(std::string_view s) {
    return !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos;
}

// A backend's metrics file ("name value" lines, rewritten every second) as a JSON object;
// lines that are not a name and a decimal count are skipped.
Json read_metrics(const std::string& path) {
    Json out = Json::object();
    std::FILE* f = std::fopen(path.c_str(), "re");
    if (f == nullptr)
        return out;
    char line[256];
    while (std::fgets(line, sizeof line, f) != nullptr) {
        const std::string_view l(line, std::strcspn(line, "\n"));
        const auto sp = l.find(' ');
        if (sp == std::string_view::npos || sp == 0 || !all_digits(l.substr(sp + 1)))
            continue;
        // The file is the backend's: a number too large for 64 bits is skipped, not thrown.
        std::uint64_t v = 0;
        const std::string_view num = l.substr(sp + 1);
        const auto [end, ec] = std::from_chars(num.data(), num.data() + num.size(), v);
        if (ec != std::errc() || end != num.data() + num.size())
            continue;
        out[std::string(l.substr(0, sp))] = v;
    }
    std::fclose(f);
    return out;
}

} // namespace

Json Daemon::handle(const Json& req, const Progress& progress) {
    const std::string* op = json_string(req, "op");
    if (op == nullptr)
        return api_fail(ApiError::bad_request, "\"op\" must be a string");
    if (*op == "create")
        return op_create(req, progress);
    if (*op == "list")
        return op_list(req);
    if (*op == "info")
        return op_info();
    if (*op == "domain-info")
        return op_domain_info(req);
    if (*op == "destroy")
        return op_destroy(req);
    if (*op == "shutdown")
        return op_shutdown(req, progress, "poweroff");
    if (*op == "reboot")
        return op_shutdown(req, progress, "reboot");
    if (*op == "pause" || *op == "unpause" || *op == "vcpu-pin" || *op == "vmm-info")
        return op_vmm_forward(req, op->c_str());
    // The operations that take only their request.
    using Op = Json (Daemon::*)(const Json&);
    static constexpr std::pair<std::string_view, Op> kOps[] = {
        {"console", &Daemon::op_console},
        {"mem-set", &Daemon::op_mem_set},
        {"block-attach", &Daemon::op_block_attach},
        {"block-detach", &Daemon::op_block_detach},
        {"block-list", &Daemon::op_block_list},
        {"network-attach", &Daemon::op_network_attach},
        {"network-detach", &Daemon::op_network_detach},
        {"network-list", &Daemon::op_network_list},
    };
    for (const auto& [name, fn] : kOps)
        if (*op == name)
            return (this->*fn)(req);
    return api_fail(ApiError::unknown_op, "unknown operation \"" + *op + "\"");
}

// "dom": a domain id (number, or a string of digits) or a name. Caller holds m_mu.
Daemon::Domain* Daemon::find(const Json& req, Json& error) {
    std::optional<std::int64_t> id = json_int(req, "dom");
    const std::string* name = json_string(req, "dom");
    if (!id && name == nullptr) {
        error = api_fail(ApiError::bad_request, "\"dom\" must be a domain id or a name");
        return nullptr;
    }
    if (name != nullptr && all_digits(*name) && name->size() < 6)
        id = std::stoll(*name);
    for (auto& [domid, d] : m_domains)
        if ((id && *id == domid) || (!id && d->spec.name == *name))
            return d.get();
    error = api_fail(ApiError::no_such_domain,
                     "no domain " + (id ? std::to_string(*id) : "named " + *name));
    return nullptr;
}

store::XsStatus Daemon::store_write(const std::string& path, const std::string& value) {
    store::XsStatus st;
    m_store->with_store([&](store::Store& s) {
        const store::ConnId c = s.connect(0);
        st = s.write(c, 0, path, value);
        s.disconnect(c);
    });
    return st;
}

store::XsResult<std::string> Daemon::store_read(const std::string& path) {
    store::XsResult<std::string> r = store::XsErr::enoent;
    m_store->with_store([&](store::Store& s) {
        const store::ConnId c = s.connect(0);
        r = s.read(c, 0, path);
        s.disconnect(c);
    });
    return r;
}

void Daemon::store_rm(const std::string& path) {
    m_store->with_store([&](store::Store& s) {
        const store::ConnId c = s.connect(0);
        (void)s.rm(c, 0, path);
        s.disconnect(c);
    });
}

Daemon::Domain* Daemon::running(const Json& req, const char* what, Json& error) {
    Domain* d = find(req, error);
    if (d != nullptr && d->state != State::running) {
        error = api_fail(ApiError::bad_state,
                         std::string(what) + ": " + d->spec.name + " is " + state_name(d->state));
        return nullptr;
    }
    return d;
}

Json Daemon::domain_json(const Domain& d, bool long_form) const {
    Json j = {{"domid", d.domid},
              {"name", d.spec.name},
              {"state", state_name(d.state)},
              {"memory_mib", d.spec.memory_mib},
              {"vcpus", d.spec.vcpus},
              {"uptime_s", static_cast<std::int64_t>(std::time(nullptr) - d.created)},
              {"vmm_pid", d.vmm.pid}};
    if (!d.last_exit.empty())
        j["last_exit"] = d.last_exit;
    if (!d.shutdown_asked.empty())
        j["shutdown_asked"] = d.shutdown_asked;
    if (long_form) {
        j["config"] = spec_to_json(d.spec);
        j["reboots"] = d.reboots;
        Json backs = Json::object();
        for (const auto& [kind, b] : d.backends)
            backs[kind] = {{"pid", b.proc.pid},
                           {"restarts", b.restarts.size()},
                           {"given_up", b.given_up},
                           {"counters", read_metrics(m_opt.dir.domain_dir(d.domid) +
                                                     (kind == "vbd" ? "/blkback.metrics"
                                                                    : "/netback.metrics"))}};
        j["backends"] = backs;
        j["rss_kb"] = d.vmm.pid > 0 ? process_rss_kb(d.vmm.pid) : 0;
    }
    return j;
}

Json Daemon::op_create(const Json& req, const Progress& progress) {
    const Json* cfg = json_object(req, "config");
    if (cfg == nullptr)
        return api_fail(ApiError::bad_request, "\"config\" must be an object (docs/api.md)");
    std::string why;
    auto spec = spec_from_json(*cfg, why);
    if (!spec.ok())
        return api_fail(ApiError::invalid_config, why);
    if (::access(spec->kernel.c_str(), R_OK) != 0)
        return api_fail(ApiError::invalid_config, "kernel: " + spec->kernel + ": cannot read it");
    if (!spec->ramdisk.empty() && ::access(spec->ramdisk.c_str(), R_OK) != 0)
        return api_fail(ApiError::invalid_config,
                        "ramdisk: " + spec->ramdisk + ": cannot read it");
    for (const DomainDisk& disk : spec->disks)
        if (::access(disk.target.c_str(), disk.read_only ? R_OK : R_OK | W_OK) != 0)
            return api_fail(ApiError::invalid_config,
                            "disk " + disk.vdev + ": " + disk.target + ": cannot open it " +
                                (disk.read_only ? "for reading" : "for writing"));
    std::unique_lock lock(m_mu);
    if (name_taken(spec->name))
        return api_fail(ApiError::exists, "a domain named " + spec->name + " exists");
    auto domid = create_domain(*spec, lock, progress, why);
    if (!domid.ok())
        return api_fail(domid.error() == Errc::exists ? ApiError::exists : ApiError::io_error,
                        why);
    Json out = api_ok();
    out["domid"] = *domid;
    out["name"] = spec->name;
    return out;
}

Json Daemon::op_list(const Json& req) {
    const bool long_form = json_bool(req, "long").value_or(false);
    Json doms = Json::array();
    std::vector<std::string> sockets;
    {
        std::lock_guard lock(m_mu);
        for (const auto& [id, d] : m_domains) {
            doms.push_back(domain_json(*d, long_form));
            const bool live = d->state == State::running || d->state == State::paused;
            sockets.push_back(live ? m_opt.dir.domain_dir(id) + "/vmm.sock" : std::string());
        }
    }
    // With `long`, each live VMM's own figures (vCPUs, exits, counters), asked outside the
    // lock with a short deadline: a stuck VMM delays its line, not the toolstack.
    for (std::size_t i = 0; long_form && i < sockets.size(); ++i) {
        if (sockets[i].empty())
            continue;
        std::string why;
        auto vmm = vmm_request(sockets[i], Json{{"op", "info"}}, why, 1000);
        if (vmm && json_bool(*vmm, "ok").value_or(false)) {
            vmm->erase("ok");
            doms[i]["vmm"] = *vmm;
        } else {
            doms[i]["vmm_error"] = vmm ? json_line(*vmm) : why;
        }
    }
    Json out = api_ok();
    out["domains"] = doms;
    return out;
}

Json Daemon::op_info() {
    utsname u{};
    ::uname(&u);
    std::lock_guard lock(m_mu);
    const auto st = m_store->stats();
    Json out = api_ok();
    out["host"] = {{"hostname", u.nodename},
                   {"kernel", std::string(u.sysname) + " " + u.release},
                   {"cpus", ::sysconf(_SC_NPROCESSORS_ONLN)},
                   {"memory_mib", (::sysconf(_SC_PHYS_PAGES) * ::sysconf(_SC_PAGESIZE)) >> 20}};
    out["toolstack"] = {{"version", PVISOR_VERSION},
                        {"run_dir", m_opt.dir.root},
                        {"store_socket", m_opt.dir.store_socket()},
                        {"api_socket", m_opt.dir.api_socket()},
                        {"pid", ::getpid()},
                        {"uptime_s", static_cast<std::int64_t>(std::time(nullptr) - m_started)},
                        {"domains", m_domains.size()},
                        {"rss_kb", process_rss_kb(::getpid())}};
    out["store"] = {{"nodes", 0},
                    {"requests", st.store.requests},
                    {"errors", st.store.errors},
                    {"watch_events", st.store.watch_events},
                    {"ring_messages", st.ring.messages},
                    {"peers_broken", st.store.peers_broken}};
    m_store->with_store([&out](store::Store& s) { out["store"]["nodes"] = s.node_count(); });
    return out;
}

Json Daemon::op_domain_info(const Json& req) {
    std::string sock;
    Json out = api_ok();
    {
        std::lock_guard lock(m_mu);
        Json err;
        Domain* d = find(req, err);
        if (d == nullptr)
            return err;
        out["domain"] = domain_json(*d, true);
        if (d->state == State::running || d->state == State::paused)
            sock = m_opt.dir.domain_dir(d->domid) + "/vmm.sock";
    }
    if (!sock.empty()) {
        std::string why;
        auto vmm = vmm_request(sock, Json{{"op", "info"}}, why);
        if (vmm && json_bool(*vmm, "ok").value_or(false))
            out["vmm"] = *vmm;
        else
            out["vmm_error"] = vmm ? json_line(*vmm) : why;
    }
    return out;
}

Json Daemon::op_destroy(const Json& req) {
    std::unique_lock lock(m_mu);
    Json err;
    Domain* d = find(req, err);
    if (d == nullptr)
        return err;
    const store::DomId id = d->domid;
    if (d->state == State::shutdown) { // preserved: nothing runs
        release(*d);
        ::unlink(m_opt.dir.record(id).c_str());
        m_domains.erase(id);
        m_changed.notify_all();
        return api_ok();
    }
    d->state = State::dying;
    persist(*d);
    (void)signal_process(d->vmm, SIGKILL);
    // The supervisor sees the pidfd and cleans up; wait for that (bounded).
    const bool gone = m_changed.wait_for(lock, std::chrono::seconds(10),
                                         [&] { return !m_domains.contains(id); });
    if (!gone)
        return api_fail(ApiError::timed_out, "domain " + std::to_string(id) +
                                                 " was killed but is not gone after 10 s");
    return api_ok();
}

// Cooperative shutdown or reboot through control/shutdown, as xl does; with "wait", until
// the domain is gone (or, after a reboot, replaced); with "force", destroyed after "timeout".
Json Daemon::op_shutdown(const Json& req, const Progress& progress, const char* how) {
    const bool wait = json_bool(req, "wait").value_or(false);
    const bool force = json_bool(req, "force").value_or(false);
    const auto timeout = json_int(req, "timeout").value_or(kDefaultShutdownTimeoutS);
    if ((json_has(req, "wait") && !json_bool(req, "wait")) ||
        (json_has(req, "force") && !json_bool(req, "force")) ||
        (json_has(req, "timeout") && !json_int(req, "timeout")))
        return api_fail(ApiError::bad_request, "wait, force: booleans; timeout: seconds");
    if (timeout < 1 || timeout > 3600)
        return api_fail(ApiError::invalid_argument, "timeout must be 1..3600 seconds");
    std::unique_lock lock(m_mu);
    Json err;
    Domain* d = find(req, err);
    if (d == nullptr)
        return err;
    if (d->state != State::running && d->state != State::paused)
        return api_fail(ApiError::bad_state, d->spec.name + " is " + state_name(d->state));
    const store::DomId id = d->domid;
    if (!store_write(store::domain_path(id) + "/control/shutdown", how).ok())
        return api_fail(ApiError::io_error, "cannot write control/shutdown");
    d->shutdown_asked = how;
    if (!wait)
        return api_ok();
    progress(std::string("waiting for ") + d->spec.name + " to " +
             (std::string(how) == "reboot" ? "reboot" : "shut down"));
    // Gone (a reboot: replaced by a new domain), or ended and preserved.
    const pid_t vmm = d->vmm.pid;
    const auto gone = [&] {
        const auto it = m_domains.find(id);
        return it == m_domains.end() || it->second->vmm.pid != vmm ||
               it->second->state == State::shutdown;
    };
    if (m_changed.wait_for(lock, std::chrono::seconds(timeout), gone))
        return api_ok();
    if (!force)
        return api_fail(ApiError::timed_out, "domain " + std::to_string(id) +
                                                 " did not shut down in " +
                                                 std::to_string(timeout) + " s");
    progress("timed out; destroying domain " + std::to_string(id));
    const auto it = m_domains.find(id);
    if (it != m_domains.end()) {
        it->second->state = State::dying;
        (void)signal_process(it->second->vmm, SIGKILL);
    }
    m_changed.wait_for(lock, std::chrono::seconds(10), gone);
    Json out = api_ok();
    out["destroyed"] = true;
    return out;
}

// pause, unpause, vcpu-pin, vmm-info: the VMM does them (its management socket).
Json Daemon::op_vmm_forward(const Json& req, const char* op) {
    Json fwd = {{"op", std::string(op) == "vmm-info" ? "info" : op}};
    if (std::string(op) == "vcpu-pin") {
        const auto vcpu = json_int(req, "vcpu");
        const Json* cpus = json_array(req, "cpus");
        if (!vcpu || cpus == nullptr)
            return api_fail(ApiError::bad_request, "vcpu-pin needs \"vcpu\" and \"cpus\"");
        const long host = ::sysconf(_SC_NPROCESSORS_CONF);
        for (const Json& c : *cpus) {
            if (!c.is_number_integer() || c.get<std::int64_t>() < 0 ||
                c.get<std::int64_t>() >= host)
                return api_fail(ApiError::invalid_argument,
                                "cpus: the host has CPUs 0-" + std::to_string(host - 1));
        }
        if (cpus->empty())
            return api_fail(ApiError::invalid_argument, "cpus: at least one CPU");
        fwd["vcpu"] = *vcpu;
        fwd["cpus"] = *cpus;
    }
    std::string sock;
    store::DomId id = 0;
    {
        std::lock_guard lock(m_mu);
        Json err;
        Domain* d = find(req, err);
        if (d == nullptr)
            return err;
        if (d->state != State::running && d->state != State::paused)
            return api_fail(ApiError::bad_state, d->spec.name + " is " + state_name(d->state));
        if (std::string(op) == "vcpu-pin" && *json_int(req, "vcpu") >= d->spec.vcpus)
            return api_fail(ApiError::invalid_argument,
                            "vcpu: " + d->spec.name + " has vCPUs 0-" +
                                std::to_string(d->spec.vcpus - 1));
        sock = m_opt.dir.domain_dir(d->domid) + "/vmm.sock";
        id = d->domid;
    }
    std::string why;
    auto reply = vmm_request(sock, fwd, why);
    if (!reply)
        return api_fail(ApiError::io_error, "domain " + std::to_string(id) + ": " + why);
    if (!json_bool(*reply, "ok").value_or(false)) {
        const Json* e = json_object(*reply, "error");
        const std::string* m = e != nullptr ? json_string(*e, "message") : nullptr;
        return api_fail(ApiError::io_error, "the VMM refused: " + (m != nullptr ? *m : json_line(*reply)));
    }
    const std::string o = op;
    if (o == "pause" || o == "unpause") {
        std::lock_guard lock(m_mu);
        if (const auto it = m_domains.find(id); it != m_domains.end()) {
            it->second->state = o == "pause" ? State::paused : State::running;
            persist(*it->second);
            m_changed.notify_all();
        }
    }
    return o == "vmm-info" ? *reply : api_ok();
}

Json Daemon::op_console(const Json& req) {
    std::lock_guard lock(m_mu);
    Json err;
    Domain* d = find(req, err);
    if (d == nullptr)
        return err;
    if (d->state == State::shutdown || d->state == State::dying)
        return api_fail(ApiError::bad_state, d->spec.name + " is " + state_name(d->state));
    Json out = api_ok();
    out["socket"] = m_opt.dir.domain_dir(d->domid) + "/console.sock";
    out["log"] = m_opt.dir.domain_dir(d->domid) + "/vmm.log";
    return out;
}

// xl mem-set: the balloon's target (memory/target, KiB) for the guest's pvcore to follow.
Json Daemon::op_mem_set(const Json& req) {
    const auto kib = json_int(req, "kib");
    if (!kib)
        return api_fail(ApiError::bad_request, "\"kib\" must be a number of KiB");
    std::lock_guard lock(m_mu);
    Json err;
    Domain* d = running(req, "mem-set", err);
    if (d == nullptr)
        return err;
    if (*kib < 16 * 1024 || static_cast<std::uint64_t>(*kib) > d->spec.maxmem_mib * 1024)
        return api_fail(ApiError::invalid_argument,
                        "mem-set: must be 16 MiB.." + std::to_string(d->spec.maxmem_mib) +
                            " MiB (maxmem)");
    if (!store_write(store::domain_path(d->domid) + "/memory/target", std::to_string(*kib)).ok())
        return api_fail(ApiError::io_error, "cannot write memory/target");
    return api_ok();
}

} // namespace pvisor::toolstack
