// stream_reader.cpp: the save stream's header and record checks.
#include "stream_reader.hpp"

#include "crc32c.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace pvisor::snapshot {
namespace {

std::string hex(std::uint32_t v) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "0x%08x", v);
    return buf;
}

} // namespace

StreamErr StreamReader::fail(StreamErr e, std::string text) {
    m_message = std::move(text);
    return e;
}

StreamStatus StreamReader::read_exact(std::span<std::byte> out, const std::string& what) {
    auto n = m_source.read(out);
    if (!n.ok())
        return fail(StreamErr::io_error, "byte " + std::to_string(m_offset) + ": " + what +
                                             ": read failed: " + std::strerror(errno));
    m_offset += *n;
    if (*n < out.size())
        return fail(StreamErr::truncated,
                    "byte " + std::to_string(m_offset - *n) + ": " + what + ": stream ends " +
                        std::to_string(*n) + " bytes into " + std::to_string(out.size()));
    return {};
}

std::string StreamReader::where(const RecordHeader& h, std::uint64_t index,
                                std::uint64_t offset) const {
    std::string type = known_record_type(h.type) ? std::string(record_type_name(h.type))
                                                 : "type " + hex(h.type);
    return "record " + std::to_string(index) + " (" + type + ") at byte " + std::to_string(offset);
}

StreamStatus StreamReader::open() {
    StreamHeader h{};
    PV_TRY(read_exact(std::as_writable_bytes(std::span(&h, 1)), "stream header"));
    if (std::memcmp(h.magic, kStreamMagic, sizeof h.magic) != 0)
        return fail(StreamErr::bad_magic, "not a pvisor save stream (no PVISORSV magic)");
    if (h.version != kStreamVersion)
        return fail(StreamErr::bad_version, "stream version " + std::to_string(h.version) +
                                                " is not supported (this pvisor reads version " +
                                                std::to_string(kStreamVersion) + ")");
    if (h.flags != 0)
        return fail(StreamErr::bad_stream_flags,
                    "stream header flags " + hex(h.flags) + " are not defined in version 1");
    return {};
}

Result<Record, StreamErr> StreamReader::next() {
    while (true) {
        if (m_done)
            return fail(StreamErr::trailing_data, "read past the end record");
        const std::uint64_t offset = m_offset;
        const std::uint64_t index = m_index;
        RecordHeader h{};
        auto hb = std::as_writable_bytes(std::span(&h, 1));
        auto got = m_source.read(hb);
        if (!got.ok())
            return fail(StreamErr::io_error, "byte " + std::to_string(offset) +
                                                 ": read failed: " + std::strerror(errno));
        m_offset += *got;
        if (*got == 0)
            return fail(StreamErr::truncated, "byte " + std::to_string(offset) +
                                                  ": stream ends without an end record");
        if (*got < sizeof h)
            return fail(StreamErr::truncated,
                        "byte " + std::to_string(offset) + ": record header: stream ends " +
                            std::to_string(*got) + " bytes into 16");
        const std::string at = where(h, index, offset);
        if ((h.flags & ~kRecordFlagsKnown) != 0)
            return fail(StreamErr::bad_record_flags,
                        at + ": flags " + hex(h.flags) + " are not defined in version 1");
        if (h.length > kMaxRecordBytes)
            return fail(StreamErr::too_large, at + ": length " + std::to_string(h.length) +
                                                  " exceeds the limit of " +
                                                  std::to_string(kMaxRecordBytes));
        const bool mandatory = (h.flags & kRecordMandatory) != 0;
        const bool known = known_record_type(h.type);
        if (!known && mandatory)
            return fail(StreamErr::unknown_mandatory,
                        at + ": unknown mandatory record type " + hex(h.type));
        Record r;
        r.type = h.type;
        r.mandatory = mandatory;
        r.index = index;
        r.offset = offset;
        r.payload.resize(h.length);
        PV_TRY(read_exact(r.payload, at + ": payload"));
        std::uint32_t crc = crc32c(&h, offsetof(RecordHeader, crc));
        crc = crc32c(r.payload.data(), r.payload.size(), crc);
        if (crc != h.crc)
            return fail(StreamErr::bad_checksum,
                        at + ": checksum " + hex(h.crc) + " does not match " + hex(crc));
        ++m_index;
        if (!known) {
            ++m_skipped;
            continue;
        }
        if (h.type == static_cast<std::uint32_t>(RecordType::end))
            PV_TRY(check_end(r));
        return r;
    }
}

StreamStatus StreamReader::check_end(const Record& r) {
    const std::string at = "record " + std::to_string(r.index) + " (end) at byte " +
                           std::to_string(r.offset);
    EndRecord e{};
    if (r.payload.size() != sizeof e)
        return fail(StreamErr::bad_payload, at + ": payload of " +
                                                std::to_string(r.payload.size()) +
                                                " bytes, expected 16");
    std::memcpy(&e, r.payload.data(), sizeof e);
    if (e.records != r.index || e.bytes != r.offset)
        return fail(StreamErr::bad_end, at + ": says " + std::to_string(e.records) +
                                            " records in " + std::to_string(e.bytes) +
                                            " bytes, read " + std::to_string(r.index) + " in " +
                                            std::to_string(r.offset));
    std::byte extra{};
    auto n = m_source.read(std::span(&extra, 1));
    if (!n.ok())
        return fail(StreamErr::io_error, at + ": read failed: " + std::strerror(errno));
    if (*n != 0)
        return fail(StreamErr::trailing_data,
                    "byte " + std::to_string(m_offset) + ": data after the end record");
    m_done = true;
    return {};
}

} // namespace pvisor::snapshot
