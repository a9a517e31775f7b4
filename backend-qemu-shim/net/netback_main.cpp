// netback_main.cpp: pvisor-netback, the network backend process: serves one domain's network
// interfaces, found in the store under backend/vif/<domid>/ (VifSession::kind,
// backend_program.hpp), each a TAP device on the host.
#include "backend_program.hpp"
#include "vif_session.hpp"

namespace {

const char* const kUsage =
    "usage: pvisor-netback --store SOCKET --domid N --control SOCKET [--metrics FILE]\n"
    "       [--no-sandbox]\n"
    "Serves domain N's network interfaces: every directory /local/domain/0/backend/vif/N/<i>\n"
    "in the store, those there at start and those added later (hotplug). Each is configured\n"
    "by the nodes the toolstack wrote there:\n"
    "  vifname  the host TAP device, created if missing and brought up (required)\n"
    "  mac      the guest's MAC address xx:xx:xx:xx:xx:xx (required)\n"
    "  bridge   an existing bridge the TAP is added to (optional)\n"
    "  queues   1..8 queues offered to the frontend (default 1)\n"
    "An interface that cannot be served gets hotplug-error = <reason> and state = 6 (Closed);\n"
    "online = 0 with state = 5 (Closing) detaches one (state = 6).\n"
    "  --store SOCKET    the store's socket (pvisor run: <control dir>/store.sock)\n"
    "  --domid N         the frontends' domain (pvisor run: 1)\n"
    "  --control SOCKET  that domain's control socket (pvisor run: <control dir>/guest.ctl)\n"
    "  --metrics FILE    rewrite FILE every second with the counters, a \"name value\" line\n"
    "                    each, per device as <type>.<devid>.<name> (the toolstack's `top`)\n"
    "  --no-sandbox      no seccomp filter (by default every system call outside the\n"
    "                    backend's list fails with EPERM and is logged and counted)\n"
    "`pvisor run --net` writes the nodes and starts this process itself.\n"
    "SIGTERM, SIGINT or SIGHUP: clean stop (state Closed); SIGUSR1: counters on stderr (also\n"
    "printed at exit). Exit status: 0 stopped (signal, or the store went away), 1 start-up\n"
    "failure, 2 usage.\n";

} // namespace

int main(int argc, char** argv) {
    using namespace pvisor::backend;
    return backend_main(argc, argv, BackendProgram{"pvisor-netback", kUsage, VifSession::kind()});
}
