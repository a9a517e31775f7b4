// store_link.hpp: the toolstack's hold on one domain's store ring, taken over the VMM's
// control socket (STORE_RING), as xenstored maps a guest's store page.
#pragma once

#include "result.hpp"
#include "unique_fd.hpp"

#include <cstdint>
#include <span>
#include <string>

namespace pvisor::toolstack {

// Owns the control connection (the ring stays ours while it is open), the two eventfds and
// the mapping of the store page.
class StoreLink {
  public:
    // Connects to `ctl_path`, attaches and takes the ring. `why` says what failed.
    [[nodiscard]] static Result<StoreLink> take(const std::string& ctl_path, std::string& why);

    [[nodiscard]] std::span<std::byte> page() const {
        return {m_page.bytes(), 4096};
    }
    [[nodiscard]] int notify_fd() const { return m_notify.get(); }
    [[nodiscard]] std::uint32_t port() const { return m_port; }
    [[nodiscard]] std::uint16_t domid() const { return m_domid; }
    // Signals the guest's store port (any thread).
    void raise() const;

  private:
    StoreLink() = default;
    UniqueFd m_sock;
    UniqueFd m_notify;
    UniqueFd m_raise;
    Mapping m_page;
    std::uint32_t m_port = 0;
    std::uint16_t m_domid = 0;
};

} // namespace pvisor::toolstack
