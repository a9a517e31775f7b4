// blk_request.cpp: validation of blkif requests: operations, segments, ranges, features.
#include "blk_request.hpp"

#include <cstring>

namespace pvisor::backend {

const char* blk_invalid_name(BlkInvalid r) noexcept {
    switch (r) {
    case BlkInvalid::unknown_op:
        return "unknown_op";
    case BlkInvalid::not_negotiated:
        return "not_negotiated";
    case BlkInvalid::bad_segment_count:
        return "bad_segment_count";
    case BlkInvalid::bad_segment:
        return "bad_segment";
    case BlkInvalid::out_of_range:
        return "out_of_range";
    case BlkInvalid::bad_discard:
        return "bad_discard";
    case BlkInvalid::bad_indirect:
        return "bad_indirect";
    case BlkInvalid::read_only:
        return "read_only";
    case BlkInvalid::bad_grant:
        return "bad_grant";
    case BlkInvalid::misaligned:
        return "misaligned";
    case BlkInvalid::count_:
        break;
    }
    return "unknown";
}

std::int16_t blk_invalid_status(BlkInvalid r) noexcept {
    return r == BlkInvalid::unknown_op || r == BlkInvalid::not_negotiated
               ? static_cast<std::int16_t>(BLKIF_RSP_EOPNOTSUPP)
               : static_cast<std::int16_t>(BLKIF_RSP_ERROR);
}

namespace {

BlkReject reject(std::uint64_t id, std::uint8_t op, BlkInvalid why) {
    return {id, op, why};
}

// Checks each segment and sums their sectors; nr <= kBlkMaxSegments so the sum cannot overflow.
bool check_segments(BlkRequest& r, BlkInvalid& why) {
    std::uint64_t sectors = 0;
    for (std::uint32_t i = 0; i < r.nr_segments; ++i) {
        const BlkSegment& s = r.seg[i];
        if (s.first_sect > s.last_sect || s.last_sect >= BLKIF_SECTORS_PER_FRAME) {
            why = BlkInvalid::bad_segment;
            return false;
        }
        sectors += static_cast<std::uint64_t>(s.last_sect - s.first_sect) + 1;
    }
    r.nr_sectors = sectors;
    return true;
}

// sector + nr <= capacity, without overflow.
bool in_disk(std::uint64_t sector, std::uint64_t nr, std::uint64_t capacity) {
    return sector <= capacity && nr <= capacity - sector;
}

void parse_direct(const blkif_request& in, const BlkDiskLimits& lim, BlkParse& out) {
    const bool flush = in.operation == BLKIF_OP_FLUSH_DISKCACHE;
    if (flush && !lim.flush) {
        out = reject(in.id, in.operation, BlkInvalid::not_negotiated);
        return;
    }
    const std::uint32_t min = flush ? 0 : 1;
    if (in.nr_segments < min || in.nr_segments > BLKIF_MAX_SEGMENTS_PER_REQUEST) {
        out = reject(in.id, in.operation, BlkInvalid::bad_segment_count);
        return;
    }
    BlkRequest& r = out.emplace<BlkRequest>();
    r.id = in.id;
    r.wire_op = in.operation;
    r.op = flush ? BlkOp::flush : in.operation == BLKIF_OP_READ ? BlkOp::read : BlkOp::write;
    r.durable = flush;
    r.sector = in.sector_number;
    r.nr_segments = in.nr_segments;
    for (std::uint32_t i = 0; i < r.nr_segments; ++i)
        r.seg[i] = {in.seg[i].gref, in.seg[i].first_sect, in.seg[i].last_sect};
}

void parse_indirect(const blkif_request_indirect& in, const BlkDiskLimits& lim,
                    GrantTableView& grants, BlkParse& out) {
    if (lim.max_indirect_segments == 0) {
        out = reject(in.id, in.operation, BlkInvalid::not_negotiated);
        return;
    }
    if (in.indirect_op != BLKIF_OP_READ && in.indirect_op != BLKIF_OP_WRITE) {
        out = reject(in.id, in.operation, BlkInvalid::bad_indirect);
        return;
    }
    if (in.nr_segments == 0 || in.nr_segments > lim.max_indirect_segments ||
        in.nr_segments > kBlkMaxSegments) {
        out = reject(in.id, in.operation, BlkInvalid::bad_segment_count);
        return;
    }
    const std::uint64_t id = in.id;
    const std::uint8_t wire_op = in.operation;
    const std::uint32_t nr = in.nr_segments;
    const std::uint64_t sector = in.sector_number;
    const bool is_read = in.indirect_op == BLKIF_OP_READ;
    std::array<pv_grant_ref, BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST> frames{};
    std::memcpy(frames.data(), in.indirect_grefs, sizeof in.indirect_grefs);

    BlkRequest& r = out.emplace<BlkRequest>();
    r.id = id;
    r.wire_op = wire_op;
    r.op = is_read ? BlkOp::read : BlkOp::write;
    r.sector = sector;
    r.nr_segments = nr;
    // The segment array is copied once out of the indirect frames, then only the copy is used.
    std::array<blkif_request_segment, BLKIF_SEGS_PER_INDIRECT_FRAME> page{};
    for (std::uint32_t done = 0, f = 0; done < nr; ++f) {
        const std::uint32_t n =
            nr - done < BLKIF_SEGS_PER_INDIRECT_FRAME ? nr - done : BLKIF_SEGS_PER_INDIRECT_FRAME;
        auto bytes = std::as_writable_bytes(std::span(page.data(), n));
        if (!grants.copy_from_guest(frames[f], 0, bytes).ok()) {
            out = reject(id, wire_op, BlkInvalid::bad_indirect);
            return;
        }
        for (std::uint32_t i = 0; i < n; ++i)
            r.seg[done + i] = {page[i].gref, page[i].first_sect, page[i].last_sect};
        done += n;
    }
}

void parse_discard(const blkif_request_discard& in, const BlkDiskLimits& lim, BlkParse& out) {
    if (!lim.discard) {
        out = reject(in.id, in.operation, BlkInvalid::not_negotiated);
        return;
    }
    if (in.nr_sectors == 0 || (in.flag & ~BLKIF_DISCARD_SECURE) != 0 ||
        ((in.flag & BLKIF_DISCARD_SECURE) != 0 && !lim.discard_secure)) {
        out = reject(in.id, in.operation, BlkInvalid::bad_discard);
        return;
    }
    BlkRequest& r = out.emplace<BlkRequest>();
    r.id = in.id;
    r.wire_op = in.operation;
    r.op = BlkOp::discard;
    r.sector = in.sector_number;
    r.nr_sectors = in.nr_sectors;
}

// With a logical sector larger than 512 bytes (O_DIRECT on a 4Kn device), every range and
// every segment must cover whole logical sectors, or the host I/O would fail.
bool aligned(const BlkRequest& r, std::uint32_t sector_size) {
    const std::uint32_t per = sector_size >> BLKIF_SECTOR_SHIFT; // 1 or 8 (a power of two)
    if (per <= 1)
        return true;
    if (r.sector % per != 0 || r.nr_sectors % per != 0)
        return false;
    for (std::uint32_t i = 0; i < r.nr_segments; ++i) {
        if (r.seg[i].first_sect % per != 0 || (r.seg[i].last_sect + 1U) % per != 0)
            return false;
    }
    return true;
}

// Range and read-only checks shared by every operation, on the parsed value.
void check_parsed(const BlkDiskLimits& lim, BlkParse& out) {
    BlkRequest& r = std::get<BlkRequest>(out);
    BlkInvalid why = BlkInvalid::bad_segment;
    if (r.op != BlkOp::discard && !check_segments(r, why)) {
        out = reject(r.id, r.wire_op, why);
        return;
    }
    if (lim.read_only && (r.writes_disk() || r.op == BlkOp::discard)) {
        out = reject(r.id, r.wire_op, BlkInvalid::read_only);
        return;
    }
    if ((r.nr_segments > 0 || r.op == BlkOp::discard) &&
        !in_disk(r.sector, r.nr_sectors, lim.capacity_sectors)) {
        out = reject(r.id, r.wire_op, BlkInvalid::out_of_range);
        return;
    }
    if (!aligned(r, lim.sector_size))
        out = reject(r.id, r.wire_op, BlkInvalid::misaligned);
}

} // namespace

void parse_blk_request(const blkif_request_any& slot, const BlkDiskLimits& limits,
                       GrantTableView& grants, BlkParse& out) {
    switch (slot.rw.operation) {
    case BLKIF_OP_READ:
    case BLKIF_OP_WRITE:
    case BLKIF_OP_FLUSH_DISKCACHE:
        parse_direct(slot.rw, limits, out);
        break;
    case BLKIF_OP_INDIRECT:
        parse_indirect(slot.indirect, limits, grants, out);
        break;
    case BLKIF_OP_DISCARD:
        parse_discard(slot.discard, limits, out);
        break;
    default: // WRITE_BARRIER (not offered), reserved and unknown operations
        out = reject(slot.other.id, slot.other.operation, BlkInvalid::unknown_op);
        return;
    }
    if (std::holds_alternative<BlkRequest>(out))
        check_parsed(limits, out);
}

} // namespace pvisor::backend
