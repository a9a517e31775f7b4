// seqpacket.hpp: one datagram plus SCM_RIGHTS file descriptors over a unix SOCK_SEQPACKET socket.
#pragma once

#include "result.hpp"
#include "unique_fd.hpp"

#include <cstddef>
#include <span>
#include <vector>

namespace pvisor::ctl {

inline constexpr std::size_t kMaxFds = 4;

struct Datagram {
    std::size_t len = 0;       // bytes received (0: the peer closed)
    bool truncated = false;    // the datagram or its fds did not fit
    std::vector<UniqueFd> fds; // owned: received descriptors close with the Datagram
};

// Sends `bytes` and `fds` (not consumed) as one datagram. Errc::io_error if the peer is gone.
[[nodiscard]] Status send_datagram(int sock, std::span<const std::byte> bytes,
                                   std::span<const int> fds = {});
// Receives one datagram into `buf`; blocks unless `sock` is non-blocking (Errc::again).
[[nodiscard]] Result<Datagram> recv_datagram(int sock, std::span<std::byte> buf);

} // namespace pvisor::ctl
