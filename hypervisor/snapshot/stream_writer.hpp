// stream_writer.hpp: writes a save stream: header, checksummed records, END.
#pragma once

#include "byte_stream.hpp"
#include "stream_format.hpp"

#include <cstdint>
#include <initializer_list>
#include <span>

namespace pvisor::snapshot {

class StreamWriter {
  public:
    explicit StreamWriter(ByteSink& sink) : m_sink(sink) {}

    // The stream header. Errc::system_error (errno set) if the sink fails, here and below.
    [[nodiscard]] Status begin();
    // One record whose payload is the concatenation of `parts` (at most kMaxRecordBytes:
    // larger is a bug, Errc::too_big).
    [[nodiscard]] Status record(RecordType type, bool mandatory,
                                std::initializer_list<std::span<const std::byte>> parts);
    // A record whose payload is one trivially copyable object.
    template <typename T>
    [[nodiscard]] Status record_obj(RecordType type, bool mandatory, const T& obj) {
        return record(type, mandatory, {std::as_bytes(std::span(&obj, 1))});
    }
    // The END record; nothing may follow.
    [[nodiscard]] Status finish();

    [[nodiscard]] std::uint64_t bytes() const noexcept { return m_bytes; }
    [[nodiscard]] std::uint64_t records() const noexcept { return m_records; }

  private:
    [[nodiscard]] Status raw(std::uint32_t type, std::uint32_t flags,
                             std::initializer_list<std::span<const std::byte>> parts);

    ByteSink& m_sink;
    std::uint64_t m_bytes = 0;
    std::uint64_t m_records = 0;
};

} // namespace pvisor::snapshot
