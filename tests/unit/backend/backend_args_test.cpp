// backend_args_test.cpp: the backends' command line (--store --domid --control --metrics) and the
// configuration nodes they read from a device's backend directory.
#include "backend_args.hpp"
#include "blk_config.hpp"
#include "vif_config.hpp"

#include <gtest/gtest.h>
#include <map>
#include <string>
#include <vector>

namespace pvisor::backend {
namespace {

Result<BackendArgs> parse(std::vector<std::string_view> args, std::string* why = nullptr) {
    return parse_backend_args(args, why);
}

TEST(BackendArgs, StoreDomidControlInAnyOrder) {
    auto o = parse({"--control", "/run/d/guest.ctl", "--domid", "7", "--store", "/run/x.sock"});
    ASSERT_TRUE(o.ok());
    EXPECT_EQ(o->store, "/run/x.sock");
    EXPECT_EQ(o->domid, 7);
    EXPECT_EQ(o->control, "/run/d/guest.ctl");
    auto max = parse({"--store", "s", "--domid", "32751", "--control", "c"});
    ASSERT_TRUE(max.ok());
    EXPECT_EQ(max->domid, 32751);
    EXPECT_EQ(max->metrics, "");
    auto m = parse({"--store", "s", "--domid", "2", "--control", "c", "--metrics", "/run/m"});
    ASSERT_TRUE(m.ok());
    EXPECT_EQ(m->metrics, "/run/m");
    EXPECT_TRUE(m->sandbox);
    auto off = parse({"--no-sandbox", "--store", "s", "--domid", "2", "--control", "c"});
    ASSERT_TRUE(off.ok());
    EXPECT_FALSE(off->sandbox);
}

TEST(BackendArgs, RefusalsSayWhy) {
    const std::vector<std::pair<std::vector<std::string_view>, std::string>> cases = {
        {{}, "--store SOCKET is required"},
        {{"--store", "s", "--control", "c"}, "--domid N is required"},
        {{"--store", "s", "--domid", "1"}, "--control SOCKET is required"},
        {{"--domid", "1", "--control", "c"}, "--store SOCKET is required"},
        {{"--store", "s", "--store", "t", "--domid", "1", "--control", "c"}, "--store given twice"},
        {{"--store", "s", "--domid", "1", "--domid", "2", "--control", "c"}, "--domid given twice"},
        {{"--store", "s", "--domid", "1", "--control", "c", "--control", "d"},
         "--control given twice"},
        {{"--store", "s", "--domid", "0", "--control", "c"},
         "--domid '0': not a domain id (1..32751)"},
        {{"--store", "s", "--domid", "32752", "--control", "c"},
         "--domid '32752': not a domain id (1..32751)"},
        {{"--store", "s", "--domid", "+1", "--control", "c"},
         "--domid '+1': not a domain id (1..32751)"},
        {{"--store", "s", "--domid"}, "--domid needs a value"},
        {{"--store", "", "--domid", "1", "--control", "c"}, "--store needs a value"},
        {{"--store", "s", "--domid", "1", "--control", "c", "--metrics"},
         "--metrics needs a value"},
        {{"--store", "s", "--domid", "1", "--control", "c", "--metrics", "a", "--metrics", "b"},
         "--metrics given twice"},
        {{"--no-sandbox", "--no-sandbox", "--store", "s", "--domid", "1", "--control", "c"},
         "--no-sandbox given twice"},
        // The device specs of old: the configuration is the store's now.
        {{"--store", "s", "--domid", "1", "--control", "c", "--disk", "a.img"},
         "unknown argument '--disk'"},
        {{"--control", "c", "--net", "tap=t0"}, "unknown argument '--net'"},
    };
    for (const auto& [args, want] : cases) {
        std::string why;
        auto o = parse(args, &why);
        ASSERT_FALSE(o.ok()) << want;
        EXPECT_EQ(o.error(), Errc::invalid_argument) << want;
        EXPECT_EQ(why, want);
    }
}

// A backend directory as a map.
struct Nodes {
    std::map<std::string, std::string> kv;
    KeyReader reader() const {
        return [this](std::string_view k) -> std::optional<std::string> {
            auto it = kv.find(std::string(k));
            return it == kv.end() ? std::nullopt : std::optional<std::string>(it->second);
        };
    }
};

TEST(BlkConfig, ReadsParamsModeAndTuning) {
    Nodes n{{{"params", "/img/a.img"}, {"mode", "r"}}};
    std::string why;
    auto c = read_blk_config(n.reader(), why);
    ASSERT_TRUE(c.ok()) << why;
    EXPECT_EQ(c->path, "/img/a.img");
    EXPECT_TRUE(c->read_only);
    EXPECT_EQ(c->queues, kBlkDefaultQueues);
    EXPECT_FALSE(c->direct);
    n.kv["mode"] = "w";
    n.kv["queues"] = "16";
    n.kv["direct-io"] = "1";
    c = read_blk_config(n.reader(), why);
    ASSERT_TRUE(c.ok()) << why;
    EXPECT_FALSE(c->read_only);
    EXPECT_EQ(c->queues, 16U);
    EXPECT_TRUE(c->direct);
}

TEST(BlkConfig, EachBadNodeHasItsMessage) {
    const std::vector<std::pair<std::map<std::string, std::string>, std::string>> cases = {
        {{{"mode", "w"}}, "params: missing"},
        {{{"params", ""}, {"mode", "w"}}, "params: empty"},
        {{{"params", "a"}}, "mode: missing"},
        {{{"params", "a"}, {"mode", "rw"}}, "mode: 'rw' is not r or w"},
        {{{"params", "a"}, {"mode", "w"}, {"queues", "0"}}, "queues: '0' is not a number in 1..16"},
        {{{"params", "a"}, {"mode", "w"}, {"queues", "17"}},
         "queues: '17' is not a number in 1..16"},
        {{{"params", "a"}, {"mode", "w"}, {"direct-io", "on"}}, "direct-io: 'on' is not 0 or 1"},
    };
    for (const auto& [kv, want] : cases) {
        Nodes n{kv};
        std::string why;
        auto c = read_blk_config(n.reader(), why);
        ASSERT_FALSE(c.ok()) << want;
        EXPECT_EQ(c.error(), Errc::invalid_argument);
        EXPECT_EQ(why, want);
    }
}

TEST(VifConfig, ReadsTapMacBridgeQueues) {
    Nodes n{{{"vifname", "pvtap0"}, {"mac", "02:50:56:00:01:00"}}};
    std::string why;
    auto c = read_vif_config(n.reader(), why);
    ASSERT_TRUE(c.ok()) << why;
    EXPECT_EQ(c->tap, "pvtap0");
    EXPECT_EQ(format_mac(c->mac), "02:50:56:00:01:00");
    EXPECT_TRUE(c->bridge.empty());
    EXPECT_EQ(c->queues, kVifDefaultQueues);
    n.kv["bridge"] = "br0";
    n.kv["queues"] = "8";
    n.kv["mac"] = "52:54:00:AB:cd:0f";
    c = read_vif_config(n.reader(), why);
    ASSERT_TRUE(c.ok()) << why;
    EXPECT_EQ(c->bridge, "br0");
    EXPECT_EQ(c->queues, 8U);
    EXPECT_EQ(format_mac(c->mac), "52:54:00:ab:cd:0f");
}

TEST(VifConfig, EachBadNodeHasItsMessage) {
    const std::string mac = "02:00:00:00:00:01";
    const std::vector<std::pair<std::map<std::string, std::string>, std::string>> cases = {
        {{{"mac", mac}}, "vifname: missing"},
        {{{"vifname", "a/b"}, {"mac", mac}},
         "vifname: 'a/b' is not an interface name (1..15 bytes)"},
        {{{"vifname", "sixteen-chars-xx"}, {"mac", mac}},
         "vifname: 'sixteen-chars-xx' is not an interface name (1..15 bytes)"},
        {{{"vifname", "t"}}, "mac: missing"},
        {{{"vifname", "t"}, {"mac", "01:00:5e:00:00:01"}},
         "mac: '01:00:5e:00:00:01' is not a unicast MAC address xx:xx:xx:xx:xx:xx"},
        {{{"vifname", "t"}, {"mac", "00:00:00:00:00:00"}},
         "mac: '00:00:00:00:00:00' is not a unicast MAC address xx:xx:xx:xx:xx:xx"},
        {{{"vifname", "t"}, {"mac", "02-00-00-00-00-01"}},
         "mac: '02-00-00-00-00-01' is not a unicast MAC address xx:xx:xx:xx:xx:xx"},
        {{{"vifname", "t"}, {"mac", mac}, {"bridge", ""}},
         "bridge: '' is not an interface name (1..15 bytes)"},
        {{{"vifname", "t"}, {"mac", mac}, {"queues", "9"}}, "queues: '9' is not a number in 1..8"},
        {{{"vifname", "t"}, {"mac", mac}, {"queues", "x"}}, "queues: 'x' is not a number in 1..8"},
    };
    for (const auto& [kv, want] : cases) {
        Nodes n{kv};
        std::string why;
        auto c = read_vif_config(n.reader(), why);
        ASSERT_FALSE(c.ok()) << want;
        EXPECT_EQ(c.error(), Errc::invalid_argument);
        EXPECT_EQ(why, want);
    }
}

} // namespace
} // namespace pvisor::backend
