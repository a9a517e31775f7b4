// disk_option_test.cpp: --disk path[,ro][,queues=N][,direct=on|off] parsing.
#include "blkback_options.hpp"
#include "disk_option.hpp"

#include <gtest/gtest.h>
#include <string>
#include <vector>

namespace pvisor::backend {
namespace {

TEST(DiskOption, PathAlone) {
    auto c = parse_disk_option("guest.img");
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(c->path, "guest.img");
    EXPECT_FALSE(c->read_only);
    EXPECT_EQ(c->queues, 1U);
    EXPECT_FALSE(c->direct);
}

TEST(DiskOption, AllOptionsAnyOrder) {
    auto c = parse_disk_option("/dev/loop0,direct=on,queues=4,ro");
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(c->path, "/dev/loop0");
    EXPECT_TRUE(c->read_only);
    EXPECT_EQ(c->queues, 4U);
    EXPECT_TRUE(c->direct);
    auto d = parse_disk_option("a,direct=off,queues=16");
    ASSERT_TRUE(d.ok());
    EXPECT_FALSE(d->direct);
    EXPECT_EQ(d->queues, 16U);
}

TEST(DiskOption, MalformedIsRefusedWithAMessage) {
    for (const char* bad : {"",
                            ",ro",
                            "a,",
                            "a,,ro",
                            "a,ro,",
                            "a,rw",
                            "a,ro=1",
                            "a,ro,ro",
                            "a,queues=0",
                            "a,queues=17",
                            "a,queues=-1",
                            "a,queues=+2",
                            "a,queues=2x",
                            "a,queues=",
                            "a,queues",
                            "a,queues=1,queues=2",
                            "a,direct=yes",
                            "a,direct",
                            "a,direct=ON",
                            "a,Queues=2"}) {
        std::string why;
        auto c = parse_disk_option(bad, &why);
        EXPECT_FALSE(c.ok()) << bad;
        EXPECT_EQ(c.error(), Errc::invalid_argument) << bad;
        EXPECT_FALSE(why.empty()) << bad;
    }
}

Result<BlkbackOptions> parse_args(std::initializer_list<std::string_view> args,
                                  std::string* why = nullptr) {
    const std::vector<std::string_view> v(args);
    return parse_blkback_options(v, why);
}

TEST(BlkbackOptions, ControlAndSeveralDisks) {
    auto o =
        parse_args({"--disk", "a.img,queues=2", "--control", "/run/pv.sock", "--disk", "b.img,ro"});
    ASSERT_TRUE(o.ok());
    EXPECT_EQ(o->control, "/run/pv.sock");
    ASSERT_EQ(o->disks.size(), 2U);
    EXPECT_EQ(o->disks[0].path, "a.img");
    EXPECT_EQ(o->disks[0].queues, 2U);
    EXPECT_TRUE(o->disks[1].read_only);
}

TEST(BlkbackOptions, MalformedCommandLinesAreRefused) {
    std::string why;
    EXPECT_EQ(parse_args({}, &why).error(), Errc::invalid_argument);
    EXPECT_EQ(parse_args({"--disk", "a"}, &why).error(), Errc::invalid_argument);    // no control
    EXPECT_EQ(parse_args({"--control", "s"}, &why).error(), Errc::invalid_argument); // no disk
    EXPECT_EQ(parse_args({"--control", "s", "--disk"}, &why).error(), Errc::invalid_argument);
    EXPECT_EQ(parse_args({"--control", "s", "--disk", ""}, &why).error(), Errc::invalid_argument);
    EXPECT_EQ(parse_args({"--control", "s", "--control", "t", "--disk", "a"}, &why).error(),
              Errc::invalid_argument);
    EXPECT_EQ(parse_args({"--control", "s", "--disk", "a", "--disk", "a,ro"}, &why).error(),
              Errc::invalid_argument);
    EXPECT_EQ(parse_args({"--control", "s", "--disk", "a,queues=99"}, &why).error(),
              Errc::invalid_argument);
    EXPECT_NE(why.find("queues"), std::string::npos) << why;
    EXPECT_EQ(parse_args({"--control", "s", "--disks", "a"}, &why).error(), Errc::invalid_argument);
    EXPECT_NE(why.find("--disks"), std::string::npos) << why;
    std::vector<std::string> names;
    std::vector<std::string_view> many = {"--control", "s"};
    for (int i = 0; i < 17; ++i)
        names.push_back("d" + std::to_string(i));
    for (const auto& n : names) {
        many.push_back("--disk");
        many.push_back(n);
    }
    EXPECT_EQ(parse_blkback_options(many, &why).error(), Errc::invalid_argument);
    EXPECT_NE(why.find("too many"), std::string::npos) << why;
}

} // namespace
} // namespace pvisor::backend
