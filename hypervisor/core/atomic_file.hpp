// atomic_file.hpp: replace a file's whole contents at once (temporary file + rename), so a
// reader sees the old text or the new one, never half of one.
#pragma once

#include "result.hpp"

#include <sys/types.h>

#include <string>
#include <string_view>

namespace pvisor {

// Writes `text` to "<path>.tmp" and renames it over `path`. Errc::system_error with errno
// set on failure (the temporary file is then removed).
[[nodiscard]] Status write_file_atomic(const std::string& path, std::string_view text,
                                       mode_t mode = 0644);

} // namespace pvisor
