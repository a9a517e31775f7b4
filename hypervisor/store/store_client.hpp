// store_client.hpp: a blocking client of the store's unix socket (CLI, backends, tests).
#pragma once

#include "result.hpp"
#include "store_error.hpp"
#include "store_path.hpp"
#include "store_watch.hpp"
#include "unique_fd.hpp"
#include "xs_message.hpp"

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pvisor::store {

// One connection, acting as the control domain. Requests are synchronous; watch events that
// arrive meanwhile are queued for wait_event(). Transport failures are EIO. Not thread-safe.
class StoreClient {
  public:
    // Errc::not_found: no socket at the path; permission_denied; io_error: refused (no server).
    static Result<StoreClient> connect(const std::string& socket_path);
    // Adopts a connected stream socket (e.g. from StoreService::connect_fd via SCM_RIGHTS).
    static StoreClient from_fd(UniqueFd fd) { return StoreClient(std::move(fd)); }
    // For poll/epoll: readable means a reply or watch event is arriving.
    [[nodiscard]] int fd() const { return m_fd.get(); }
    // A watch event that arrived during an earlier request, without blocking.
    [[nodiscard]] std::optional<WatchEvent> take_queued_event();
    // True if an event, or bytes of a message, were already read from the socket (during a
    // request): poll() on fd() does not show them, wait_event() returns them. Event loops
    // check it before sleeping in poll().
    [[nodiscard]] bool has_buffered() const noexcept { return !m_events.empty() || !m_in.empty(); }

    // Sends one request and returns the reply payload, or the error the server named.
    [[nodiscard]] XsResult<std::string> request(std::uint32_t type, std::string_view payload,
                                                std::uint32_t tx_id = 0);

    [[nodiscard]] XsResult<std::string> read(std::string_view path, std::uint32_t tx = 0);
    [[nodiscard]] XsStatus write(std::string_view path, std::string_view value,
                                 std::uint32_t tx = 0);
    [[nodiscard]] XsStatus mkdir(std::string_view path, std::uint32_t tx = 0);
    [[nodiscard]] XsStatus rm(std::string_view path, std::uint32_t tx = 0);
    [[nodiscard]] XsResult<std::vector<std::string>> directory(std::string_view path,
                                                               std::uint32_t tx = 0);
    // Permissions as wire entries ("n0", "r1").
    [[nodiscard]] XsResult<std::vector<std::string>> get_perms(std::string_view path);
    [[nodiscard]] XsStatus set_perms(std::string_view path, const std::vector<std::string>& perms);
    [[nodiscard]] XsStatus watch(std::string_view path, std::string_view token);
    [[nodiscard]] XsStatus unwatch(std::string_view path, std::string_view token);
    [[nodiscard]] XsResult<std::uint32_t> transaction_start();
    [[nodiscard]] XsStatus transaction_end(std::uint32_t tx, bool commit);
    // Blocks until a watch event arrives.
    [[nodiscard]] XsResult<WatchEvent> wait_event();

  private:
    explicit StoreClient(UniqueFd fd) : m_fd(std::move(fd)) {}
    [[nodiscard]] XsResult<XsMessage> receive();
    [[nodiscard]] XsStatus send_all(std::string_view bytes);

    UniqueFd m_fd;
    MessageReader m_reader;
    std::deque<WatchEvent> m_events;
    std::uint32_t m_next_req = 1;
    std::string m_in; // bytes read but not yet fed to m_reader
};

} // namespace pvisor::store
