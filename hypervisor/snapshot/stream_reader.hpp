// stream_reader.hpp: reads a save stream's records and refuses every malformed one (truncated,
// corrupted, wrong version, oversized, unknown mandatory) with an exact error and message.
#pragma once

#include "byte_stream.hpp"
#include "stream_format.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace pvisor::snapshot {

using StreamStatus = BasicStatus<StreamErr>;

struct Record {
    std::uint32_t type = 0;
    bool mandatory = false;
    std::uint64_t index = 0;  // 0 for the first record after the stream header
    std::uint64_t offset = 0; // byte offset of its header in the stream
    std::vector<std::byte> payload;
};

// Trust: the stream is untrusted (a file anyone may have edited, a peer on a socket). Every
// record's length is bounded before anything is allocated, its CRC checked before its
// payload is handed out; decoders then check each payload's size and values.
class StreamReader {
  public:
    explicit StreamReader(ByteSource& source) : m_source(source) {}

    // Reads and checks the stream header.
    [[nodiscard]] StreamStatus open();
    // The next record of a type this pvisor knows, checked. Unknown optional records are
    // skipped (counted). END is returned like any record, after its counts and the absence
    // of trailing bytes were checked; next() after END is a bug.
    [[nodiscard]] Result<Record, StreamErr> next();

    // The last error in words: "<where>: <what>" (empty while none).
    [[nodiscard]] const std::string& message() const noexcept { return m_message; }
    [[nodiscard]] std::uint64_t skipped() const noexcept { return m_skipped; }
    [[nodiscard]] std::uint64_t bytes_read() const noexcept { return m_offset; }

  private:
    [[nodiscard]] StreamErr fail(StreamErr e, std::string text);
    // Reads exactly `out.size()` bytes; truncated (with `what` in the message) if fewer.
    [[nodiscard]] StreamStatus read_exact(std::span<std::byte> out, const std::string& what);
    [[nodiscard]] std::string where(const RecordHeader& h, std::uint64_t index,
                                    std::uint64_t offset) const;
    [[nodiscard]] StreamStatus check_end(const Record& r);

    ByteSource& m_source;
    std::uint64_t m_offset = 0;
    std::uint64_t m_index = 0;
    std::uint64_t m_skipped = 0;
    bool m_done = false;
    std::string m_message;
};

} // namespace pvisor::snapshot
