// unix_listener.hpp: a listening AF_UNIX socket at a path, for pvisor's host sockets.
#pragma once

#include "result.hpp"
#include "unique_fd.hpp"

#include <string>

namespace pvisor {

// Binds and listens on `path` (`type`: SOCK_STREAM or SOCK_SEQPACKET; non-blocking,
// close-on-exec), mode 0600: the clients act with the VMM's own rights. A stale socket of an
// earlier run is replaced; anything else at `path` is left alone (Errc::exists). A path too
// long for sockaddr_un is Errc::invalid_argument; other failures are Errc::system_error with
// errno set.
[[nodiscard]] Result<UniqueFd> listen_unix(const std::string& path, int type);

} // namespace pvisor
