// vmm_request_cli.hpp: the `pvisor vmm-request` command (one request on a VMM's vmm.sock).
#pragma once

namespace pvisor {

// argv[0] is "vmm-request". Exit status: 0 the reply's ok is true, 1 not (or no reply),
// 2 usage.
[[nodiscard]] int vmm_request_main(int argc, char** argv);

} // namespace pvisor
