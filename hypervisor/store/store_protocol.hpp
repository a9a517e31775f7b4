// store_protocol.hpp: serves xenstore messages against the Store engine (shared by transports).
#pragma once

#include "store.hpp"
#include "xs_message.hpp"

#include <string>

namespace pvisor::store {

// Parses and executes one message of connection `conn` and appends exactly one reply to
// `out`: the result with the request's type, req_id and tx_id, or XS_ERROR with the error
// name. Never fails: malformed payloads and unknown types get an EINVAL reply.
//   INTRODUCE (control domain only) registers a domain and creates its nodes (no ring: only
//   `pvisor run` attaches guest rings); RELEASE removes it.
void serve_message(Store& store, ConnId conn, const XsMessage& msg, std::string& out);

// Moves queued watch events of `conn` into `out` as XS_WATCH_EVENT messages (req_id = tx_id
// = 0) while `out` holds less than `limit` bytes. An event too large for one message is
// dropped (counted in Store counters as dropped).
void append_events(Store& store, ConnId conn, std::string& out, std::size_t limit);

} // namespace pvisor::store
