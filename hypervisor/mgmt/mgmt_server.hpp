// mgmt_server.hpp: the VMM's management socket <control dir>/vmm.sock (SOCK_STREAM, 0600):
// JSON request lines in, one reply line each, in order, on the server's own thread.
#pragma once

#include "event_loop.hpp"
#include "mgmt_protocol.hpp"
#include "result.hpp"
#include "unique_fd.hpp"

#include <map>
#include <memory>
#include <optional>
#include <string>

namespace pvisor::mgmt {

// What the requests act on (the VMM: mgmt_target.hpp; tests: a fake). Called on the
// server's thread, one request at a time.
class Target {
  public:
    virtual ~Target() = default;
    virtual void pause() = 0;   // returns once the vCPUs are parked
    virtual void unpause() = 0;
    [[nodiscard]] virtual Info info() = 0;
    // An invalid_argument Error for a vCPU or CPU that does not exist (nothing changed).
    [[nodiscard]] virtual std::optional<Error> pin_vcpu(std::uint64_t vcpu,
                                                       const std::vector<std::uint64_t>& cpus) = 0;
    virtual void destroy() = 0; // called after the reply went out
    // save: a failed Error (nothing kept, the domain as it was) or what was written. Unless
    // keep_running, saved_exit() follows once the reply went out: the VMM ends.
    [[nodiscard]] virtual std::optional<Error> save(const Request& req, Saved& saved) = 0;
    virtual void saved_exit(const std::string& path) = 0;
};

class Server {
  public:
    static constexpr std::size_t kMaxClients = 32;
    // Replies a client has not read yet, beyond which its requests are not read either.
    static constexpr std::size_t kMaxPendingReplies = 1 << 20;

    // Listens on `socket_path` (a stale socket is replaced) and starts the thread.
    static Result<std::unique_ptr<Server>> create(std::string socket_path, Target& target);
    // Stops the thread, closes every client and removes the socket.
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    [[nodiscard]] const std::string& socket_path() const { return m_path; }

  private:
    struct Client {
        UniqueFd sock;
        std::string in;  // bytes of a request line not complete yet
        std::string out; // replies not written yet
        bool closing = false; // close once `out` is written
    };

    Server(std::string path, Target& target) : m_path(std::move(path)), m_target(target) {}
    void on_accept();
    void on_client(int fd);
    void serve_lines(Client& c);
    void answer(Client& c, std::string_view line);
    [[nodiscard]] bool flush(Client& c); // false: the peer is gone
    void update_events(int fd, const Client& c);
    void close_client(int fd);

    std::string m_path;
    Target& m_target;
    UniqueFd m_listen;
    std::map<int, std::unique_ptr<Client>> m_clients; // touched only on the loop thread
    std::unique_ptr<EventLoop> m_loop;                 // last: stopped (joined) first
};

} // namespace pvisor::mgmt
