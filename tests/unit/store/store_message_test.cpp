// store_message_test.cpp: framing, per-type payload validation and exact replies.
#include "store_protocol.hpp"
#include "xs_message.hpp"

#include <cstring>
#include <gtest/gtest.h>

namespace pvisor::store {
namespace {

using namespace std::string_literals;

std::string frame(std::uint32_t type, std::string_view payload, std::uint32_t req_id = 7,
                  std::uint32_t tx_id = 0) {
    std::string out;
    append_message(out, type, req_id, tx_id, payload);
    return out;
}

std::span<const std::byte> bytes(const std::string& s) {
    return std::as_bytes(std::span(s));
}

// Feeds a byte stream, serving every message; returns the replies.
std::vector<XsMessage> serve_stream(Store& store, ConnId conn, const std::string& stream) {
    MessageReader in;
    std::string out;
    std::span<const std::byte> rest = bytes(stream);
    while (!rest.empty()) {
        rest = rest.subspan(in.feed(rest));
        if (in.broken())
            break;
        if (in.has_message())
            serve_message(store, conn, in.take(), out);
    }
    append_events(store, conn, out, 1 << 20);
    MessageReader rd;
    std::vector<XsMessage> replies;
    rest = bytes(out);
    while (!rest.empty()) {
        rest = rest.subspan(rd.feed(rest));
        EXPECT_TRUE(rd.has_message());
        replies.push_back(rd.take());
    }
    return replies;
}

class XsMessageTest : public ::testing::Test {
  protected:
    void SetUp() override {
        ASSERT_TRUE(store.introduce_domain(1, "g").ok());
        dom0 = store.connect(0);
        guest = store.connect(1);
    }
    XsMessage one(ConnId c, std::uint32_t type, std::string_view payload, std::uint32_t req = 7,
                  std::uint32_t tx = 0) {
        auto r = serve_stream(store, c, frame(type, payload, req, tx));
        EXPECT_EQ(r.size(), 1U);
        return r.empty() ? XsMessage{} : r[0];
    }
    void expect_error(ConnId c, std::uint32_t type, std::string_view payload, const char* name,
                      std::uint32_t tx = 0) {
        const XsMessage m = one(c, type, payload, 99, tx);
        EXPECT_EQ(m.hdr.type, static_cast<std::uint32_t>(XS_ERROR));
        EXPECT_EQ(m.hdr.req_id, 99U);
        EXPECT_EQ(m.hdr.tx_id, tx);
        EXPECT_EQ(m.payload, std::string(name) + '\0') << "type " << type;
    }
    Store store;
    ConnId dom0 = 0, guest = 0;
};

TEST(MessageReader, ReassemblesByteByByteAndStopsAtMessageEnd) {
    const std::string s = frame(XS_READ, "/a\0"s) + frame(XS_RM, "/b\0"s, 8);
    MessageReader r;
    std::size_t i = 0;
    while (!r.has_message())
        i += r.feed(bytes(s).subspan(i, 1));
    EXPECT_EQ(i, 16U + 3U);
    EXPECT_EQ(r.feed(bytes(s).subspan(i)), 0U); // holds until taken
    const XsMessage m = r.take();
    EXPECT_EQ(m.hdr.type, static_cast<std::uint32_t>(XS_READ));
    EXPECT_EQ(m.payload, "/a\0"s);
    EXPECT_EQ(r.feed(bytes(s).subspan(i)), 19U);
    EXPECT_EQ(r.take().hdr.req_id, 8U);
}

TEST(MessageReader, OversizedLengthBreaksTheStreamForGood) {
    xsd_sockmsg hdr{XS_WRITE, 1, 0, XENSTORE_PAYLOAD_MAX + 1};
    std::string s(reinterpret_cast<const char*>(&hdr), sizeof hdr);
    s += std::string(100, 'x');
    MessageReader r;
    EXPECT_EQ(r.feed(bytes(s)), 16U);
    EXPECT_TRUE(r.broken());
    EXPECT_FALSE(r.has_message());
    EXPECT_EQ(r.feed(bytes(s)), 0U);
    r.reset();
    EXPECT_FALSE(r.broken());
}

TEST(MessageReader, MaximumPayloadIsAccepted) {
    const std::string s = frame(XS_WRITE, "/a\0"s + std::string(XENSTORE_PAYLOAD_MAX - 3, 'v'));
    MessageReader r;
    EXPECT_EQ(r.feed(bytes(s)), s.size());
    EXPECT_TRUE(r.has_message());
}

TEST_F(XsMessageTest, RepliesEchoTypeReqIdAndTxId) {
    auto m = one(dom0, XS_WRITE, "/x\0value"s, 41);
    EXPECT_EQ(m.hdr.type, static_cast<std::uint32_t>(XS_WRITE));
    EXPECT_EQ(m.hdr.req_id, 41U);
    EXPECT_EQ(m.payload, "OK\0"s);
    m = one(dom0, XS_READ, "/x\0"s, 42);
    EXPECT_EQ(m.hdr.type, static_cast<std::uint32_t>(XS_READ));
    EXPECT_EQ(m.hdr.req_id, 42U);
    EXPECT_EQ(m.payload, "value");
    m = one(dom0, XS_TRANSACTION_START, "\0"s, 43);
    EXPECT_EQ(m.payload, "1\0"s);
    m = one(dom0, XS_WRITE, "/y\0in-tx"s, 44, 1);
    EXPECT_EQ(m.hdr.tx_id, 1U);
    m = one(dom0, XS_TRANSACTION_END, "T\0"s, 45, 1);
    EXPECT_EQ(m.payload, "OK\0"s);
    EXPECT_EQ(one(dom0, XS_READ, "/y\0"s).payload, "in-tx");
}

TEST_F(XsMessageTest, WriteValueMayContainNulsAndBeEmpty) {
    EXPECT_EQ(one(dom0, XS_WRITE, "/n\0a\0b"s).payload, "OK\0"s);
    EXPECT_EQ(one(dom0, XS_READ, "/n\0"s).payload, "a\0b"s);
    EXPECT_EQ(one(dom0, XS_WRITE, "/e\0"s).payload, "OK\0"s);
    EXPECT_EQ(one(dom0, XS_READ, "/e\0"s).payload, "");
}

TEST_F(XsMessageTest, MalformedPayloadsAreEinval) {
    expect_error(dom0, XS_READ, "/a", "EINVAL");        // no terminator
    expect_error(dom0, XS_READ, "/a\0/b\0"s, "EINVAL"); // two strings
    expect_error(dom0, XS_READ, "", "EINVAL");
    expect_error(dom0, XS_WRITE, "/novalue", "EINVAL");  // no NUL after the path
    expect_error(dom0, XS_WATCH, "/a\0"s, "EINVAL");     // token missing
    expect_error(dom0, XS_WATCH, "/a\0tok"s, "EINVAL");  // token not terminated
    expect_error(dom0, XS_SET_PERMS, "/a\0"s, "EINVAL"); // no perms
    expect_error(dom0, XS_SET_PERMS, "/a\0q0\0"s, "EINVAL");
    expect_error(dom0, XS_TRANSACTION_START, "x\0"s, "EINVAL");
    expect_error(dom0, XS_TRANSACTION_END, "X\0"s, "EINVAL", 0);
    expect_error(dom0, XS_GET_DOMAIN_PATH, "1x\0"s, "EINVAL");
    expect_error(dom0, XS_GET_DOMAIN_PATH, "70000\0"s, "EINVAL");
}

TEST_F(XsMessageTest, UnknownAndServerOnlyTypesAreEinval) {
    for (std::uint32_t t : {0U, 15U, 16U, 17U, 18U, 19U, 20U, 22U, 23U, 1000U, 0xffffffffU})
        expect_error(dom0, t, "/a\0"s, "EINVAL");
}

TEST_F(XsMessageTest, EngineErrorsTravelAsNames) {
    expect_error(dom0, XS_READ, "/missing\0"s, "ENOENT");
    expect_error(guest, XS_READ, "/local/domain/0/backend\0"s, "EACCES");
    expect_error(dom0, XS_READ, "/x\0"s, "ENOENT", 77); // unknown transaction
    expect_error(dom0, XS_TRANSACTION_END, "T\0"s, "ENOENT", 77);
    expect_error(dom0, XS_TRANSACTION_START, "\0"s, "EBUSY", 3); // nested
    expect_error(guest, XS_INTRODUCE,
                 "5\0"s
                 "0\0"s
                 "1\0"s,
                 "EACCES");
    expect_error(guest, XS_RELEASE, "1\0"s, "EACCES");
    expect_error(dom0, XS_UNWATCH, "/a\0t\0"s, "ENOENT");
    EXPECT_EQ(store.counters().errors, store.counters().requests);
}

TEST_F(XsMessageTest, WatchRepliesOkThenEventWithZeroIds) {
    const auto r = serve_stream(store, guest, frame(XS_WATCH, "data\0tok\0"s, 5));
    ASSERT_EQ(r.size(), 2U);
    EXPECT_EQ(r[0].payload, "OK\0"s);
    EXPECT_EQ(r[1].hdr.type, static_cast<std::uint32_t>(XS_WATCH_EVENT));
    EXPECT_EQ(r[1].hdr.req_id, 0U);
    EXPECT_EQ(r[1].hdr.tx_id, 0U);
    EXPECT_EQ(r[1].payload, "data\0tok\0"s);
}

TEST_F(XsMessageTest, DirectoryGetPermsAndDomainPath) {
    one(dom0, XS_WRITE, "/d/a\0"s);
    one(dom0, XS_WRITE, "/d/b\0"s);
    EXPECT_EQ(one(dom0, XS_DIRECTORY, "/d\0"s).payload, "a\0b\0"s);
    EXPECT_EQ(one(dom0, XS_SET_PERMS, "/d\0n0\0r1\0"s).payload, "OK\0"s);
    EXPECT_EQ(one(dom0, XS_GET_PERMS, "/d\0"s).payload, "n0\0r1\0"s);
    EXPECT_EQ(one(guest, XS_GET_DOMAIN_PATH, "1\0"s).payload, "/local/domain/1\0"s);
    EXPECT_EQ(one(dom0, XS_RESET_WATCHES, "").payload, "OK\0"s);
}

TEST_F(XsMessageTest, IntroduceAndReleaseFromDom0) {
    EXPECT_EQ(one(dom0, XS_INTRODUCE,
                  "4\0"s
                  "100\0"s
                  "3\0"s)
                  .payload,
              "OK\0"s);
    EXPECT_EQ(one(dom0, XS_READ, "/local/domain/4/domid\0"s).payload, "4");
    expect_error(dom0, XS_INTRODUCE,
                 "4\0"s
                 "100\0"s
                 "3\0"s,
                 "EEXIST");
    EXPECT_EQ(one(dom0, XS_RELEASE, "4\0"s).payload, "OK\0"s);
    expect_error(dom0, XS_READ, "/local/domain/4\0"s, "ENOENT");
}

TEST_F(XsMessageTest, OversizedDirectoryReplyIsE2big) {
    for (int i = 0; i < 300; ++i)
        one(dom0, XS_WRITE, "/big/child-with-a-long-name-" + std::to_string(i) + '\0');
    expect_error(dom0, XS_DIRECTORY, "/big\0"s, "E2BIG");
}

// XS_DIRECTORY_PART as xenstored's send_directory_part answers it, read the way
// libxenstore's xs_directory_part() reads it: "<generation>\0" then whole names from the
// offset; the last part ends in an extra NUL.
TEST_F(XsMessageTest, DirectoryPartListsABigDirectoryInParts) {
    std::string all;
    for (int i = 0; i < 300; ++i) {
        const std::string name = "child-with-a-long-name-" + std::to_string(i);
        one(dom0, XS_WRITE, "/big/" + name + '\0');
        all += name + '\0';
    }
    std::string got;
    std::string gen;
    int parts = 0;
    for (bool last = false; !last; ++parts) {
        const XsMessage m =
            one(dom0, kXsDirectoryPart, "/big\0"s + std::to_string(got.size()) + '\0');
        ASSERT_EQ(m.hdr.type, kXsDirectoryPart) << m.payload;
        ASSERT_LE(m.payload.size(), XENSTORE_PAYLOAD_MAX);
        const std::string g = m.payload.substr(0, m.payload.find('\0'));
        if (parts > 0) {
            EXPECT_EQ(g, gen);
        }
        gen = g;
        std::string names = m.payload.substr(g.size() + 1);
        last = names.size() >= 2 && names.ends_with("\0\0"s);
        if (last)
            names.pop_back();
        ASSERT_TRUE(names.ends_with('\0')); // whole names only
        got += names;
    }
    EXPECT_EQ(got, all);
    EXPECT_EQ(parts, 2); // 7990 bytes of names
    // Past the end: the generation and an empty list.
    EXPECT_EQ(one(dom0, kXsDirectoryPart, "/big\0"s + "99999\0"s).payload, gen + "\0\0"s);
    // A change of the directory changes the generation (the client then starts over).
    one(dom0, XS_WRITE, "/big/one-more\0"s);
    const std::string after = one(dom0, kXsDirectoryPart, "/big\0"s + "0\0"s).payload;
    EXPECT_NE(after.substr(0, after.find('\0')), gen);
    // A small directory comes whole, errors are the read's.
    one(dom0, XS_WRITE, "/small/a\0"s);
    const std::string small = one(dom0, kXsDirectoryPart, "/small\0"s + "0\0"s).payload;
    EXPECT_EQ(small.substr(small.find('\0') + 1), "a\0\0"s);
    expect_error(dom0, kXsDirectoryPart, "/nope\0"s + "0\0"s, "ENOENT");
    expect_error(guest, kXsDirectoryPart, "/big\0"s + "0\0"s, "EACCES");
    expect_error(dom0, kXsDirectoryPart, "/big\0"s + "x\0"s, "EINVAL");
    expect_error(dom0, kXsDirectoryPart, "/big\0"s, "EINVAL");
}

TEST_F(XsMessageTest, PipelinedRequestsAnsweredInOrder) {
    std::string s;
    for (std::uint32_t i = 1; i <= 50; ++i)
        s += frame(XS_WRITE, "/p/" + std::to_string(i) + '\0' + std::to_string(i), i);
    const auto r = serve_stream(store, dom0, s);
    ASSERT_EQ(r.size(), 50U);
    for (std::uint32_t i = 0; i < 50; ++i)
        EXPECT_EQ(r[i].hdr.req_id, i + 1);
}

} // namespace
} // namespace pvisor::store
