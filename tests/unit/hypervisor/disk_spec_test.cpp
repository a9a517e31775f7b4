// disk_spec_test.cpp: --disk path[,ro][,queues=N][,direct=on|off] parsing.
#include "devices/disk_spec.hpp"

#include <gtest/gtest.h>
#include <string>
#include <vector>

namespace pvisor {
namespace {

TEST(DiskSpec, PathAlone) {
    auto c = parse_disk_spec("guest.img");
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(c->path, "guest.img");
    EXPECT_FALSE(c->read_only);
    EXPECT_EQ(c->queues, 1U);
    EXPECT_FALSE(c->direct);
}

TEST(DiskSpec, AllOptionsAnyOrder) {
    auto c = parse_disk_spec("/dev/loop0,direct=on,queues=4,ro");
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(c->path, "/dev/loop0");
    EXPECT_TRUE(c->read_only);
    EXPECT_EQ(c->queues, 4U);
    EXPECT_TRUE(c->direct);
    auto d = parse_disk_spec("a,direct=off,queues=16");
    ASSERT_TRUE(d.ok());
    EXPECT_FALSE(d->direct);
    EXPECT_EQ(d->queues, 16U);
}

TEST(DiskSpec, MalformedIsRefusedWithAMessage) {
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
        auto c = parse_disk_spec(bad, &why);
        EXPECT_FALSE(c.ok()) << bad;
        EXPECT_EQ(c.error(), Errc::invalid_argument) << bad;
        EXPECT_FALSE(why.empty()) << bad;
    }
}

} // namespace
} // namespace pvisor
