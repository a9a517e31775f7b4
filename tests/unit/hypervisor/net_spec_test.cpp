// net_spec_test.cpp: --net tap=NAME[,mac=..][,bridge=BR][,queues=N] parsing and the default MAC.
#include "devices/net_spec.hpp"

#include <gtest/gtest.h>
#include <string>

namespace pvisor {
namespace {

TEST(NetSpec, TapAlone) {
    auto c = parse_net_spec("tap=pvtap0");
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(c->tap, "pvtap0");
    EXPECT_FALSE(c->mac.has_value());
    EXPECT_TRUE(c->bridge.empty());
    EXPECT_EQ(c->queues, 1U);
}

TEST(NetSpec, AllOptionsAnyOrder) {
    auto c = parse_net_spec("tap=vif1.0,queues=4,bridge=br0,mac=52:54:00:AB:cd:0f");
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(c->tap, "vif1.0");
    EXPECT_EQ(c->queues, 4U);
    EXPECT_EQ(c->bridge, "br0");
    ASSERT_TRUE(c->mac.has_value());
    EXPECT_EQ(format_mac(*c->mac), "52:54:00:ab:cd:0f");
    auto d = parse_net_spec("tap=t,mac=02:00:00:00:00:01,queues=8");
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(d->queues, 8U);
}

TEST(NetSpec, MalformedIsRefusedWithAMessage) {
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
        auto c = parse_net_spec(bad, &why);
        EXPECT_FALSE(c.ok()) << bad;
        EXPECT_EQ(c.error(), Errc::invalid_argument) << bad;
        EXPECT_FALSE(why.empty()) << bad;
    }
}

TEST(NetSpec, DefaultGuestMacIsLocalUnicastAndStable) {
    const MacAddress m = default_guest_mac(0x0102, 3);
    EXPECT_EQ(format_mac(m), "02:50:56:01:02:03");
    EXPECT_EQ(m[0] & 1U, 0U); // unicast
    EXPECT_NE(m[0] & 2U, 0U); // locally administered
    EXPECT_TRUE(parse_net_spec("tap=t,mac=" + format_mac(m)).ok());
}

} // namespace
} // namespace pvisor
