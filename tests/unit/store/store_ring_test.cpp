// store_ring_test.cpp: the guest ring transport with a well-behaved and a hostile guest model.
#include "store_protocol.hpp"
#include "store_ring.hpp"

#include <cstring>
#include <gtest/gtest.h>

namespace pvisor::store {
namespace {

using namespace std::string_literals;

std::string frame(std::uint32_t type, std::string_view payload, std::uint32_t req_id = 1) {
    std::string out;
    append_message(out, type, req_id, 0, payload);
    return out;
}

// The guest's side of the page, as a frontend would drive it (single-threaded here).
class GuestModel {
  public:
    explicit GuestModel(xenstore_domain_interface* i) : m_i(i) {}
    [[nodiscard]] std::uint32_t space() const {
        return XENSTORE_RING_SIZE - (m_i->req_prod - m_i->req_cons);
    }
    // Writes as much of `bytes` as fits; returns how much.
    std::size_t send(std::string_view bytes) {
        const std::uint32_t space = XENSTORE_RING_SIZE - (m_i->req_prod - m_i->req_cons);
        const auto n = static_cast<std::uint32_t>(std::min<std::size_t>(space, bytes.size()));
        for (std::uint32_t k = 0; k < n; ++k)
            m_i->req[MASK_XENSTORE_IDX(m_i->req_prod + k)] = bytes[k];
        m_i->req_prod += n;
        return n;
    }
    std::string receive_all() {
        std::string out;
        while (m_i->rsp_cons != m_i->rsp_prod)
            out += m_i->rsp[MASK_XENSTORE_IDX(m_i->rsp_cons++)];
        return out;
    }
    // Splits a received byte stream into messages.
    static std::vector<XsMessage> parse(const std::string& s) {
        std::vector<XsMessage> out;
        MessageReader r;
        auto rest = std::as_bytes(std::span(s));
        while (!rest.empty()) {
            rest = rest.subspan(r.feed(rest));
            if (!r.has_message())
                break;
            out.push_back(r.take());
        }
        return out;
    }

