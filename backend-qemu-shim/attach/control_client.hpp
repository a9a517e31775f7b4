// control_client.hpp: a backend's connection to pvisor's control socket (attach, grants, ports).
#pragma once

#include "guest_memory.hpp"
#include "pin_journal.hpp"
#include "result.hpp"
#include "unique_fd.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace pvisor::backend {

// What ATTACH hands a backend: the guest's memory mapped from pvisor's memfd.
struct Attachment {
    GuestMemory memory;
    std::uint16_t domid = 0;
    std::string store_socket;
};

// A guest port bound to this backend: `notify` becomes readable on guest sends, writing 1 to
// `raise` notifies the guest. Both are owned by the holder.
struct BoundPort {
    std::uint32_t port = 0;
    UniqueFd notify;
    UniqueFd raise;
};

// One control connection. Requests are synchronous; not thread-safe. When it closes (or the
// process dies) pvisor unbinds every port it bound and clears the grant flags its pin journal
// names: keep the connection open as long as any GrantTableView using that journal pins.
class ControlClient {
  public:
    // Errc::not_found: no socket at `path`; io_error: nobody listening.
    static Result<ControlClient> connect(const std::string& path);

    // `device`: the store directory this backend serves (pvisor closes it if we vanish).
    [[nodiscard]] Result<Attachment> attach(const std::string& device);
    [[nodiscard]] Result<std::vector<std::uint64_t>> grant_frames();
    [[nodiscard]] Result<BoundPort> bind(std::uint32_t port);
    [[nodiscard]] Status unbind(std::uint32_t port);
    // This connection's pin journal (the same one each time it is asked for), to hand to
    // GrantTableView::use_journal. Errc::not_supported: pvisor predates pin journals; the
    // backend then works without one (flags it holds when it dies stay set).
    [[nodiscard]] Result<PinJournal> pin_journal();
    // The errno of the last refused request (negative), for messages.
    [[nodiscard]] std::int32_t last_status() const { return m_last_status; }

  private:
    explicit ControlClient(UniqueFd fd) : m_fd(std::move(fd)) {}

    UniqueFd m_fd;
    std::uint32_t m_seq = 1;
    std::int32_t m_last_status = 0;
};

} // namespace pvisor::backend
