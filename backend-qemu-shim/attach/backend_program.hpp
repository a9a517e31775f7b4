// backend_program.hpp: the main() every backend process shares: its command line, signals,
// the device watcher, and the counters at exit.
#pragma once

#include "backend_watcher.hpp"

namespace pvisor::backend {

struct BackendProgram {
    const char* name;  // "pvisor-blkback": the prefix of every line on stderr
    const char* usage; // --help text (and after a usage error)
    DeviceKind kind;
};

// `program --store SOCKET --domid N --control SOCKET` (backend_args.hpp), or --help. Serves
// the domain's devices of `p.kind` until SIGTERM, SIGINT or SIGHUP (devices Closed, exit 0) or
// until the store connection closes (the toolstack is gone: exit 0). SIGUSR1 prints the
// counters, which are printed at exit too. Exit status 1: start-up failure; 2: usage error.
[[nodiscard]] int backend_main(int argc, char** argv, const BackendProgram& p);

} // namespace pvisor::backend
