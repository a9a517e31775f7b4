// net_features_test.cpp: the netif keys: the frontend's features and the backend's offer.
#include "net_features.hpp"

#include <gtest/gtest.h>
#include <map>
#include <string>

namespace pvisor::backend {
namespace {

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
