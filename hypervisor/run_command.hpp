// run_command.hpp: `pvisor run`: load the guest, start PV services and vCPUs, wait for the end.
#pragma once

#include "cli.hpp"

namespace pvisor {

// Returns the process exit status (cli.hpp kExit*). Errors are printed as "pvisor: <what>: <why>".
int run_guest(const RunOptions& options);

} // namespace pvisor
