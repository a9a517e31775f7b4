// blk_request.hpp: one copied blkif ring slot parsed into a validated BlkRequest (or a refusal).
#pragma once

#include "grant_table_view.hpp"

#include <array>
#include <cstdint>
#include <pv/blkif.h>
#include <variant>

namespace pvisor::backend {

// Most segments a request may carry (feature-max-indirect-segments offered by pvisor).
inline constexpr std::uint32_t kBlkMaxSegments = 256;

// Why a request was refused; each reason has its own per-disk counter.
enum class BlkInvalid : std::uint8_t {
    unknown_op,        // not an operation pvisor implements -> EOPNOTSUPP
    not_negotiated,    // a feature the disk does not offer (discard, flush, indirect) -> EOPNOTSUPP
    bad_segment_count, // 0 or too many segments -> ERROR
    bad_segment,       // first_sect > last_sect or last_sect > 7 -> ERROR
    out_of_range,      // sector + length beyond capacity (checked arithmetic) -> ERROR
    bad_discard,       // zero-length discard, or secure discard not offered -> ERROR
    bad_indirect,      // indirect_op not READ/WRITE, or an indirect frame's grant refused -> ERROR
    read_only,         // write, discard or flush-with-data on a read-only disk -> ERROR
    bad_grant,         // a data grant refused (reason counted by the grant table) -> ERROR
    misaligned,        // not a whole number of the disk's logical sectors -> ERROR
    count_,
};
inline constexpr std::size_t kBlkInvalidCount = static_cast<std::size_t>(BlkInvalid::count_);
[[nodiscard]] const char* blk_invalid_name(BlkInvalid r) noexcept;
// The blkif status a refusal is answered with.
[[nodiscard]] std::int16_t blk_invalid_status(BlkInvalid r) noexcept;

// What the disk offers; the parser refuses anything outside it.
struct BlkDiskLimits {
    std::uint64_t capacity_sectors = 0;            // 512-byte units
    std::uint32_t sector_size = BLKIF_SECTOR_SIZE; // logical sector (512 or 4096; sector-size key)
    bool read_only = false;
    bool flush = true;
    bool discard = true;
    bool discard_secure = false;
    std::uint32_t max_indirect_segments = kBlkMaxSegments; // 0: no BLKIF_OP_INDIRECT
};

enum class BlkOp : std::uint8_t { read, write, flush, discard };

// Trivial (no initialisers): a request's array is written only up to nr_segments.
struct BlkSegment {
    pv_grant_ref gref;
    std::uint8_t first_sect; // 0..7, <= last_sect
    std::uint8_t last_sect;
};

// A validated request: every range below lies inside the disk and every segment inside its
// page. Grants are still unchecked (they are pinned when the I/O is prepared).
struct BlkRequest {
    // User-provided: emplacing a request must not zero the 2 KiB segment array each time.
    BlkRequest() noexcept {}  // NOLINT(modernize-use-equals-default)
    std::uint64_t id = 0;     // echoed back, opaque
    std::uint8_t wire_op = 0; // echoed back in the response
    BlkOp op = BlkOp::read;
    bool durable = false;                        // flush: make durable (after the data, if any)
    std::uint64_t sector = 0;                    // 512-byte units
    std::uint64_t nr_sectors = 0;                // total of the segments, or the discard length
    std::uint32_t nr_segments = 0;               // 0 only for flush without data and discard
    std::array<BlkSegment, kBlkMaxSegments> seg; // [0, nr_segments) valid

    [[nodiscard]] bool writes_disk() const noexcept {
        return op == BlkOp::write || (op == BlkOp::flush && nr_segments > 0);
    }
};

// A refused request: answered with `status` and counted under `reason`.
struct BlkReject {
    std::uint64_t id = 0;
    std::uint8_t wire_op = 0;
    BlkInvalid reason = BlkInvalid::unknown_op;
};

using BlkParse = std::variant<BlkRequest, BlkReject>;

// Parses a slot copied out of the ring (never the shared slot itself). Indirect segment
// frames are copied once through `grants`. Fills `out` (a large value, reused by the caller).
void parse_blk_request(const blkif_request_any& slot, const BlkDiskLimits& limits,
                       GrantTableView& grants, BlkParse& out);

} // namespace pvisor::backend
