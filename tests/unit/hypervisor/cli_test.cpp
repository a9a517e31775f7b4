// cli_test.cpp: `pvisor run` option validation.
#include "cli.hpp"

#include <gtest/gtest.h>

namespace pvisor {
namespace {

TEST(RunArgs, Defaults) {
    std::string err;
    auto o = parse_run_args({"--kernel", "k"}, err);
    ASSERT_TRUE(o.ok());
    EXPECT_EQ(o->memory_bytes, 512ULL << 20);
    EXPECT_EQ(o->vcpus, 1U);
    EXPECT_EQ(o->console, ConsoleKind::pv);
    EXPECT_TRUE(o->acpi);
    EXPECT_EQ(o->cmdline, "console=ttyS0");
}

TEST(RunArgs, Acpi) {
    std::string err;
    auto off = parse_run_args({"--kernel", "k", "--acpi", "off"}, err);
    ASSERT_TRUE(off.ok()) << err;
    EXPECT_FALSE(off->acpi);
    auto on = parse_run_args({"--kernel", "k", "--acpi", "off", "--acpi", "on"}, err);
    ASSERT_TRUE(on.ok()) << err;
    EXPECT_TRUE(on->acpi);
    EXPECT_EQ(parse_run_args({"--kernel", "k", "--acpi", "1"}, err).error(),
              Errc::invalid_argument);
    EXPECT_EQ(err, "--acpi 1: must be on or off");
    EXPECT_EQ(parse_run_args({"--kernel", "k", "--acpi"}, err).error(), Errc::invalid_argument);
    EXPECT_EQ(err, "--acpi: missing value");
}

TEST(RunArgs, AllOptions) {
    std::string err;
    auto o = parse_run_args({"--kernel", "k", "--initrd", "i", "--cmdline", "a b", "--memory",
                             "2G", "--vcpus", "8", "--console", "serial", "--control", "d"},
                            err);
    ASSERT_TRUE(o.ok()) << err;
    EXPECT_EQ(o->initrd, "i");
    EXPECT_EQ(o->cmdline, "a b");
    EXPECT_EQ(o->memory_bytes, 2ULL << 30);
    EXPECT_EQ(o->vcpus, 8U);
    EXPECT_EQ(o->console, ConsoleKind::serial);
    EXPECT_EQ(o->control_dir, "d");
}

TEST(RunArgs, DomidAndName) {
    std::string err;
    auto d = parse_run_args({"--kernel", "k"}, err);
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(d->domid, 1U);
    EXPECT_EQ(d->name, "guest");
    auto o = parse_run_args({"--kernel", "k", "--domid", "32751", "--name", "web-1.prod_A"}, err);
    ASSERT_TRUE(o.ok()) << err;
    EXPECT_EQ(o->domid, 32751U);
    EXPECT_EQ(o->name, "web-1.prod_A");
    for (const char* bad : {"0", "32752", "65536", "-1", "1x", "", " 5"}) {
        EXPECT_FALSE(parse_run_args({"--kernel", "k", "--domid", bad}, err).ok()) << bad;
        EXPECT_EQ(err, std::string("--domid ") + bad + ": must be a number from 1 to 32751");
    }
    for (const std::string& bad : {std::string(), std::string(65, 'a'), std::string("a b"),
                                  std::string("x/y"), std::string("\xc3\xa9")}) {
        EXPECT_FALSE(parse_run_args({"--kernel", "k", "--name", bad}, err).ok()) << bad;
        EXPECT_EQ(err, "--name " + bad + ": must be 1 to 64 characters of A-Z a-z 0-9 _ . -");
    }
    EXPECT_TRUE(parse_run_args({"--kernel", "k", "--name", std::string(64, 'a')}, err).ok());
}

// The default guest MACs carry the domain id (02:50:56:<domid>:<vif>): a mac= equal to
// another vif's default is caught whatever the order of --domid and --net.
TEST(RunArgs, MacClashUsesTheDomid) {
    std::string err;
    EXPECT_FALSE(parse_run_args({"--kernel", "k", "--net", "tap=a", "--net",
                                 "tap=b,mac=02:50:56:01:02:00", "--domid", "258"},
                                err)
                     .ok());
    EXPECT_EQ(err, "--net tap=b,mac=02:50:56:01:02:00: mac 02:50:56:01:02:00 is already the "
                   "guest's on --net tap=a");
    EXPECT_TRUE(parse_run_args({"--kernel", "k", "--net", "tap=a", "--net",
                                "tap=b,mac=02:50:56:01:02:00"},
                               err)
                    .ok());
}

TEST(RunArgs, RestoreAndPaused) {
    std::string err;
    auto opt = parse_run_args({"--restore", "/s.pvsave", "--paused", "--store", "/x.sock"}, err);
    ASSERT_TRUE(opt.ok()) << err;
    EXPECT_EQ(opt->restore, "/s.pvsave");
    EXPECT_TRUE(opt->kernel.empty());
    EXPECT_TRUE(opt->start_paused);
    EXPECT_FALSE(parse_run_args({"--kernel", "k", "--restore", "/s"}, err).ok());
    EXPECT_EQ(err, "run: --kernel and --restore exclude each other");
    EXPECT_FALSE(parse_run_args({"--restore", "/s", "--net", "tap=t"}, err).ok());
    EXPECT_EQ(err, "--restore: the domain's memory, vCPUs and devices come from the file (no "
                   "--initrd, --disk or --net)");
    EXPECT_FALSE(parse_run_args({"--kernel", "k"}, err)->start_paused);
}

TEST(RunArgs, Errors) {
    std::string err;
    EXPECT_FALSE(parse_run_args({}, err).ok());
    EXPECT_EQ(err, "run: --kernel is required");
    EXPECT_FALSE(parse_run_args({"--kernel", "k", "--vcpus", "0"}, err).ok());
    EXPECT_EQ(err, "--vcpus 0: not a positive number");
    EXPECT_FALSE(parse_run_args({"--kernel", "k", "--vcpus", "65"}, err).ok());
    EXPECT_EQ(err, "--vcpus 65: more than pvisor's maximum of 64");
    EXPECT_FALSE(parse_run_args({"--kernel", "k", "--memory", "1.5G"}, err).ok());
    EXPECT_EQ(err, "--memory 1.5G: not a size (e.g. 512M, 2G)");
    EXPECT_FALSE(parse_run_args({"--kernel", "k", "--memory", "1000"}, err).ok());
    EXPECT_EQ(err, "--memory 1000: not a multiple of 4 KiB");
    EXPECT_FALSE(parse_run_args({"--kernel", "k", "--console", "vga"}, err).ok());
    EXPECT_EQ(err, "--console vga: must be pv or serial");
    EXPECT_FALSE(parse_run_args({"--kernel"}, err).ok());
    EXPECT_EQ(err, "--kernel: missing value");
    EXPECT_FALSE(parse_run_args({"--bogus"}, err).ok());
    EXPECT_EQ(err, "--bogus: unknown option (see pvisor run --help)");
}

} // namespace
} // namespace pvisor
