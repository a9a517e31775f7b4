// control_server.hpp: pvisor's control socket: backends attach, map guest memory, bind ports.
#pragma once

#include "control_protocol.hpp"
#include "event_loop.hpp"
#include "host_pin_journal.hpp"
#include "pv_services.hpp"
#include "result.hpp"
#include "unique_fd.hpp"

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace pvisor {

struct ControlConfig {
    std::string socket_path;       // <control dir>/<name>.ctl; a stale socket is replaced
    std::string store_socket_path; // handed to backends in the ATTACH reply
    std::uint16_t domid = 1;
    // Writes `value` at store `path` as the control domain (xl's role); used when a backend
    // goes away. Called on the server's thread.
    std::function<void(const std::string& path, const std::string& value)> store_write;
    // The guest's store ring, when the toolstack serves it (STORE_RING): the eventfd the
    // guest's sends on `store_port` signal (borrowed; -1: the VMM serves its own store and
    // STORE_RING is refused) and the page's guest-physical address.
    int store_notify_fd = -1;
    std::uint32_t store_port = 0;
    std::uint64_t store_page_gpa = 0;
    // One line per refused request or closed backend (default: stderr).
    std::function<void(const std::string& line)> log;
};

struct ControlCounters {
    std::atomic<std::uint64_t> clients_accepted{0};
    std::atomic<std::uint64_t> clients_closed{0};
    std::atomic<std::uint64_t> requests{0};
    std::atomic<std::uint64_t> raises{0};
    std::atomic<std::uint64_t> pin_journals{0};  // journals handed out (one per connection)
    std::atomic<std::uint64_t> pins_released{0}; // grant flags a gone backend left, cleared
    std::atomic<std::uint64_t> pins_shared{0};   // ... left set: a connected backend holds them
    std::atomic<std::uint64_t> pins_stale{0};    // journal bits whose flag was already clear
    std::atomic<std::uint64_t> pins_bad_ref{0};  // journal bits naming no placed grant entry
    std::array<std::atomic<std::uint64_t>, ctl::kFaultCount> faults{};
};

// Owns the listening socket, its own epoll thread and every client. A client's bound ports
// are unbound, and the grant flags its pin journal names are cleared, when its connection
// closes for any reason (exit, crash, kill -9).
class ControlServer {
  public:
    static Result<std::unique_ptr<ControlServer>> create(PvServices& pv, const GuestMemory& mem,
                                                         ControlConfig config);
    ~ControlServer();
    ControlServer(const ControlServer&) = delete;
    ControlServer& operator=(const ControlServer&) = delete;

    [[nodiscard]] const std::string& socket_path() const { return m_config.socket_path; }
    [[nodiscard]] const ControlCounters& counters() const { return m_counters; }
    [[nodiscard]] std::uint64_t faults(ctl::Fault f) const {
        return m_counters.faults[static_cast<std::size_t>(f)].load();
    }
    // Appends "control.* value" lines.
    void append_counters(std::string& out) const;

  private:
    struct Binding {
        UniqueFd notify; // pvisor signals it on guest sends (ioeventfd)
        UniqueFd raise;  // the backend signals it; we raise the port
    };
    struct Client {
        UniqueFd sock;
        bool attached = false;
        std::string device;
        std::map<std::uint32_t, Binding> ports;
        std::unique_ptr<HostPinJournal> journal; // after PIN_JOURNAL
        UniqueFd store_raise;                    // after STORE_RING: the ring is this client's
    };

    ControlServer(PvServices& pv, const GuestMemory& mem, ControlConfig config)
        : m_pv(pv), m_mem(mem), m_config(std::move(config)) {}
    Status listen();
    void on_accept();
    void on_client(int fd);
    void close_client(int fd);
    void refuse(Client& c, std::uint16_t op, std::uint32_t seq, ctl::Fault f);
    void handle(Client& c, const ctl::Request& req);
    void do_attach(Client& c, const ctl::Request& req);
    void do_grant_frames(Client& c, const ctl::Request& req);
    void do_bind(Client& c, const ctl::Request& req);
    void do_unbind(Client& c, const ctl::Request& req);
    void do_pin_journal(Client& c, const ctl::Request& req);
    void do_store_ring(Client& c, const ctl::Request& req);
    void release_pins(int fd, const Client& c);
    void reply_status(Client& c, ctl::Op op, std::uint32_t seq, std::int32_t status);
    void release_port(std::uint32_t port, Binding& b);
    void log(const std::string& line);

    PvServices& m_pv;
    const GuestMemory& m_mem;
    ControlConfig m_config;
    ControlCounters m_counters;
    UniqueFd m_listen;
    bool m_bound = false;                             // we created socket_path and unlink it
    std::map<int, std::unique_ptr<Client>> m_clients; // touched only on the loop thread
    std::unique_ptr<EventLoop> m_loop;                // last: stopped (joined) first
};

} // namespace pvisor