  private:
    xenstore_domain_interface* m_i;
};

class StoreRingTest : public ::testing::Test {
  protected:
    void SetUp() override {
        std::memset(page, 0xAB, sizeof page); // the ring must initialise what it needs
        ASSERT_TRUE(store.introduce_domain(1, "g").ok());
        auto r = StoreRing::create(std::as_writable_bytes(std::span(page)), store, 1, 7,
                                   [this] { ++notifications; });
        ASSERT_TRUE(r.ok());
        ring = std::move(*r);
        iface = reinterpret_cast<xenstore_domain_interface*>(page);
    }
    alignas(4096) unsigned char page[4096];
    Store store;
    std::unique_ptr<StoreRing> ring;
    xenstore_domain_interface* iface = nullptr;
    int notifications = 0;
};

TEST_F(StoreRingTest, CreateInitialisesThePage) {
    EXPECT_EQ(iface->req_prod, 0U);
    EXPECT_EQ(iface->rsp_cons, 0U);
    EXPECT_EQ(iface->server_features,
              XENSTORE_SERVER_FEATURE_RECONNECTION | XENSTORE_SERVER_FEATURE_ERROR);
    EXPECT_EQ(iface->connection, XENSTORE_CONNECTED);
    EXPECT_EQ(iface->error, XENSTORE_ERROR_NONE);
    EXPECT_EQ(iface->evtchn_port, 7U);
    unsigned char small[2048];
    EXPECT_FALSE(
        StoreRing::create(std::as_writable_bytes(std::span(small)), store, 1, 7, [] {}).ok());
}

TEST_F(StoreRingTest, RequestAndReplyThroughTheRing) {
    GuestModel g(iface);
    g.send(frame(XS_WRITE, "data/k\0hello"s, 10) + frame(XS_READ, "data/k\0"s, 11));
    EXPECT_FALSE(ring->process());
    EXPECT_EQ(iface->req_cons, iface->req_prod);
    const auto replies = GuestModel::parse(g.receive_all());
    ASSERT_EQ(replies.size(), 2U);
    EXPECT_EQ(replies[0].payload, "OK\0"s);
    EXPECT_EQ(replies[1].hdr.req_id, 11U);
    EXPECT_EQ(replies[1].payload, "hello");
    EXPECT_EQ(notifications, 1);
    EXPECT_EQ(ring->counters().messages, 2U);
}

TEST_F(StoreRingTest, MessageSplitAcrossNotificationsAndWrap) {
    GuestModel g(iface);
    // Fill and drain to move the indices close to the wrap point.
    const std::string filler = frame(XS_WRITE, "data/f\0"s + std::string(980, 'x'));
    ASSERT_EQ(g.send(filler), filler.size());
    ring->process();
    g.receive_all();
    const std::string msg = frame(XS_WRITE, "data/w\0"s + std::string(300, 'y'), 3);
    g.send(msg.substr(0, 10));
    ring->process();
    EXPECT_TRUE(g.receive_all().empty());
    g.send(msg.substr(10));
    ring->process();
    const auto replies = GuestModel::parse(g.receive_all());
    ASSERT_EQ(replies.size(), 1U);
    EXPECT_EQ(replies[0].hdr.req_id, 3U);
    EXPECT_EQ(*store.read(store.connect(0), 0, "/local/domain/1/data/w"), std::string(300, 'y'));
}

TEST_F(StoreRingTest, HostWriteFiresGuestWatch) {
    GuestModel g(iface);
    g.send(frame(XS_WATCH, "device\0dev\0"s));
    ring->process();
    EXPECT_EQ(GuestModel::parse(g.receive_all()).size(), 2U); // OK + initial event
    const ConnId host = store.connect(0);
    ASSERT_TRUE(store.write(host, 0, "/local/domain/1/device/vif/0/state", "2").ok());
    ring->process();
    const auto ev = GuestModel::parse(g.receive_all());
    ASSERT_EQ(ev.size(), 1U);
    EXPECT_EQ(ev[0].hdr.type, static_cast<std::uint32_t>(XS_WATCH_EVENT));
    EXPECT_EQ(ev[0].payload, "device/vif/0/state\0dev\0"s);
}

TEST_F(StoreRingTest, ProducerIndexPastTheRingBreaksItAndIsCounted) {
    iface->req_prod = XENSTORE_RING_SIZE + 1;
    ring->process();
    EXPECT_TRUE(ring->broken());
    EXPECT_EQ(iface->error, XENSTORE_ERROR_RINGIDX);
    EXPECT_EQ(ring->counters().broken, 1U);
    // Not served any more: nothing consumed, counted once.
    iface->req_prod = 16;
    ring->process();
    EXPECT_EQ(iface->req_cons, 0U);
    EXPECT_EQ(ring->counters().broken, 1U);
}

TEST_F(StoreRingTest, ConsumerIndexPastTheRingBreaksIt) {
    GuestModel g(iface);
    g.send(frame(XS_READ, "domid\0"s));
    iface->rsp_cons = 0x80000000U;
    ring->process();
    EXPECT_TRUE(ring->broken());
    EXPECT_EQ(iface->error, XENSTORE_ERROR_RINGIDX);
}

TEST_F(StoreRingTest, OversizedMessageBreaksItWithProtoError) {
    xsd_sockmsg hdr{XS_WRITE, 1, 0, 5000};
    GuestModel g(iface);
    g.send(std::string(reinterpret_cast<const char*>(&hdr), sizeof hdr));
    ring->process();
    EXPECT_TRUE(ring->broken());
    EXPECT_EQ(iface->error, XENSTORE_ERROR_PROTO);
}

TEST_F(StoreRingTest, ReconnectRestoresServiceAndDropsWatches) {
    GuestModel g(iface);
    g.send(frame(XS_WATCH, "data\0t\0"s));
    ring->process();
    g.receive_all();
    iface->req_prod = 0xdeadbeef;
    ring->process();
    ASSERT_TRUE(ring->broken());
    iface->connection = XENSTORE_RECONNECT;
    ring->process();
    EXPECT_FALSE(ring->broken());
    EXPECT_EQ(iface->connection, XENSTORE_CONNECTED);
    EXPECT_EQ(iface->error, XENSTORE_ERROR_NONE);
    EXPECT_EQ(iface->req_prod, 0U);
    EXPECT_EQ(ring->counters().resets, 1U);
    ASSERT_TRUE(store.write(store.connect(0), 0, "/local/domain/1/data/x", "1").ok());
    g.send(frame(XS_READ, "data/x\0"s, 9));
    ring->process();
    const auto r = GuestModel::parse(g.receive_all());
    ASSERT_EQ(r.size(), 1U); // the reply only: the watch is gone
    EXPECT_EQ(r[0].payload, "1");
}

TEST_F(StoreRingTest, GuestThatDoesNotReadGetsBackpressureNotLoss) {
    GuestModel g(iface);
    ASSERT_TRUE(
        store.write(store.connect(0), 0, "/local/domain/1/data/v", std::string(900, 'v')).ok());
    std::string all;
    std::size_t sent_msgs = 0;
    // The guest fills its request ring every round but reads replies only now and then: the
    // server stops consuming requests once 64 KiB of replies wait, and loses none.
    for (int round = 0; round < 12; ++round) {
        for (;;) {
            const auto id = static_cast<std::uint32_t>(sent_msgs + 1);
            const std::string f = frame(XS_READ, "data/v\0"s, id);
            if (g.space() < f.size())
                break;
            g.send(f);
            ++sent_msgs;
        }
        ring->process();
        if (round % 4 == 3)
            all += g.receive_all();
    }
    EXPECT_NE(iface->req_cons, iface->req_prod); // backpressure reached the request ring
    for (int i = 0; i < 1000; ++i) {
        all += g.receive_all();
        ring->process();
    }
    const auto r = GuestModel::parse(all);
    ASSERT_EQ(r.size(), sent_msgs);
    for (std::size_t i = 0; i < r.size(); ++i)
        ASSERT_EQ(r[i].hdr.req_id, i + 1);
    EXPECT_FALSE(ring->broken());
}

TEST_F(StoreRingTest, RandomGarbageNeverCrashes) {
    GuestModel g(iface);
    std::uint32_t x = 12345;
    for (int round = 0; round < 200; ++round) {
        std::string junk(64, '\0');
        for (auto& c : junk) {
            x = x * 1103515245U + 12345U;
            c = static_cast<char>(x >> 24);
        }
        g.send(junk);
        ring->process();
        g.receive_all();
        if (ring->broken())
            iface->connection = XENSTORE_RECONNECT;
    }
    EXPECT_GE(ring->counters().broken, 1U);
}

} // namespace
} // namespace pvisor::store
