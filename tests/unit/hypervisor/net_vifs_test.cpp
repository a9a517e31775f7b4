// net_vifs_test.cpp: `pvisor run --net` parsing, the vif store layout and the backend's
// command line.
#include "cli.hpp"
#include "devices/backend_process.hpp"
#include "devices/net_store_nodes.hpp"
#include "guest_store_fixture.hpp"

#include <gtest/gtest.h>

namespace pvisor {
namespace {

using store::Access;
using store::Perms;
using store::XsErr;

TEST(RunNetArgs, SpecsKeepOrderAndParse) {
    std::string err;
    auto o =
        parse_run_args({"--kernel", "k", "--net", "tap=pvtap0", "--net",
                        "tap=t1,bridge=br0,mac=02:00:00:00:00:0A,queues=4", "--netback", "/x/nb"},
                       err);
    ASSERT_TRUE(o.ok()) << err;
    ASSERT_EQ(o->nets.size(), 2U);
    EXPECT_EQ(o->nets[0].spec, "tap=pvtap0");
    EXPECT_EQ(o->nets[0].config.tap, "pvtap0");
    EXPECT_TRUE(o->nets[0].config.bridge.empty());
    EXPECT_FALSE(o->nets[0].config.mac.has_value());
    EXPECT_EQ(o->nets[0].config.queues, 1U);
    EXPECT_EQ(o->nets[1].spec, "tap=t1,bridge=br0,mac=02:00:00:00:00:0A,queues=4");
    EXPECT_EQ(o->nets[1].config.tap, "t1");
    EXPECT_EQ(o->nets[1].config.bridge, "br0");
    ASSERT_TRUE(o->nets[1].config.mac.has_value());
    EXPECT_EQ(format_mac(*o->nets[1].config.mac), "02:00:00:00:00:0a");
    EXPECT_EQ(o->nets[1].config.queues, 4U);
    EXPECT_EQ(o->netback, "/x/nb");
    EXPECT_TRUE(o->disks.empty());
}

TEST(RunNetArgs, MalformedSpecsAreUsageErrors) {
    std::string err;
    EXPECT_EQ(parse_run_args({"--kernel", "k", "--net", "bridge=br0"}, err).error(),
              Errc::invalid_argument);
    EXPECT_EQ(err, "--net bridge=br0: must start with tap=NAME");
    EXPECT_FALSE(parse_run_args({"--kernel", "k", "--net", "tap=t,queues=9"}, err).ok());
    EXPECT_EQ(err, "--net tap=t,queues=9: queues must be 1..8");
    EXPECT_FALSE(
        parse_run_args({"--kernel", "k", "--net", "tap=t,mac=01:00:00:00:00:01"}, err).ok());
    EXPECT_EQ(err, "--net tap=t,mac=01:00:00:00:00:01: mac must be six hex bytes xx:xx:..., "
                   "unicast, not zero");
    EXPECT_FALSE(parse_run_args({"--kernel", "k", "--net", "tap=a/b"}, err).ok());
    EXPECT_EQ(err, "--net tap=a/b: tap must be an interface name (1..15 bytes)");
    EXPECT_FALSE(parse_run_args({"--kernel", "k", "--net", "tap=t,speed=10"}, err).ok());
    EXPECT_EQ(err, "--net tap=t,speed=10: unknown, malformed or repeated option 'speed'");
    EXPECT_FALSE(parse_run_args({"--kernel", "k", "--net", "tap=t,"}, err).ok());
    EXPECT_EQ(err, "--net tap=t,: empty option");
    EXPECT_FALSE(parse_run_args({"--kernel", "k", "--net"}, err).ok());
    EXPECT_EQ(err, "--net: missing value");
    EXPECT_FALSE(parse_run_args({"--kernel", "k", "--netback"}, err).ok());
    EXPECT_EQ(err, "--netback: missing value");
}

TEST(RunNetArgs, NoTapOrMacTwice) {
    std::string err;
    EXPECT_FALSE(
        parse_run_args({"--kernel", "k", "--net", "tap=t0", "--net", "tap=t0,bridge=b"}, err).ok());
    EXPECT_EQ(err, "--net tap=t0,bridge=b: tap t0 is already a --net");
    EXPECT_FALSE(parse_run_args({"--kernel", "k", "--net", "tap=a,mac=02:00:00:00:00:01", "--net",
                                 "tap=b,mac=02:00:00:00:00:01"},
                                err)
                     .ok());
    EXPECT_EQ(err, "--net tap=b,mac=02:00:00:00:00:01: mac 02:00:00:00:00:01 is already the "
                   "guest's on --net tap=a,mac=02:00:00:00:00:01");
    // vif 1's default MAC (02:50:56:00:01:01) given to vif 0 explicitly.
    EXPECT_FALSE(
        parse_run_args({"--kernel", "k", "--net", "tap=a,mac=02:50:56:00:01:01", "--net", "tap=b"},
                       err)
            .ok());
    EXPECT_EQ(err, "--net tap=b: mac 02:50:56:00:01:01 is already the guest's on --net "
                   "tap=a,mac=02:50:56:00:01:01");
}

TEST(RunNetArgs, AtMostEightInterfaces) {
    std::vector<std::string> args{"--kernel", "k"};
    for (int i = 0; i < 8; ++i) {
        args.emplace_back("--net");
        args.push_back("tap=t" + std::to_string(i));
    }
    std::string err;
    ASSERT_TRUE(parse_run_args(args, err).ok()) << err;
    args.emplace_back("--net");
    args.emplace_back("tap=t8");
    EXPECT_FALSE(parse_run_args(args, err).ok());
    EXPECT_EQ(err, "--net tap=t8: more than 8 network interfaces");
}

TEST(NetbackArgs, StoreDomainAndControlNoSpecs) {
    EXPECT_EQ(backend_args("/s/store.sock", 3, "/s/guest.ctl"),
              (std::vector<std::string>{"--store", "/s/store.sock", "--domid", "3", "--control",
                                        "/s/guest.ctl"}));
    EXPECT_EQ(BackendProcess::locate(kNetBackend, "/opt/nb"), "/opt/nb");
    // Not next to the test binary: the bare name, which posix_spawnp looks up in $PATH.
    EXPECT_EQ(BackendProcess::locate(kNetBackend, ""), "pvisor-netback");
}

class VifStoreNodesTest : public GuestStoreTest {
  protected:
    static NetSpec net(const std::string& spec) {
        auto n = parse_net_spec(spec);
        EXPECT_TRUE(n.ok()) << spec;
        return n.ok() ? *n : NetSpec{};
    }
};

TEST_F(VifStoreNodesTest, SecondVifHasXlLayoutAndDefaultMac) {
    ASSERT_TRUE(add_vif_store_nodes(s, 1, 1, net("tap=pvtap1,bridge=pvbr0,queues=2")).ok());
    const std::string f = "/local/domain/1/device/vif/1/";
    const std::string b = "/local/domain/0/backend/vif/1/1/";
    EXPECT_EQ(read(guest, f + "backend"), "/local/domain/0/backend/vif/1/1");
    EXPECT_EQ(read(guest, f + "backend-id"), "0");
    EXPECT_EQ(read(guest, f + "state"), "1");
    EXPECT_EQ(read(guest, f + "handle"), "1");
    EXPECT_EQ(read(guest, f + "mac"), "02:50:56:00:01:01");
    EXPECT_EQ(read(guest, b + "frontend"), "/local/domain/1/device/vif/1");
    EXPECT_EQ(read(guest, b + "frontend-id"), "1");
    EXPECT_EQ(read(guest, b + "online"), "1");
    EXPECT_EQ(read(guest, b + "state"), "1");
    EXPECT_EQ(read(guest, b + "handle"), "1");
    EXPECT_EQ(read(guest, b + "mac"), "02:50:56:00:01:01");
    EXPECT_EQ(read(guest, b + "vifname"), "pvtap1");
    EXPECT_EQ(read(guest, b + "bridge"), "pvbr0");
    EXPECT_EQ(read(guest, b + "queues"), "2");
}

// The default MAC follows the domain: the toolstack gives each domain its own domid.
TEST_F(VifStoreNodesTest, DefaultMacFollowsTheDomid) {
    EXPECT_EQ(format_mac(vif_guest_mac(1, 0, net("tap=t"))), "02:50:56:00:01:00");
    EXPECT_EQ(format_mac(vif_guest_mac(0x0203, 4, net("tap=t"))), "02:50:56:02:03:04");
    EXPECT_EQ(format_mac(vif_guest_mac(7, 0, net("tap=t,mac=02:00:00:00:00:0b"))),
              "02:00:00:00:00:0b");
}

TEST_F(VifStoreNodesTest, GivenMacAndNoBridge) {
    ASSERT_TRUE(add_vif_store_nodes(s, 1, 0, net("tap=t,mac=02:00:00:00:00:0b")).ok());
    EXPECT_EQ(read(guest, "/local/domain/1/device/vif/0/mac"), "02:00:00:00:00:0b");
    EXPECT_EQ(read(guest, "/local/domain/0/backend/vif/1/0/mac"), "02:00:00:00:00:0b");
    EXPECT_EQ(read(guest, "/local/domain/0/backend/vif/1/0/bridge"), "<ENOENT>");
    EXPECT_EQ(read(guest, "/local/domain/0/backend/vif/1/0/queues"), "1");
}

TEST_F(VifStoreNodesTest, GuestOwnsFrontendAndOnlyReadsBackend) {
    ASSERT_TRUE(add_vif_store_nodes(s, 1, 0, net("tap=t,bridge=br")).ok());
    const std::string f = "/local/domain/1/device/vif/0";
    const std::string b = "/local/domain/0/backend/vif/1/0";
    const Perms front = Perms::owned_by(1).grant(0, Access::read);
    const Perms back = Perms::owned_by(0).grant(1, Access::read);
    for (const char* key : {"", "/state", "/handle", "/mac"})
        EXPECT_EQ(*s.get_perms(dom0, 0, f + key), front) << key;
    for (const char* key : {"", "/state", "/handle", "/mac", "/vifname", "/bridge", "/queues"})
        EXPECT_EQ(*s.get_perms(dom0, 0, b + key), back) << key;
    EXPECT_TRUE(s.write(guest, 0, f + "/tx-ring-ref", "8").ok());
    EXPECT_EQ(s.write(guest, 0, b + "/state", "4").error(), XsErr::eacces);
    EXPECT_EQ(s.write(guest, 0, b + "/mac", "02:00:00:00:00:01").error(), XsErr::eacces);
}

TEST_F(VifStoreNodesTest, RefusesTwiceAndBeyondEight) {
    ASSERT_TRUE(add_vif_store_nodes(s, 1, 0, net("tap=t")).ok());
    EXPECT_EQ(add_vif_store_nodes(s, 1, 0, net("tap=t")).error(), XsErr::eexist);
    EXPECT_EQ(add_vif_store_nodes(s, 1, 8, net("tap=t")).error(), XsErr::einval);
    EXPECT_EQ(add_vif_store_nodes(s, 2, 1, net("tap=t")).error(), XsErr::einval); // not introduced
}

} // namespace
} // namespace pvisor
