// exit_record_test.cpp: the exit file's line, its parse, and the atomic write.
#include "exit_record.hpp"
#include "unix_client.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace pvisor {
namespace {

TEST(ExitRecord, FormatAndParse) {
    EXPECT_EQ(format_exit_record(7, "destroyed by the toolstack"),
              "status=7 reason=destroyed by the toolstack\n");
    EXPECT_EQ(format_exit_record(4, "triple\nfault\t(rip 0x1)"), "status=4 reason=triple fault (rip 0x1)\n");
    auto r = parse_exit_record("status=5 reason=guest reported a crash\n");
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->status, 5);
    EXPECT_EQ(r->reason, "guest reported a crash");
    EXPECT_EQ(parse_exit_record("status=0 reason=\n")->reason, "");
    for (const char* bad : {"", "status=7 reason=x", "status= reason=x\n", "status=7reason=x\n",
                            "state=7 reason=x\n", "status=7 reason=a\nb\n", "status=x7 reason=y\n"})
        EXPECT_FALSE(parse_exit_record(bad).ok()) << bad;
}

TEST(ExitRecord, WrittenWholeAndRemoved) {
    test::TempDir dir;
    ASSERT_TRUE(write_exit_record(dir.path(), 3, "guest asked to reboot").ok());
    std::ifstream f(exit_record_path(dir.path()));
    std::stringstream text;
    text << f.rdbuf();
    EXPECT_EQ(text.str(), "status=3 reason=guest asked to reboot\n");
    EXPECT_NE(::access((exit_record_path(dir.path()) + ".tmp").c_str(), F_OK), 0);
    remove_exit_record(dir.path());
    EXPECT_NE(::access(exit_record_path(dir.path()).c_str(), F_OK), 0);
    EXPECT_FALSE(write_exit_record(dir.path() + "/missing", 0, "x").ok());
}

} // namespace
} // namespace pvisor
