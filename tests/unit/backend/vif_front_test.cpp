// vif_front_test.cpp: the frontend's vif keys (bounded parse).
#include "vif_front.hpp"

#include "device_keys.hpp"

#include <gtest/gtest.h>
#include <map>
#include <pv/netif.h>

namespace pvisor::backend {
namespace {

struct Keys {
    std::map<std::string, std::string, std::less<>> kv{{"request-rx-copy", "1"},
                                                       {"tx-ring-ref", "8"},
                                                       {"rx-ring-ref", "9"},
                                                       {"event-channel", "5"}};
    [[nodiscard]] NetKeyReader reader() const {
        return [this](std::string_view k) -> std::optional<std::string> {
            const auto it = kv.find(k);
            return it == kv.end() ? std::nullopt : std::optional<std::string>(it->second);
        };
    }
};

TEST(VifFront, StoreNumbersAreStrictDecimal) {
    EXPECT_EQ(parse_decimal("0"), 0U);
    EXPECT_EQ(parse_decimal("4294967295"), 4294967295U);
    EXPECT_EQ(parse_decimal("4294967296"), std::nullopt);
    EXPECT_EQ(parse_decimal("99999999999"), std::nullopt);
    EXPECT_EQ(parse_decimal("12", 11), std::nullopt);
    for (const char* bad : {"", "-1", "+1", " 1", "1 ", "0x10", "1a", "1\n"})
        EXPECT_EQ(parse_decimal(bad), std::nullopt) << bad;
}

TEST(VifFront, SingleQueueAtTopLevel) {
    Keys k;
    k.kv["feature-sg"] = "1";
    auto f = read_vif_front(k.reader(), 1);
    ASSERT_TRUE(f.ok());
    ASSERT_EQ(f->queues.size(), 1U);
    EXPECT_EQ(f->queues[0].tx_ring_ref, 8U);
    EXPECT_EQ(f->queues[0].rx_ring_ref, 9U);
    EXPECT_EQ(f->queues[0].event_channel, 5U);
    EXPECT_TRUE(f->features.rx_copy);
    EXPECT_TRUE(f->features.sg);
}

TEST(VifFront, MultiQueueUnderQueueDirs) {
    Keys k;
    k.kv = {{"request-rx-copy", "1"}, {"multi-queue-num-queues", "2"}};
    for (int i = 0; i < 2; ++i) {
        const std::string p = "queue-" + std::to_string(i) + "/";
        k.kv[p + "tx-ring-ref"] = std::to_string(20 + i);
        k.kv[p + "rx-ring-ref"] = std::to_string(30 + i);
        k.kv[p + "event-channel"] = std::to_string(40 + i);
    }
    auto f = read_vif_front(k.reader(), 4);
    ASSERT_TRUE(f.ok());
    ASSERT_EQ(f->queues.size(), 2U);
    EXPECT_EQ(f->queues[1].tx_ring_ref, 21U);
    EXPECT_EQ(f->queues[1].rx_ring_ref, 31U);
    EXPECT_EQ(f->queues[1].event_channel, 41U);
    // More queues than offered is refused.
    EXPECT_EQ(read_vif_front(k.reader(), 1).error(), Errc::invalid_argument);
}

struct BadKey {
    const char* key;
    const char* value; // nullptr: the key is removed
    const char* why;   // a word the reason must contain
};

class VifFrontBad : public ::testing::TestWithParam<BadKey> {};

TEST_P(VifFrontBad, RefusedWithAReason) {
    Keys k;
    if (GetParam().value == nullptr)
        k.kv.erase(GetParam().key);
    else
        k.kv[GetParam().key] = GetParam().value;
    std::string why;
    auto f = read_vif_front(k.reader(), 2, &why);
    ASSERT_FALSE(f.ok());
    EXPECT_EQ(f.error(), Errc::invalid_argument);
    EXPECT_NE(why.find(GetParam().why), std::string::npos) << why;
}

INSTANTIATE_TEST_SUITE_P(
    Keys, VifFrontBad,
    ::testing::Values(BadKey{"request-rx-copy", nullptr, "request-rx-copy"},
                      BadKey{"request-rx-copy", "0", "request-rx-copy"},
                      BadKey{"tx-ring-ref", nullptr, "tx-ring-ref missing"},
                      BadKey{"tx-ring-ref", "12abc", "tx-ring-ref"},
                      BadKey{"tx-ring-ref", "7", "tx-ring-ref"}, // reserved ref
                      BadKey{"rx-ring-ref", "-1", "rx-ring-ref"},
                      BadKey{"event-channel", "0", "event-channel"},
                      BadKey{"event-channel", "4096", "event-channel"},
                      BadKey{"event-channel", "", "event-channel"},
                      BadKey{"multi-queue-num-queues", "0", "multi-queue-num-queues"},
                      BadKey{"multi-queue-num-queues", "3", "multi-queue-num-queues"},
                      BadKey{"multi-queue-num-queues", "2", "queue-0/tx-ring-ref missing"}));

TEST(VifFront, OnePortForTwoQueuesIsRefused) {
    Keys k;
    k.kv = {{"request-rx-copy", "1"}, {"multi-queue-num-queues", "2"}};
    for (int i = 0; i < 2; ++i) {
        const std::string p = "queue-" + std::to_string(i) + "/";
        k.kv[p + "tx-ring-ref"] = "10";
        k.kv[p + "rx-ring-ref"] = "11";
        k.kv[p + "event-channel"] = "6";
    }
    std::string why;
    EXPECT_EQ(read_vif_front(k.reader(), 2, &why).error(), Errc::invalid_argument);
    EXPECT_NE(why.find("two queues"), std::string::npos) << why;
}

} // namespace
} // namespace pvisor::backend
