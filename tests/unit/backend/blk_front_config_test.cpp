// blk_front_config_test.cpp: the frontend's vbd keys as pvisor-blkback parses them (untrusted).
#include "blk_front_config.hpp"

#include "device_keys.hpp"

#include <gtest/gtest.h>
#include <map>

namespace pvisor::backend {
namespace {

using Keys = std::map<std::string, std::string>;

Result<BlkFrontConfig> parse(const Keys& keys, std::uint32_t max_queues, std::string* why) {
    return parse_blk_front_config(
        [&keys](const std::string& k) -> std::optional<std::string> {
            auto it = keys.find(k);
            if (it == keys.end())
                return std::nullopt;
            return it->second;
        },
        max_queues, why);
}

TEST(BlkFrontConfig, OneQueueOnePageTopLevelKeys) {
    std::string why;
    auto c =
        parse({{"ring-ref", "8"}, {"event-channel", "5"}, {"protocol", "x86_64-abi"}}, 4, &why);
    ASSERT_TRUE(c.ok()) << why;
    ASSERT_EQ(c->queues.size(), 1U);
    EXPECT_EQ(c->queues[0].ring_refs, std::vector<pv_grant_ref>{8});
    EXPECT_EQ(c->queues[0].evtchn, 5U);
    EXPECT_EQ(c->ring_order, 0U);
    EXPECT_FALSE(c->persistent);
}

TEST(BlkFrontConfig, MultiQueueMultiPagePersistent) {
    Keys k{{"multi-queue-num-queues", "2"},     {"ring-page-order", "1"},
           {"feature-persistent", "1"},         {"queue-0/ring-ref0", "10"},
           {"queue-0/ring-ref1", "11"},         {"queue-0/event-channel", "7"},
           {"queue-1/ring-ref0", "4294967295"}, {"queue-1/ring-ref1", "13"},
           {"queue-1/event-channel", "8"}};
    std::string why;
    auto c = parse(k, 2, &why);
    ASSERT_TRUE(c.ok()) << why;
    ASSERT_EQ(c->queues.size(), 2U);
    EXPECT_EQ(c->queues[0].ring_refs, (std::vector<pv_grant_ref>{10, 11}));
    EXPECT_EQ(c->queues[1].ring_refs, (std::vector<pv_grant_ref>{4294967295U, 13}));
    EXPECT_EQ(c->queues[1].evtchn, 8U);
    EXPECT_EQ(c->ring_order, 1U);
    EXPECT_TRUE(c->persistent);
}

TEST(BlkFrontConfig, HostileValuesAreRefusedWithAReason) {
    const Keys good{{"ring-ref", "8"}, {"event-channel", "5"}};
    struct Case {
        std::string key, value, why;
    };
    const std::vector<Case> cases = {
        {"ring-ref", "-1", "ring-ref: not a number in 0..4294967295"},
        {"ring-ref", "4294967296", "ring-ref: not a number in 0..4294967295"},
        {"ring-ref", "0x10", "ring-ref: not a number in 0..4294967295"},
        {"ring-ref", "", "ring-ref: not a number in 0..4294967295"},
        {"ring-ref", " 8", "ring-ref: not a number in 0..4294967295"},
        {"ring-ref", "00000000008", "ring-ref: not a number in 0..4294967295"},
        {"event-channel", "0", "event-channel: port 0 is never valid"},
        {"protocol", "x86_32-abi", "protocol: only x86_64-abi is served"},
        {"multi-queue-num-queues", "5", "multi-queue-num-queues: not a number in 0..4"},
        {"multi-queue-num-queues", "0", "multi-queue-num-queues: 0 queues"},
        {"ring-page-order", "5", "ring-page-order: not a number in 0..4"},
        {"feature-persistent", "2", "feature-persistent: not a number in 0..1"},
    };
    for (const Case& c : cases) {
        Keys k = good;
        k[c.key] = c.value;
        std::string why;
        auto r = parse(k, 4, &why);
        EXPECT_EQ(r.ok() ? Errc::ok : r.error(), Errc::invalid_argument) << c.key << "=" << c.value;
        EXPECT_EQ(why, c.why);
    }
}

TEST(BlkFrontConfig, MissingKeysAndSharedPortsAreRefused) {
    std::string why;
    EXPECT_FALSE(parse({{"event-channel", "5"}}, 1, &why).ok());
    EXPECT_EQ(why, "ring-ref: missing");
    EXPECT_FALSE(parse({{"ring-ref", "8"}}, 1, &why).ok());
    EXPECT_EQ(why, "event-channel: missing");
    // Order 2 needs ring-ref0..3; the single-page key does not count.
    EXPECT_FALSE(parse({{"ring-page-order", "2"},
                        {"ring-ref", "8"},
                        {"ring-ref0", "8"},
                        {"ring-ref1", "9"},
                        {"ring-ref2", "10"},
                        {"event-channel", "5"}},
                       1, &why)
                     .ok());
    EXPECT_EQ(why, "ring-ref3: missing");
    // Several queues: top-level keys do not stand in for queue-<i>/.
    EXPECT_FALSE(
        parse({{"multi-queue-num-queues", "2"}, {"ring-ref", "8"}, {"event-channel", "5"}}, 2, &why)
            .ok());
    EXPECT_EQ(why, "queue-0/ring-ref: missing");
    EXPECT_FALSE(parse({{"multi-queue-num-queues", "2"},
                        {"queue-0/ring-ref", "8"},
                        {"queue-0/event-channel", "5"},
                        {"queue-1/ring-ref", "9"},
                        {"queue-1/event-channel", "5"}},
                       2, &why)
                     .ok());
    EXPECT_EQ(why, "queue-1/event-channel: port 5 used by another queue");
}

TEST(BlkFrontConfig, StoreUintBounds) {
    EXPECT_EQ(parse_decimal("0", 0), 0U);
    EXPECT_EQ(parse_decimal("4294967295", UINT32_MAX), UINT32_MAX);
    EXPECT_EQ(parse_decimal("9999999999", UINT32_MAX), std::nullopt);
    EXPECT_EQ(parse_decimal("7", 6), std::nullopt);
    EXPECT_EQ(parse_decimal("+7", 9), std::nullopt);
}

} // namespace
} // namespace pvisor::backend
