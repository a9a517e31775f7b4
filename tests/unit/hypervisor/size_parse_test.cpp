// size_parse_test.cpp: memory size strings.
#include "size_parse.hpp"

#include <gtest/gtest.h>

namespace pvisor {
namespace {

TEST(SizeParse, Suffixes) {
    EXPECT_EQ(*parse_size("512M"), 512ULL << 20);
    EXPECT_EQ(*parse_size("2G"), 2ULL << 30);
    EXPECT_EQ(*parse_size("1048576K"), 1ULL << 30);
    EXPECT_EQ(*parse_size("4096"), 4096U);
    EXPECT_EQ(*parse_size("1t"), 1ULL << 40);
}

TEST(SizeParse, RejectsGarbageZeroAndOverflow) {
    EXPECT_EQ(parse_size("").error(), Errc::invalid_argument);
    EXPECT_EQ(parse_size("M").error(), Errc::invalid_argument);
    EXPECT_EQ(parse_size("12X").error(), Errc::invalid_argument);
    EXPECT_EQ(parse_size("-1G").error(), Errc::invalid_argument);
    EXPECT_EQ(parse_size("1.5G").error(), Errc::invalid_argument);
    EXPECT_EQ(parse_size("0").error(), Errc::invalid_argument);
    EXPECT_EQ(parse_size("0M").error(), Errc::invalid_argument);
    EXPECT_EQ(parse_size("18446744073709551616").error(), Errc::too_big);
    EXPECT_EQ(parse_size("17179869184G").error(), Errc::too_big);
    EXPECT_EQ(*parse_size("18446744073709551615"), 18446744073709551615ULL);
}

} // namespace
} // namespace pvisor
