// memory_image.hpp: guest memory as sparse memory records: only pages that hold data are
// written (never-touched and ballooned pages are memfd holes, all-zero pages are skipped),
// and a restore writes them into a fresh memfd whose other pages stay holes.
#pragma once

#include "guest_memory.hpp"
#include "stream_reader.hpp"
#include "stream_writer.hpp"

#include <cstdint>
#include <functional>
#include <string>

namespace pvisor::snapshot {

// A memory record's payload: this header, then `count` pages of 4 KiB for GPAs gpa,
// gpa + 4096, ... (1 <= count <= kMaxPagesPerRecord).
struct MemoryRunHeader {
    std::uint64_t gpa;
    std::uint32_t count;
    std::uint32_t pad;
};
static_assert(sizeof(MemoryRunHeader) == 16);

struct MemoryStats {
    std::uint64_t pages_written = 0;
    std::uint64_t pages_zero = 0;    // had data but all zeros: not written
    std::uint64_t pages_skipped = 0; // frames `skip` named (ballooned)
    std::uint64_t records = 0;
};

// Writes every region's data pages. The memfd is walked with SEEK_DATA/SEEK_HOLE, so holes
// (never touched, punched by the balloon) are neither read nor faulted in. `skip(gfn)`: a
// frame not to save (the balloon's frames given back, which a guest may have touched after).
// Errc::system_error (errno set) if the sink or lseek fails.
[[nodiscard]] Result<MemoryStats> write_memory(StreamWriter& w, const GuestMemory& mem,
                                               const std::function<bool(std::uint64_t)>& skip);

// Copies one memory record's pages into `mem`. bad_payload (with `why`) if the payload's size
// does not match its count or the run leaves guest memory (RAM or special pages).
[[nodiscard]] BasicStatus<StreamErr> load_memory_record(const Record& r, const GuestMemory& mem,
                                                        std::string& why);

} // namespace pvisor::snapshot
