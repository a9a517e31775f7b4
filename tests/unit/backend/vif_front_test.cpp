// vif_front_test.cpp: the frontend's vif keys (bounded parse) and pvisor-netback's options.
#include "netback_options.hpp"
#include "vif_front.hpp"

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
    EXPECT_EQ(parse_store_u32("0"), 0U);
    EXPECT_EQ(parse_store_u32("4294967295"), 4294967295U);
    EXPECT_EQ(parse_store_u32("4294967296"), std::nullopt);
    EXPECT_EQ(parse_store_u32("99999999999"), std::nullopt);
    EXPECT_EQ(parse_store_u32("12", 11), std::nullopt);
    for (const char* bad : {"", "-1", "+1", " 1", "1 ", "0x10", "1a", "1\n"})
        EXPECT_EQ(parse_store_u32(bad), std::nullopt) << bad;
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

Result<NetbackOptions> parse(std::vector<std::string_view> args, std::string* why = nullptr) {
    return parse_netback_options(args, why);
}

TEST(NetbackOptions, ControlAndNets) {
    auto o = parse({"--net", "tap=t0,queues=2", "--control", "/run/g.ctl", "--net",
                    "tap=t1,bridge=br0,mac=02:00:00:00:00:01"});
    ASSERT_TRUE(o.ok());
    EXPECT_EQ(o->control, "/run/g.ctl");
    ASSERT_EQ(o->nets.size(), 2U);
    EXPECT_EQ(o->nets[0].tap, "t0");
    EXPECT_EQ(o->nets[0].queues, 2U);
    EXPECT_EQ(o->nets[1].bridge, "br0");
    EXPECT_EQ(format_mac(*o->nets[1].mac), "02:00:00:00:00:01");
}

TEST(NetbackOptions, Refusals) {
    std::string why;
    EXPECT_EQ(parse({"--net", "tap=t0"}, &why).error(), Errc::invalid_argument);
    EXPECT_EQ(why, "--control PATH is required");
    EXPECT_FALSE(parse({"--control", "c"}, &why).ok());
    EXPECT_EQ(why, "at least one --net is required");
    EXPECT_FALSE(parse({"--control", "c", "--net", "tap=t0", "--net", "tap=t0"}, &why).ok());
    EXPECT_EQ(why, "--net tap=t0 given twice");
    EXPECT_FALSE(parse({"--control", "c", "--control", "d", "--net", "tap=t0"}, &why).ok());
    EXPECT_EQ(why, "--control given twice");
    EXPECT_FALSE(parse({"--control", "c", "--net"}, &why).ok());
    EXPECT_EQ(why, "--net needs a value");
    EXPECT_FALSE(parse({"--control", "c", "--disk", "x"}, &why).ok());
    EXPECT_EQ(why, "unknown argument '--disk'");
    EXPECT_FALSE(parse({"--control", "c", "--net", "tap=t0,queues=9"}, &why).ok());
    std::vector<std::string> many;
    std::vector<std::string_view> args{"--control", "c"};
    for (int i = 0; i < 9; ++i)
        many.push_back("tap=t" + std::to_string(i));
    for (const auto& m : many) {
        args.push_back("--net");
        args.push_back(m);
    }
    EXPECT_FALSE(parse(args, &why).ok());
    EXPECT_EQ(why, "too many --net (at most 8)");
}

} // namespace
} // namespace pvisor::backend
