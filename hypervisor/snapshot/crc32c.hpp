// crc32c.hpp: CRC-32C (Castagnoli), the save stream's record checksum.
#pragma once

#include <cstddef>
#include <cstdint>

namespace pvisor::snapshot {

// CRC-32C of `len` bytes, continuing from `crc` (0 to start). Uses the SSE4.2 crc32
// instruction when the CPU has it, else a table; both give the same value.
[[nodiscard]] std::uint32_t crc32c(const void* data, std::size_t len, std::uint32_t crc = 0) noexcept;

} // namespace pvisor::snapshot
