// stream_writer.cpp: record framing and checksums of the save stream.
#include "stream_writer.hpp"

#include "crc32c.hpp"

#include <cstring>

namespace pvisor::snapshot {

Status StreamWriter::begin() {
    StreamHeader h{};
    std::memcpy(h.magic, kStreamMagic, sizeof h.magic);
    h.version = kStreamVersion;
    PV_TRY(m_sink.write(std::as_bytes(std::span(&h, 1))));
    m_bytes += sizeof h;
    return {};
}

Status StreamWriter::raw(std::uint32_t type, std::uint32_t flags,
                         std::initializer_list<std::span<const std::byte>> parts) {
    std::uint64_t len = 0;
    for (const auto& p : parts)
        len += p.size();
    if (len > kMaxRecordBytes)
        return Errc::too_big;
    RecordHeader h{type, flags, static_cast<std::uint32_t>(len), 0};
    std::uint32_t crc = crc32c(&h, offsetof(RecordHeader, crc));
    for (const auto& p : parts)
        crc = crc32c(p.data(), p.size(), crc);
    h.crc = crc;
    PV_TRY(m_sink.write(std::as_bytes(std::span(&h, 1))));
    for (const auto& p : parts)
        PV_TRY(m_sink.write(p));
    m_bytes += sizeof h + len;
    ++m_records;
    return {};
}

Status StreamWriter::record(RecordType type, bool mandatory,
                            std::initializer_list<std::span<const std::byte>> parts) {
    return raw(static_cast<std::uint32_t>(type), mandatory ? kRecordMandatory : 0U, parts);
}

Status StreamWriter::finish() {
    const EndRecord e{m_records, m_bytes};
    return record_obj(RecordType::end, true, e);
}

} // namespace pvisor::snapshot
