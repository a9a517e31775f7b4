// store_service.hpp: the store's thread: guest ring + unix socket clients, driven by epoll.
#pragma once

#include "guest_memory.hpp"
#include "pv/xen.h"
#include "result.hpp"
#include "store.hpp"
#include "store_ring.hpp"
#include "unique_fd.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>

namespace pvisor::store {

struct StoreConfig {
    // Unix socket for host clients (`pvisor store`, backends), conventionally
    // <control dir>/store.sock (store_cli.hpp). Every socket client is the control domain.
    // Empty: no socket. A stale socket file at the path is replaced; any other file is EEXIST.
    std::string socket_path;
    // The guest, introduced at create(): /local/domain/<id> and its nodes exist from then on.
    DomId guest_domid = PV_DOMID_GUEST;
    std::string guest_name = "guest";
    // The guest's store page (PV_SPECIAL_PAGE_STORE, through GuestMemory::translate). Must
    // stay mapped until the service is destroyed. Empty: no guest ring.
    std::span<std::byte> ring_page;
    std::uint32_t store_evtchn = 0; // published in the page's evtchn_port
    // Signals the guest's store port; called on the service thread after ring updates, with
    // the store lock held (it must not call back into the service).
    std::function<void()> notify_guest;
    // An eventfd the VMM signals when the guest notifies the store port (ioeventfd).
    // Borrowed: the VMM keeps it open until the service is destroyed. -1: none.
    int guest_notify_fd = -1;
    StoreLimits limits;
    // Called on the service thread, with the store lock held, after a pass that changed the
    // tree or served a guest ring, with Store::snapshot of the tree and every ring's watches
    // (the toolstack keeps it in a file). Empty: no snapshots.
    std::function<void(const std::string& snapshot)> persist;
    // A restored domain (pvisor run --restore): the store starts from this Store::snapshot
    // instead of a fresh tree, and the guest's ring is adopted as it stands with the watches
    // the snapshot kept for it. Empty: a fresh store.
    std::string restore_from;
};

// A guest ring the service serves besides StoreConfig's (the toolstack's domains).
struct RingSpec {
    DomId domid = 0;
    std::span<std::byte> page; // mapped by the caller until remove_ring() returns
    std::uint32_t evtchn = 0;
    std::function<void()> notify_guest; // as StoreConfig::notify_guest
    int guest_notify_fd = -1;           // borrowed until remove_ring() returns
    bool adopt = false;                 // StoreRing::create's adopt
    std::vector<Watch> watches;         // from a snapshot (Store::restore), given silently
};

// The guest's store page (PV_SPECIAL_PAGE_STORE of the special pages, pv/pvisor.h) as a host
// span for StoreConfig::ring_page; it lives as long as `memory`.
[[nodiscard]] Result<std::span<std::byte>> store_ring_page(const GuestMemory& memory);

struct StoreServiceStats {
    StoreCounters store;
    RingCounters ring;
    std::uint64_t clients_accepted = 0;
    std::uint64_t clients_broken = 0;   // protocol violations (oversized message)
    std::uint64_t clients_rejected = 0; // over the client limit
};

// Owns the Store and every connection to it. create() sets everything up (socket bound and
// listening, guest introduced, ring initialised); start() runs the epoll thread; stop() ends
// and joins it (also done by the destructor). with_store() lets other threads act on the store
// as the control domain.
class StoreService {
  public:
    static Result<std::unique_ptr<StoreService>> create(StoreConfig config);
    ~StoreService();
    StoreService(const StoreService&) = delete;
    StoreService& operator=(const StoreService&) = delete;

    [[nodiscard]] Status start();
    void stop();

    // A new connection to the store as domain `domid` (0: the control domain), for a process
    // that cannot reach the socket path, e.g. a backend handed the fd over the control socket
    // with SCM_RIGHTS (then StoreClient::from_fd). Any thread.
    [[nodiscard]] Result<UniqueFd> connect_fd(DomId domid = 0);

    // Serves another guest's ring from now on (any thread). EEXIST: that domain has one.
    [[nodiscard]] Status add_ring(RingSpec spec);
    // Stops serving domain `domid`'s ring; its connection's watches and transactions go.
    void remove_ring(DomId domid);
    // Replaces the store's state with a snapshot (before start()). Returns its watches per
    // domain, for the rings added back with add_ring().
    [[nodiscard]] Result<std::map<DomId, std::vector<Watch>>> restore(std::string_view snap);

    // Runs fn under the store lock (any thread). Watch events it causes are delivered by the
    // service thread right after.
    void with_store(const std::function<void(Store&)>& fn);
    // Store::snapshot of the tree and every served ring's watches, for a save (any thread).
    [[nodiscard]] std::string snapshot();
    [[nodiscard]] StoreServiceStats stats();

  private:
    struct Client;
    explicit StoreService(StoreConfig config);
    [[nodiscard]] Status setup();
    [[nodiscard]] Status watch_fd(int fd, std::uint64_t tag, std::uint32_t events);
    void run();
    void on_event(std::uint64_t tag, std::uint32_t events);
    void accept_clients();
    [[nodiscard]] Status add_client(UniqueFd fd, DomId domid);
    void read_client(Client& c);
    void flush_all();
    bool flush_client(Client& c);
    void drop_client(int fd);

    StoreConfig m_config;
    std::mutex m_mutex; // guards everything below except the fds and the thread
    Store m_store;
    struct Ring {
        std::unique_ptr<StoreRing> ring; // its dtor disconnects from m_store
        int notify_fd = -1;
        bool more = false; // stopped with work left
    };
    std::map<DomId, Ring> m_rings; // destroyed before m_store
    std::map<int, std::unique_ptr<Client>> m_clients;
    StoreServiceStats m_stats;
    std::uint64_t m_persisted_gen = 0;
    std::uint64_t m_persisted_msgs = 0;
    void persist_if_changed();
    [[nodiscard]] Status add_ring_locked(RingSpec spec);
    [[nodiscard]] bool ring_more() const;

    UniqueFd m_epoll;
    UniqueFd m_wake; // eventfd: stop() and with_store() wake the thread
    UniqueFd m_listen;
    bool m_socket_bound = false; // we created socket_path and unlink it on destruction
    bool m_stopping = false;     // guarded by m_mutex
    std::thread m_thread;
};

} // namespace pvisor::store
