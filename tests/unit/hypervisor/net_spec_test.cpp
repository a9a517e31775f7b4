// net_option_test.cpp: --net tap=NAME[,mac=..][,bridge=BR][,queues=N] parsing, and the keys.
#include "net_features.hpp"
#include "net_option.hpp"

#include <gtest/gtest.h>
#include <map>
#include <string>

namespace pvisor::backend {
namespace {

TEST(NetOption, TapAlone) {
    auto c = parse_net_option("tap=pvtap0");
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(c->tap, "pvtap0");
    EXPECT_FALSE(c->mac.has_value());
    EXPECT_TRUE(c->bridge.empty());
    EXPECT_EQ(c->queues, 1U);
}

TEST(NetOption, AllOptionsAnyOrder) {
    auto c = parse_net_option("tap=vif1.0,queues=4,bridge=br0,mac=52:54:00:AB:cd:0f");
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(c->tap, "vif1.0");
    EXPECT_EQ(c->queues, 4U);
    EXPECT_EQ(c->bridge, "br0");
    ASSERT_TRUE(c->mac.has_value());
    EXPECT_EQ(format_mac(*c->mac), "52:54:00:ab:cd:0f");
    auto d = parse_net_option("tap=t,mac=02:00:00:00:00:01,queues=8");
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(d->queues, 8U);
}

TEST(NetOption, MalformedIsRefusedWithAMessage) {
    for (const char* bad : {"",
                            "pvtap0",
                            "tap=",
                            "tap=a/b",
                            "tap=a:b",
                            "tap=a b",
                            "tap=.",
                            "tap=..",
                            "tap=sixteen-chars-xx",
                            "mac=02:00:00:00:00:01,tap=t",
                            "tap=t,",
                            "tap=t,,queues=2",
                            "tap=t,queues=0",
                            "tap=t,queues=9",
                            "tap=t,queues=+1",
                            "tap=t,queues=1x",
                            "tap=t,queues",
                            "tap=t,queues=1,queues=2",
                            "tap=t,mac=01:00:5e:00:00:01",
                            "tap=t,mac=00:00:00:00:00:00",
                            "tap=t,mac=02:00:00:00:00",
                            "tap=t,mac=02-00-00-00-00-01",
                            "tap=t,mac=02:00:00:00:00:0g",
                            "tap=t,mac=02:00:00:00:00:011",
                            "tap=t,bridge=",
                            "tap=t,bridge=br/0",
                            "tap=t,bridge=a,bridge=b",
                            "tap=t,tap=u",
                            "tap=t,Queues=2",
                            "tap=t,ro"}) {
        std::string why;
        auto c = parse_net_option(bad, &why);
        EXPECT_FALSE(c.ok()) << bad;
        EXPECT_EQ(c.error(), Errc::invalid_argument) << bad;
        EXPECT_FALSE(why.empty()) << bad;
    }
}

TEST(NetOption, DefaultGuestMacIsLocalUnicastAndStable) {
    const MacAddress m = default_guest_mac(0x0102, 3);
    EXPECT_EQ(format_mac(m), "02:50:56:01:02:03");
    EXPECT_EQ(m[0] & 1U, 0U); // unicast
    EXPECT_NE(m[0] & 2U, 0U); // locally administered
    EXPECT_TRUE(parse_net_option("tap=t,mac=" + format_mac(m)).ok());
}

TEST(NetFeatures, FrontendKeysWithDefaultsAndGsoNeedsSg) {
    std::map<std::string, std::string> keys = {
        {"request-rx-copy", "1"}, {"feature-gso-tcpv4", "1"}, {"feature-no-csum-offload", "1"}};
    auto read = [&keys](std::string_view k) -> std::optional<std::string> {
        auto it = keys.find(std::string(k));
        return it == keys.end() ? std::nullopt : std::optional<std::string>(it->second);
    };
    NetFrontFeatures f = read_front_features(read);
    EXPECT_TRUE(f.rx_copy);
    EXPECT_FALSE(f.sg);
    EXPECT_FALSE(f.gso_tcpv4); // without feature-sg
    EXPECT_FALSE(f.csum);
    NetOffloads o = rx_offloads(f);
    EXPECT_FALSE(o.csum);
    EXPECT_FALSE(o.tso4);
    keys["feature-sg"] = "1";
    keys["feature-no-csum-offload"] = "yes"; // not 0/1: the default (offload on)
    f = read_front_features(read);
    EXPECT_TRUE(f.gso_tcpv4);
    EXPECT_TRUE(f.csum);
    o = rx_offloads(f);
    EXPECT_TRUE(o.csum && o.tso4);
    EXPECT_FALSE(o.tso6);
}

TEST(NetFeatures, BackendKeys) {
    const auto keys = net_backend_keys({0x02, 0, 0, 0, 0, 7}, NetOffer{}, 4);
    std::map<std::string, std::string> m(keys.begin(), keys.end());
    EXPECT_EQ(m["mac"], "02:00:00:00:00:07");
    EXPECT_EQ(m["feature-rx-copy"], "1");
    EXPECT_EQ(m["feature-sg"], "1");
    EXPECT_EQ(m["feature-gso-tcpv6"], "1");
    EXPECT_EQ(m["feature-split-event-channels"], "0");
    EXPECT_EQ(m["multi-queue-max-queues"], "4");
}

} // namespace
} // namespace pvisor::backend
