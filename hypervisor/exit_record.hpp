// exit_record.hpp: <control dir>/exit, how `pvisor run` ended, for a supervisor that is not
// its parent (it cannot wait for the status): one line "status=N reason=<text>\n", written
// atomically as the VMM exits and removed as it starts.
#pragma once

#include "result.hpp"

#include <string>
#include <string_view>

namespace pvisor {

struct ExitRecord {
    int status = 0;     // the exit status (cli.hpp kExit*)
    std::string reason; // one line: no control characters
};

[[nodiscard]] std::string exit_record_path(std::string_view control_dir);
// "status=N reason=TEXT\n"; control characters in the reason become spaces.
[[nodiscard]] std::string format_exit_record(int status, std::string_view reason);
// The inverse of format_exit_record; Errc::invalid_argument for anything else.
[[nodiscard]] Result<ExitRecord> parse_exit_record(std::string_view text);
// Removes a record left by an earlier run (none is fine).
void remove_exit_record(std::string_view control_dir);
// Writes the record (temporary file + rename); Errc::system_error with errno set.
[[nodiscard]] Status write_exit_record(std::string_view control_dir, int status,
                                       std::string_view reason);

} // namespace pvisor
