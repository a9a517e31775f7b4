// blkback_main.cpp: pvisor-blkback, the block backend process: serves one domain's PV disks,
// found in the store under backend/vbd/<domid>/ (BlkDevice::kind, backend_program.hpp).
#include "backend_program.hpp"
#include "blk_device.hpp"

namespace {

const char* const kUsage =
    "usage: pvisor-blkback --store SOCKET --domid N --control SOCKET [--metrics FILE]\n"
    "       [--no-sandbox]\n"
    "Serves domain N's PV disks: every directory /local/domain/0/backend/vbd/N/<devid> in the\n"
    "store, those there at start and those added later (hotplug). Each is configured by the\n"
    "nodes the toolstack wrote there:\n"
    "  params     the image or block device (required)\n"
    "  mode       r or w (required)\n"
    "  queues     1..16 queues offered to the frontend (default 1)\n"
    "  direct-io  1: O_DIRECT, no host page cache (default 0)\n"
    "A disk that cannot be served gets hotplug-error = <reason> and state = 6 (Closed); online\n"
    "= 0 with state = 5 (Closing) detaches a disk (its requests finish, state = 6).\n"
    "  --store SOCKET    the store's socket (pvisor run: <control dir>/store.sock)\n"
    "  --domid N         the frontends' domain (pvisor run: 1)\n"
    "  --control SOCKET  that domain's control socket (pvisor run: <control dir>/guest.ctl)\n"
    "  --metrics FILE    rewrite FILE every second with the counters, a \"name value\" line\n"
    "                    each, per device as <type>.<devid>.<name> (the toolstack's `top`)\n"
    "  --no-sandbox      no seccomp filter (by default every system call outside the\n"
    "                    backend's list fails with EPERM and is logged and counted)\n"
    "`pvisor run --disk` writes the nodes and starts this process itself.\n"
    "SIGTERM, SIGINT or SIGHUP: stop serving (state Closed) and exit 0; SIGUSR1: counters on\n"
    "stderr (also printed at exit). Exit status: 0 stopped (signal, or the store went away),\n"
    "1 start-up failure, 2 usage.\n";

} // namespace

int main(int argc, char** argv) {
    using namespace pvisor::backend;
    return backend_main(argc, argv, BackendProgram{"pvisor-blkback", kUsage, BlkDevice::kind()});
}
