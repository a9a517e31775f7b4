// xl_cli.hpp: the xl-like commands of `pvisor` (create, list, console, ...), clients of the
// toolstack's API and nothing more.
#pragma once

#include <string>

namespace pvisor::toolstack {

// True if `cmd` is one of these commands.
[[nodiscard]] bool is_xl_command(const std::string& cmd);
// Runs `pvisor CMD ARGS...` (argv[0] is CMD). Exit status: 0 done, 1 refused or failed,
// 2 usage.
int xl_command_main(int argc, char** argv);
// The command list for `pvisor --help`.
[[nodiscard]] const char* xl_usage();

} // namespace pvisor::toolstack
