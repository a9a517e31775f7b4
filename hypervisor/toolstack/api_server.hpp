// api_server.hpp: the API socket: line-framed JSON requests served by the Daemon.
#pragma once

#include "daemon.hpp"

namespace pvisor::toolstack {

// Serves RunDir::api_socket until SIGTERM or SIGINT; one thread per client (at most
// kMaxApiClients at once; more are refused with an error line). Returns the exit status.
int serve_api(Daemon& daemon, const RunDir& dir);

inline constexpr unsigned kMaxApiClients = 32;

// One request line -> the reply object, with the request's "id" echoed (the part of the
// server that does not need a socket; tests call it directly).
[[nodiscard]] Json answer_line(Daemon& daemon, std::string_view line, const Progress& progress);

} // namespace pvisor::toolstack
