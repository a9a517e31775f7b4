// blk_disks_test.cpp: `pvisor run --disk` parsing, the vbd store layout (the backend's
// configuration) and the backend's command line.
#include "cli.hpp"
#include "devices/backend_gone.hpp"
#include "devices/backend_process.hpp"
#include "devices/blk_store_nodes.hpp"
#include "guest_store_fixture.hpp"

#include <gtest/gtest.h>

namespace pvisor {
namespace {

using store::Access;
using store::Perms;
using store::XsErr;

TEST(RunDiskArgs, SpecsKeepOrderAndParse) {
    std::string err;
    auto o = parse_run_args({"--kernel", "k", "--disk", "a.img", "--disk",
                             "/dev/vdb,ro,queues=4,direct=on", "--blkback", "/x/bb"},
                            err);
    ASSERT_TRUE(o.ok()) << err;
    ASSERT_EQ(o->disks.size(), 2U);
    EXPECT_EQ(o->disks[0].spec, "a.img");
    EXPECT_EQ(o->disks[0].config.path, "a.img");
    EXPECT_FALSE(o->disks[0].config.read_only);
    EXPECT_EQ(o->disks[0].config.queues, 1U);
    EXPECT_FALSE(o->disks[0].config.direct);
    EXPECT_EQ(o->disks[1].spec, "/dev/vdb,ro,queues=4,direct=on");
    EXPECT_EQ(o->disks[1].config.path, "/dev/vdb");
    EXPECT_TRUE(o->disks[1].config.read_only);
    EXPECT_EQ(o->disks[1].config.queues, 4U);
    EXPECT_TRUE(o->disks[1].config.direct);
    EXPECT_EQ(o->blkback, "/x/bb");
}

TEST(RunDiskArgs, MalformedSpecsAreUsageErrors) {
    std::string err;
    EXPECT_EQ(parse_run_args({"--kernel", "k", "--disk", "a,rw"}, err).error(),
              Errc::invalid_argument);
    EXPECT_EQ(err, "--disk a,rw: unknown, malformed or repeated option 'rw'");
    EXPECT_FALSE(parse_run_args({"--kernel", "k", "--disk", "a,queues=17"}, err).ok());
    EXPECT_EQ(err, "--disk a,queues=17: queues must be 1..16");
    EXPECT_FALSE(parse_run_args({"--kernel", "k", "--disk", "a,direct=yes"}, err).ok());
    EXPECT_EQ(err, "--disk a,direct=yes: direct must be on or off");
    EXPECT_FALSE(parse_run_args({"--kernel", "k", "--disk", ",ro"}, err).ok());
    EXPECT_EQ(err, "--disk ,ro: missing path");
    EXPECT_FALSE(parse_run_args({"--kernel", "k", "--disk", "a", "--disk", "a,ro"}, err).ok());
    EXPECT_EQ(err, "--disk a,ro: a is already a disk");
    EXPECT_FALSE(parse_run_args({"--kernel", "k", "--disk"}, err).ok());
    EXPECT_EQ(err, "--disk: missing value");
}

TEST(RunDiskArgs, AtMostSixteenDisks) {
    std::vector<std::string> args{"--kernel", "k"};
    for (int i = 0; i < 16; ++i) {
        args.emplace_back("--disk");
        args.push_back("d" + std::to_string(i));
    }
    std::string err;
    ASSERT_TRUE(parse_run_args(args, err).ok()) << err;
    args.emplace_back("--disk");
    args.emplace_back("d16");
    EXPECT_FALSE(parse_run_args(args, err).ok());
    EXPECT_EQ(err, "--disk d16: more than 16 disks");
}

TEST(BlkbackArgs, StoreDomainAndControlNoSpecs) {
    EXPECT_EQ(backend_args("/run/c/store.sock", 1, "/run/c/guest.ctl"),
              (std::vector<std::string>{"--store", "/run/c/store.sock", "--domid", "1",
                                        "--control", "/run/c/guest.ctl"}));
    EXPECT_EQ(BackendProcess::locate(kBlkBackend, "/opt/bb"), "/opt/bb");
}

using BlkStoreNodesTest = GuestStoreTest;

TEST_F(BlkStoreNodesTest, SecondDiskIsXvdbWithXlLayout) {
    DiskSpec cfg;
    cfg.path = "/img/b.img";
    cfg.read_only = true;
    cfg.queues = 4;
    ASSERT_TRUE(add_blk_store_nodes(s, 1, 1, cfg).ok());
    const std::string f = "/local/domain/1/device/vbd/51728/";
    const std::string b = "/local/domain/0/backend/vbd/1/51728/";
    EXPECT_EQ(read(guest, f + "backend"), "/local/domain/0/backend/vbd/1/51728");
    EXPECT_EQ(read(guest, f + "backend-id"), "0");
    EXPECT_EQ(read(guest, f + "state"), "1");
    EXPECT_EQ(read(guest, f + "virtual-device"), "51728");
    EXPECT_EQ(read(guest, f + "device-type"), "disk");
    EXPECT_EQ(read(guest, b + "frontend"), "/local/domain/1/device/vbd/51728");
    EXPECT_EQ(read(guest, b + "frontend-id"), "1");
    EXPECT_EQ(read(guest, b + "online"), "1");
    EXPECT_EQ(read(guest, b + "state"), "1");
    EXPECT_EQ(read(guest, b + "dev"), "xvdb");
    EXPECT_EQ(read(guest, b + "params"), "/img/b.img");
    EXPECT_EQ(read(guest, b + "mode"), "r");
    EXPECT_EQ(read(guest, b + "queues"), "4");
    EXPECT_EQ(read(guest, b + "direct-io"), "0");
}

TEST_F(BlkStoreNodesTest, DirectAndDefaultQueues) {
    auto spec = parse_disk_spec("/img/c.img,direct=on");
    ASSERT_TRUE(spec.ok());
    ASSERT_TRUE(add_blk_store_nodes(s, 1, 2, *spec).ok());
    const std::string b = "/local/domain/0/backend/vbd/1/51744/";
    EXPECT_EQ(read(guest, b + "dev"), "xvdc");
    EXPECT_EQ(read(guest, b + "params"), "/img/c.img");
    EXPECT_EQ(read(guest, b + "mode"), "w");
    EXPECT_EQ(read(guest, b + "queues"), "1");
    EXPECT_EQ(read(guest, b + "direct-io"), "1");
}

TEST_F(BlkStoreNodesTest, GuestOwnsFrontendAndOnlyReadsBackend) {
    DiskSpec cfg;
    cfg.path = "a.img";
    ASSERT_TRUE(add_blk_store_nodes(s, 1, 0, cfg).ok());
    const std::string f = "/local/domain/1/device/vbd/51712";
    const std::string b = "/local/domain/0/backend/vbd/1/51712";
    const Perms front = Perms::owned_by(1).grant(0, Access::read);
    const Perms back = Perms::owned_by(0).grant(1, Access::read);
    for (const char* key : {"", "/state", "/virtual-device", "/device-type"})
        EXPECT_EQ(*s.get_perms(dom0, 0, f + key), front) << key;
    for (const char* key : {"", "/state", "/dev", "/params", "/mode", "/queues", "/direct-io"})
        EXPECT_EQ(*s.get_perms(dom0, 0, b + key), back) << key;
    EXPECT_TRUE(s.write(guest, 0, f + "/ring-ref", "8").ok());
    EXPECT_EQ(s.write(guest, 0, b + "/state", "4").error(), XsErr::eacces);
    EXPECT_EQ(s.write(guest, 0, b + "/sectors", "1").error(), XsErr::eacces);
    EXPECT_EQ(read(guest, b + "/mode"), "w");
}

TEST_F(BlkStoreNodesTest, RefusesTwiceAndBeyondSixteen) {
    DiskSpec cfg;
    cfg.path = "a.img";
    ASSERT_TRUE(add_blk_store_nodes(s, 1, 0, cfg).ok());
    EXPECT_EQ(add_blk_store_nodes(s, 1, 0, cfg).error(), XsErr::eexist);
    EXPECT_EQ(add_blk_store_nodes(s, 1, 16, cfg).error(), XsErr::einval);
    EXPECT_EQ(add_blk_store_nodes(s, 2, 1, cfg).error(), XsErr::einval); // not introduced
}

// A backend's control connection closed: Closing then Closed, as xl writes for a dead backend
// (a kill -9), but never over a Closed state (the backend detached the disk itself) and never
// into a removed directory.
TEST_F(BlkStoreNodesTest, BackendGoneWritesOnlyIntoALiveDevice) {
    DiskSpec cfg;
    cfg.path = "a.img";
    ASSERT_TRUE(add_blk_store_nodes(s, 1, 0, cfg).ok());
    const std::string rel = "backend/vbd/1/51712/state";
    const std::string abs = "/local/domain/0/" + rel;
    ASSERT_TRUE(s.write(dom0, 0, abs, "4").ok());
    EXPECT_TRUE(write_backend_gone(s, rel, "5").ok());
    EXPECT_EQ(read(guest, abs), "5");
    EXPECT_TRUE(write_backend_gone(s, rel, "6").ok());
    EXPECT_EQ(read(guest, abs), "6");
    EXPECT_EQ(write_backend_gone(s, rel, "5").error(), XsErr::eexist);
    EXPECT_EQ(read(guest, abs), "6");
    ASSERT_TRUE(s.rm(dom0, 0, "/local/domain/0/backend/vbd/1/51712").ok());
    EXPECT_EQ(write_backend_gone(s, rel, "5").error(), XsErr::enoent);
    EXPECT_EQ(read(dom0, "/local/domain/0/backend/vbd/1/51712"), "<ENOENT>");
}

} // namespace
} // namespace pvisor
