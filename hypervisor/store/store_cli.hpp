// store_cli.hpp: `pvisor store ls|read|write|rm|watch|stats|serve`; where the store socket is.
#pragma once

#include <string>
#include <string_view>

namespace pvisor::store {

// Control directory convention (shared with `pvisor run --control DIR`):
//   the store socket is <control dir>/store.sock;
//   without --control, the control dir is $PVISOR_CONTROL if set, else
//   $XDG_RUNTIME_DIR/pvisor if XDG_RUNTIME_DIR is set, else /tmp/pvisor-<uid>.
// (One guest per user can run without --control; give each further guest its own DIR.)
[[nodiscard]] std::string default_control_dir();
[[nodiscard]] std::string store_socket_path(std::string_view control_dir);
// `pvisor store` without --control: $XENSTORED_PATH, else the toolstack's store if it runs,
// else store_socket_path(default_control_dir()).
[[nodiscard]] std::string default_store_socket();

// Entry point of `pvisor store ...`: argv[0] is "store" (the dispatcher passes the arguments
// from the subcommand name on), argv[1] the operation. Prints results on stdout, errors on
// stderr as "pvisor store: <op> <path>: <ENAME>". Returns 0 on success, 1 on a store or
// connection error, 2 on a usage error.
//   ls PATH             children of PATH, one per line: name = "value"
//   read PATH           the value
//   write PATH VALUE
//   rm PATH             PATH and everything below it
//   watch PATH          one line per event (the changed path), starting with the initial
//                       event; until interrupted, or --count N events
//   stats               the store's counters, "name value" per line
//   serve ...           a standalone store on a socket (store_serve.hpp); no --control
int store_command_main(int argc, char** argv);

} // namespace pvisor::store
