// xl_vif_test.cpp: xl's VIFSPEC grammar: mac, bridge, vifname, type, and what pvisor refuses.
#include "xl_vif.hpp"

#include <gtest/gtest.h>

namespace pvisor::toolstack {
namespace {

VifSpec parse(std::string_view spec) {
    std::string err;
    auto r = parse_xl_vif_spec(spec, err);
    EXPECT_TRUE(r.ok()) << spec << ": " << err;
    return r.ok() ? *r : VifSpec{};
}

std::string error_of(std::string_view spec) {
    std::string err;
    auto r = parse_xl_vif_spec(spec, err);
    EXPECT_FALSE(r.ok()) << spec;
    if (!r.ok()) {
        EXPECT_EQ(r.error(), Errc::invalid_argument);
    }
    return err;
}

TEST(XlVif, EmptySpecIsAllDefaults) {
    const VifSpec v = parse("");
    EXPECT_FALSE(v.mac);
    EXPECT_FALSE(v.bridge);
    EXPECT_FALSE(v.vifname);
    EXPECT_EQ(v.spec, "");
    EXPECT_FALSE(parse(",, ,").mac);
}

TEST(XlVif, Keys) {
    const VifSpec v = parse("mac=00:16:3E:74:3d:76,bridge=xenbr0, vifname=vif-web,type=vif");
    ASSERT_TRUE(v.mac);
    EXPECT_EQ(*v.mac, (MacAddress{0x00, 0x16, 0x3e, 0x74, 0x3d, 0x76}));
    EXPECT_EQ(format_mac(*v.mac), "00:16:3e:74:3d:76");
    EXPECT_EQ(v.bridge, "xenbr0");
    EXPECT_EQ(v.vifname, "vif-web");
    EXPECT_EQ(v.spec, "mac=00:16:3E:74:3d:76,bridge=xenbr0, vifname=vif-web,type=vif");
    EXPECT_EQ(*parse("mac=02:ff:ff:ff:ff:fe").mac, (MacAddress{2, 255, 255, 255, 255, 254}));
    EXPECT_EQ(parse("vifname=" + std::string(15, 'v')).vifname, std::string(15, 'v'));
    EXPECT_EQ(parse("bridge=br.0-x_y").bridge, "br.0-x_y");
}

TEST(XlVif, ALaterValueReplacesAnEarlierOne) {
    const VifSpec v = parse("bridge=a,,bridge=b,mac=02:00:00:00:00:01,mac=02:00:00:00:00:02");
    EXPECT_EQ(v.bridge, "b");
    EXPECT_EQ(format_mac(*v.mac), "02:00:00:00:00:02");
}

TEST(XlVif, Words) {
    std::string err;
    auto v =
        parse_xl_vif_spec(std::vector<std::string>{"mac=00:16:3e:00:00:01", "bridge=br0"}, err);
    ASSERT_TRUE(v.ok()) << err;
    EXPECT_EQ(format_mac(*v->mac), "00:16:3e:00:00:01");
    EXPECT_EQ(v->bridge, "br0");
    EXPECT_EQ(v->spec, "mac=00:16:3e:00:00:01,bridge=br0");
    v = parse_xl_vif_spec(std::vector<std::string>{"bridge=br0,vifname=v0"}, err);
    ASSERT_TRUE(v.ok()) << err;
    EXPECT_EQ(v->vifname, "v0");
    v = parse_xl_vif_spec(std::vector<std::string>{}, err);
    ASSERT_TRUE(v.ok()) << err;
    EXPECT_FALSE(v->bridge);
    EXPECT_FALSE(
        parse_xl_vif_spec(std::vector<std::string>{"bridge=br0", "ip=10.0.0.2"}, err).ok());
    EXPECT_EQ(err, "ip= is not supported by pvisor");
}

TEST(XlVif, Macs) {
    const std::string six = " is not six hex octets (xx:xx:xx:xx:xx:xx)";
    EXPECT_EQ(error_of("mac=00:16:3e:74:3d"), "mac \"00:16:3e:74:3d\"" + six);
    EXPECT_EQ(error_of("mac=00:16:3e:74:3d:76:00"), "mac \"00:16:3e:74:3d:76:00\"" + six);
    EXPECT_EQ(error_of("mac=00-16-3e-74-3d-76"), "mac \"00-16-3e-74-3d-76\"" + six);
    EXPECT_EQ(error_of("mac=0:16:3e:74:3d:76"), "mac \"0:16:3e:74:3d:76\"" + six);
    EXPECT_EQ(error_of("mac=00:16:3g:74:3d:76"), "mac \"00:16:3g:74:3d:76\"" + six);
    EXPECT_EQ(error_of("mac="), "mac \"\"" + six);
    EXPECT_EQ(error_of("mac=01:00:5e:00:00:01"),
              "mac \"01:00:5e:00:00:01\" is a multicast address (the first octet is odd)");
    EXPECT_EQ(error_of("mac=ff:ff:ff:ff:ff:ff"),
              "mac \"ff:ff:ff:ff:ff:ff\" is a multicast address (the first octet is odd)");
    EXPECT_EQ(error_of("mac=00:00:00:00:00:00"), "mac \"00:00:00:00:00:00\" is all zero");
}

TEST(XlVif, InterfaceNames) {
    const std::string rule = " is not a Linux interface name (1..15 bytes, no \"/\", \":\" or "
                             "whitespace)";
    EXPECT_EQ(error_of("vifname=" + std::string(16, 'v')),
              "vifname \"" + std::string(16, 'v') + "\"" + rule);
    EXPECT_EQ(error_of("vifname="), "vifname \"\"" + rule);
    EXPECT_EQ(error_of("vifname=a/b"), "vifname \"a/b\"" + rule);
    EXPECT_EQ(error_of("vifname=a:b"), "vifname \"a:b\"" + rule);
    EXPECT_EQ(error_of("vifname=a\tb"), "vifname \"a\\x09b\"" + rule);
    EXPECT_EQ(error_of("vifname=."), "vifname \".\"" + rule);
    EXPECT_EQ(error_of("vifname=.."), "vifname \"..\"" + rule);
    EXPECT_EQ(error_of("bridge=br0 "), "bridge \"br0 \"" + rule); // spaces skipped before only
    EXPECT_EQ(error_of("bridge=a b"), "bridge \"a b\"" + rule);
}

TEST(XlVif, Unsupported) {
    EXPECT_EQ(error_of("type=ioemu"),
              "type=ioemu is for HVM guests: pvisor's interfaces are type=vif");
    EXPECT_EQ(error_of("type=foo"), "type \"foo\" is not vif or ioemu");
    for (const char* k : {"model", "ip", "script", "rate", "gatewaydev", "netdev", "backend", "mtu",
                          "devid", "vlan", "accel", "forwarddev", "colo_sock_mirror_id"}) {
        EXPECT_EQ(error_of(std::string("bridge=br0,") + k + "=x"),
                  std::string(k) + "= is not supported by pvisor");
    }
    EXPECT_EQ(error_of("trusted"), "trusted is not supported by pvisor");
    EXPECT_EQ(error_of("untrusted"), "untrusted is not supported by pvisor");
    EXPECT_EQ(error_of("colour=red"), "unknown parameter \"colour=red\"");
    EXPECT_EQ(error_of("junk"), "unknown parameter \"junk\"");
    EXPECT_EQ(error_of("Mac=02:00:00:00:00:01"), "unknown parameter \"Mac=02:00:00:00:00:01\"");
}

TEST(XlVif, HostileInput) {
    using namespace std::string_literals;
    EXPECT_EQ(error_of("bridge=br0\0,mac=x"s), "NUL byte in the vif specification");
    EXPECT_EQ(error_of("vifname=" + std::string(1 << 20, 'v')),
              "vifname \"" + std::string(60, 'v') +
                  "...\" is not a Linux interface name (1..15 "
                  "bytes, no \"/\", \":\" or whitespace)");
    EXPECT_FALSE(parse(std::string(1 << 20, ',')).mac);
}

} // namespace
} // namespace pvisor::toolstack
