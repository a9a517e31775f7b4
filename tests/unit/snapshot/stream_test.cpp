// stream_test.cpp: the save stream's framing: round trip, and every refusal with its exact
// error code and message.
#include "crc32c.hpp"
#include "stream_reader.hpp"
#include "stream_writer.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

namespace pvisor::snapshot {
namespace {

using Bytes = std::vector<std::byte>;

Bytes text(const std::string& s) {
    Bytes b(s.size());
    std::memcpy(b.data(), s.data(), s.size());
    return b;
}

// A record built by hand (any type, flags and length field), with a correct CRC unless
// `crc` is given.
void raw_record(Bytes& out, std::uint32_t type, std::uint32_t flags, const Bytes& payload,
                std::optional<std::uint32_t> crc = std::nullopt) {
    RecordHeader h{type, flags, static_cast<std::uint32_t>(payload.size()), 0};
    h.crc = crc32c(&h, 12);
    h.crc = crc32c(payload.data(), payload.size(), h.crc);
    if (crc)
        h.crc = *crc;
    const auto* p = reinterpret_cast<const std::byte*>(&h);
    out.insert(out.end(), p, p + sizeof h);
    out.insert(out.end(), payload.begin(), payload.end());
}

// header + domain("abc") + memory("0123456789") + end, written by StreamWriter.
Bytes good_stream() {
    MemorySink sink;
    StreamWriter w(sink);
    EXPECT_TRUE(w.begin().ok());
    const Bytes a = text("abc");
    const Bytes b = text("0123456789");
    EXPECT_TRUE(w.record(RecordType::domain, true, {a}).ok());
    EXPECT_TRUE(w.record(RecordType::memory, true, {std::span(b).first(4), std::span(b).subspan(4)}).ok());
    EXPECT_TRUE(w.finish().ok());
    return sink.bytes();
}

struct Outcome {
    StreamErr err = StreamErr::ok;
    std::string message;
    std::vector<Record> records;
};

Outcome read_all(const Bytes& stream) {
    MemorySource src(stream);
    StreamReader r(src);
    Outcome o;
    if (auto s = r.open(); !s.ok()) {
        o.err = s.error();
        o.message = r.message();
        return o;
    }
    while (true) {
        auto rec = r.next();
        if (!rec.ok()) {
            o.err = rec.error();
            o.message = r.message();
            return o;
        }
        o.records.push_back(*rec);
        if (rec->type == static_cast<std::uint32_t>(RecordType::end))
            return o;
    }
}

TEST(Crc32c, KnownVector) {
    // The CRC-32C check value (RFC 3720 appendix B.4, the iSCSI polynomial).
    EXPECT_EQ(crc32c("123456789", 9), 0xE3069283U);
    EXPECT_EQ(crc32c("", 0), 0U);
    // Continuing a CRC gives the CRC of the concatenation.
    EXPECT_EQ(crc32c("6789", 4, crc32c("12345", 5)), 0xE3069283U);
    // 32 zero bytes (RFC 3720 B.4).
    const std::vector<std::uint8_t> zeros(32, 0);
    EXPECT_EQ(crc32c(zeros.data(), zeros.size()), 0x8A9136AAU);
}

TEST(Stream, RoundTrip) {
    const Bytes s = good_stream();
    EXPECT_EQ(s.size(), 16U + 16 + 3 + 16 + 10 + 16 + 16);
    const Outcome o = read_all(s);
    ASSERT_EQ(o.err, StreamErr::ok) << o.message;
    ASSERT_EQ(o.records.size(), 3U);
    EXPECT_EQ(o.records[0].type, 1U);
    EXPECT_TRUE(o.records[0].mandatory);
    EXPECT_EQ(o.records[0].payload, text("abc"));
    EXPECT_EQ(o.records[1].payload, text("0123456789"));
    EXPECT_EQ(o.records[1].offset, 35U);
    EXPECT_EQ(o.records[2].index, 2U);
}

TEST(Stream, EmptyIsTruncated) {
    const Outcome o = read_all({});
    EXPECT_EQ(o.err, StreamErr::truncated);
    EXPECT_EQ(o.message, "byte 0: stream header: stream ends 0 bytes into 16");
}

TEST(Stream, BadMagic) {
    Bytes s = good_stream();
    s[0] = std::byte{'X'};
    const Outcome o = read_all(s);
    EXPECT_EQ(o.err, StreamErr::bad_magic);
    EXPECT_EQ(o.message, "not a pvisor save stream (no PVISORSV magic)");
}

TEST(Stream, WrongVersion) {
    Bytes s = good_stream();
    s[8] = std::byte{2};
    const Outcome o = read_all(s);
    EXPECT_EQ(o.err, StreamErr::bad_version);
    EXPECT_EQ(o.message, "stream version 2 is not supported (this pvisor reads version 1)");
}

TEST(Stream, StreamFlags) {
    Bytes s = good_stream();
    s[12] = std::byte{4};
    const Outcome o = read_all(s);
    EXPECT_EQ(o.err, StreamErr::bad_stream_flags);
    EXPECT_EQ(o.message, "stream header flags 0x00000004 are not defined in version 1");
}

TEST(Stream, TruncatedInRecordHeader) {
    Bytes s = good_stream();
    s.resize(16 + 5);
    const Outcome o = read_all(s);
    EXPECT_EQ(o.err, StreamErr::truncated);
    EXPECT_EQ(o.message, "byte 16: record header: stream ends 5 bytes into 16");
}

TEST(Stream, TruncatedInPayload) {
    Bytes s = good_stream();
    s.resize(35 + 16 + 7);
    const Outcome o = read_all(s);
    EXPECT_EQ(o.err, StreamErr::truncated);
    EXPECT_EQ(o.message,
              "byte 51: record 1 (memory) at byte 35: payload: stream ends 7 bytes into 10");
}

TEST(Stream, TruncatedBeforeEnd) {
    Bytes s = good_stream();
    s.resize(s.size() - 32); // the END record gone
    const Outcome o = read_all(s);
    EXPECT_EQ(o.err, StreamErr::truncated);
    EXPECT_EQ(o.message, "byte 61: stream ends without an end record");
    EXPECT_EQ(o.records.size(), 2U);
}

TEST(Stream, CorruptedPayload) {
    Bytes s = good_stream();
    s[35 + 16 + 3] ^= std::byte{0x01}; // '3' -> '2' in the memory payload
    Bytes bad = text("0122456789");
    RecordHeader h{2, 1, 10, 0};
    const std::uint32_t computed = crc32c(bad.data(), bad.size(), crc32c(&h, 12));
    std::uint32_t stored = 0;
    std::memcpy(&stored, s.data() + 35 + 12, 4);
    char msg[128];
    std::snprintf(msg, sizeof msg,
                  "record 1 (memory) at byte 35: checksum 0x%08x does not match 0x%08x", stored,
                  computed);
    const Outcome o = read_all(s);
    EXPECT_EQ(o.err, StreamErr::bad_checksum);
    EXPECT_EQ(o.message, msg);
}

TEST(Stream, CorruptedHeaderType) {
    Bytes s = good_stream();
    s[16] = std::byte{3}; // domain -> balloon: the CRC covers the header too
    const Outcome o = read_all(s);
    EXPECT_EQ(o.err, StreamErr::bad_checksum);
    EXPECT_EQ(o.message.rfind("record 0 (balloon) at byte 16: checksum 0x", 0), 0U) << o.message;
}

TEST(Stream, OversizedRecord) {
    Bytes s = good_stream();
    s.resize(16);
    RecordHeader h{2, 1, kMaxRecordBytes + 1, 0};
    const auto* p = reinterpret_cast<const std::byte*>(&h);
    s.insert(s.end(), p, p + sizeof h);
    const Outcome o = read_all(s);
    EXPECT_EQ(o.err, StreamErr::too_large);
    EXPECT_EQ(o.message,
              "record 0 (memory) at byte 16: length 4194305 exceeds the limit of 4194304");
}

TEST(Stream, UnknownMandatoryRecord) {
    Bytes s = good_stream();
    s.resize(16);
    raw_record(s, 0x7777, kRecordMandatory, text("future"));
    const Outcome o = read_all(s);
    EXPECT_EQ(o.err, StreamErr::unknown_mandatory);
    EXPECT_EQ(o.message,
              "record 0 (type 0x00007777) at byte 16: unknown mandatory record type 0x00007777");
}

TEST(Stream, UnknownOptionalRecordIsSkipped) {
    const Bytes good = good_stream();
    Bytes s(good.begin(), good.begin() + 16);
    raw_record(s, 0x7777, 0, text("future"));
    raw_record(s, 1, kRecordMandatory, text("abc"));
    const EndRecord e{2, 16 + 22 + 19};
    Bytes eb(sizeof e);
    std::memcpy(eb.data(), &e, sizeof e);
    raw_record(s, 0xFFFF, kRecordMandatory, eb);
    MemorySource src(s);
    StreamReader r(src);
    ASSERT_TRUE(r.open().ok());
    auto first = r.next();
    ASSERT_TRUE(first.ok()) << r.message();
    EXPECT_EQ(first->type, 1U);
    EXPECT_EQ(first->index, 1U);
    EXPECT_EQ(r.skipped(), 1U);
    auto end = r.next();
    ASSERT_TRUE(end.ok()) << r.message();
    EXPECT_EQ(end->type, 0xFFFFU);
}

TEST(Stream, UndefinedRecordFlags) {
    Bytes s = good_stream();
    s.resize(16);
    raw_record(s, 1, 0x10 | kRecordMandatory, text("abc"));
    const Outcome o = read_all(s);
    EXPECT_EQ(o.err, StreamErr::bad_record_flags);
    EXPECT_EQ(o.message, "record 0 (domain) at byte 16: flags 0x00000011 are not defined in version 1");
}

TEST(Stream, TrailingData) {
    Bytes s = good_stream();
    s.push_back(std::byte{0});
    const Outcome o = read_all(s);
    EXPECT_EQ(o.err, StreamErr::trailing_data);
    EXPECT_EQ(o.message, "byte 93: data after the end record");
}

TEST(Stream, DroppedRecordFailsTheEndCounts) {
    const Bytes good = good_stream();
    Bytes s(good.begin(), good.begin() + 35);   // header + domain
    s.insert(s.end(), good.begin() + 61, good.end()); // END, the memory record dropped
    const Outcome o = read_all(s);
    EXPECT_EQ(o.err, StreamErr::bad_end);
    EXPECT_EQ(o.message, "record 1 (end) at byte 35: says 2 records in 61 bytes, read 1 in 35");
}

TEST(Stream, EndWithShortPayload) {
    const Bytes good = good_stream();
    Bytes s(good.begin(), good.begin() + 16);
    raw_record(s, 0xFFFF, kRecordMandatory, text("short"));
    const Outcome o = read_all(s);
    EXPECT_EQ(o.err, StreamErr::bad_payload);
    EXPECT_EQ(o.message, "record 0 (end) at byte 16: payload of 5 bytes, expected 16");
}

TEST(Stream, WriterRefusesOversizedRecord) {
    MemorySink sink;
    StreamWriter w(sink);
    const Bytes big(kMaxRecordBytes + 1);
    EXPECT_EQ(w.record(RecordType::memory, true, {big}).error(), Errc::too_big);
    EXPECT_TRUE(sink.bytes().empty());
}

} // namespace
} // namespace pvisor::snapshot
