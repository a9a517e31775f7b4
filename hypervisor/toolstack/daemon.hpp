// daemon.hpp: `pvisor daemon`, the host's toolstack service: domain ids, the one store of
// every domain, the VMM and backend processes of each domain, and the JSON API over them.
#pragma once

#include "api.hpp"
#include "domain_spec.hpp"
#include "process.hpp"
#include "run_dir.hpp"
#include "store_link.hpp"
#include "store_service.hpp"

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace pvisor::toolstack {

struct DaemonOptions {
    RunDir dir;
    std::string blkback; // empty: next to this executable, else $PATH
    std::string netback;
};

// Reports progress of a long operation to the client that asked.
using Progress = std::function<void(const std::string&)>;

// One per host (a lock file). Crash-safe: everything needed to take the domains back lives
// in RunDir (records, store snapshot) and in the processes themselves, which outlive it.
class Daemon {
  public:
    static Result<std::unique_ptr<Daemon>> start(DaemonOptions options, std::string& why);
    ~Daemon();
    Daemon(const Daemon&) = delete;
    Daemon& operator=(const Daemon&) = delete;

    // Answers one API request (any thread; long operations block the calling thread only).
    [[nodiscard]] Json handle(const Json& request, const Progress& progress);
    // Stops supervising (the domains go on running: they are not ours to stop).
    void stop();

  private:
    struct Backend {
        Process proc;
        std::string exe;
        std::vector<std::time_t> restarts; // recent restarts, for the rate limit
        bool given_up = false;
    };
    enum class State : std::uint8_t { running, paused, shutdown, dying };
    struct Domain {
        store::DomId domid = 0;
        DomainSpec spec;
        State state = State::running;
        Process vmm;
        std::optional<StoreLink> link;
        std::map<std::string, Backend> backends; // "vbd", "vif"
        std::string shutdown_asked;              // "poweroff", "reboot" or empty
        std::string last_exit;                   // for a preserved domain
        std::time_t created = 0;
        unsigned reboots = 0;
    };

    explicit Daemon(DaemonOptions options) : m_opt(std::move(options)) {}
    [[nodiscard]] Status setup(std::string& why);
    void recover();
    void supervise();
    void wake_supervisor();

    // Domain lifecycle (caller holds m_mu unless said otherwise).
    [[nodiscard]] Result<store::DomId> create_domain(const DomainSpec& spec,
                                                     std::unique_lock<std::mutex>& lock,
                                                     const Progress& progress, std::string& why);
    [[nodiscard]] Status write_domain_nodes(const Domain& d);
    [[nodiscard]] Status attach_store(Domain& d, bool adopt, std::vector<store::Watch> watches,
                                      std::string& why);
    // A new domain of `spec`'s name and configuration, on a thread of its own (m_restarts).
    void restart(DomainSpec spec, unsigned reboots);
    void vmm_exited(store::DomId domid);
    void release(Domain& d);
    void persist(const Domain& d);
    [[nodiscard]] Json domain_json(const Domain& d, bool long_form) const;
    [[nodiscard]] Domain* find(const Json& request, Json& error);
    [[nodiscard]] store::DomId next_domid();
    [[nodiscard]] bool name_taken(const std::string& name) const;

    // The store, as the control domain (any thread; takes the store's lock only).
    [[nodiscard]] store::XsStatus store_write(const std::string& path, const std::string& value);
    [[nodiscard]] store::XsResult<std::string> store_read(const std::string& path);
    void store_rm(const std::string& path);
    // The domain `req` names if it is running, else the error reply in `error` ("what: NAME
    // is paused"). Caller holds m_mu.
    [[nodiscard]] Domain* running(const Json& req, const char* what, Json& error);

    // Devices.
    [[nodiscard]] Status write_vbd_nodes(const Domain& d, const DomainDisk& disk);
    [[nodiscard]] Status write_vif_nodes(const Domain& d, unsigned handle, const DomainVif& vif);
    void ensure_backend(Domain& d, const std::string& kind);
    void start_backend(Domain& d, const std::string& kind, Backend& b);
    void backend_exited(Domain& d, const std::string& kind);

    // Operations.
    Json op_create(const Json& req, const Progress& progress);
    Json op_list(const Json& req);
    Json op_info();
    Json op_domain_info(const Json& req);
    Json op_destroy(const Json& req);
    Json op_shutdown(const Json& req, const Progress& progress, const char* how);
    Json op_vmm_forward(const Json& req, const char* op);
    Json op_console(const Json& req);
    Json op_mem_set(const Json& req);
    Json op_block_attach(const Json& req);
    Json op_block_detach(const Json& req);
    Json op_block_list(const Json& req);
    Json op_network_attach(const Json& req);
    Json op_network_detach(const Json& req);
    Json op_network_list(const Json& req);
    [[nodiscard]] Json detach_device(Domain& d, const std::string& type, unsigned devid,
                                     std::unique_lock<std::mutex>& lock);

    [[nodiscard]] static const char* state_name(State s);
    void log(const std::string& line);

    DaemonOptions m_opt;
    UniqueFd m_lock; // flock on RunDir::lock_file: one daemon per directory
    std::unique_ptr<store::StoreService> m_store;
    std::mutex m_mu; // guards m_domains, m_pidfds, and each Domain
    std::condition_variable m_changed; // a domain came, went or changed state
    std::map<store::DomId, std::unique_ptr<Domain>> m_domains;
    // pidfd -> (domain, "vmm" | backend kind), for the supervisor's epoll.
    std::map<int, std::pair<store::DomId, std::string>> m_pidfds;
    UniqueFd m_epoll;
    UniqueFd m_wake;
    bool m_stopping = false;
    std::time_t m_started = 0;
    // Restarts (on_reboot/on_crash = restart) run beside the supervisor: starting a domain
    // waits for its VMM, and other domains' events must not wait for that.
    struct Restart {
        std::thread thread;
        std::shared_ptr<std::atomic<bool>> done;
    };
    std::vector<Restart> m_restarts; // guarded by m_mu; joined by stop()
    std::thread m_supervisor; // last: joined first
};

// `pvisor daemon [--foreground] [--blkback PATH] [--netback PATH]`.
int daemon_command_main(int argc, char** argv);

} // namespace pvisor::toolstack
