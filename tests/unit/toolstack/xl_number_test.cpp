// xl_number_test.cpp: xl's number forms (decimal, 0 octal, 0x hex), strictly.
#include "xl_number.hpp"

#include <gtest/gtest.h>

namespace pvisor::toolstack {
namespace {

TEST(XlNumber, Forms) {
    EXPECT_EQ(parse_xl_number("0").value(), 0U);
    EXPECT_EQ(parse_xl_number("256").value(), 256U);
    EXPECT_EQ(parse_xl_number("010").value(), 8U); // octal, as xl.cfg(5) documents
    EXPECT_EQ(parse_xl_number("0x10").value(), 16U);
    EXPECT_EQ(parse_xl_number("0XfF").value(), 255U);
    EXPECT_EQ(parse_xl_number("18446744073709551615").value(), 18446744073709551615ULL);
    EXPECT_EQ(parse_xl_number("0xffffffffffffffff").value(), 18446744073709551615ULL);
}

TEST(XlNumber, Malformed) {
    for (const char* t :
         {"", "x", "0x", "08", "12x", "1a", "-1", "+1", " 1", "1 ", "1.5", "0x1g", "256M"}) {
        auto r = parse_xl_number(t);
        ASSERT_FALSE(r.ok()) << t;
        EXPECT_EQ(r.error(), Errc::invalid_argument) << t;
    }
}

TEST(XlNumber, TooBig) {
    EXPECT_EQ(parse_xl_number("18446744073709551616").error(), Errc::too_big);
    EXPECT_EQ(parse_xl_number("0x10000000000000000").error(), Errc::too_big);
    EXPECT_EQ(parse_xl_number(std::string(1000, '9')).error(), Errc::too_big);
    // Malformed wins over too big: the text is not a number at all.
    EXPECT_EQ(parse_xl_number(std::string(30, '9') + "z").error(), Errc::invalid_argument);
}

TEST(XlNumber, HexDigits) {
    EXPECT_EQ(hex_digit_value('0'), 0);
    EXPECT_EQ(hex_digit_value('9'), 9);
    EXPECT_EQ(hex_digit_value('a'), 10);
    EXPECT_EQ(hex_digit_value('F'), 15);
    for (char c : {'g', 'G', 'x', ' ', '/', ':', '@', '`', '\0', '\xff'})
        EXPECT_EQ(hex_digit_value(c), -1) << static_cast<int>(c);
}

} // namespace
} // namespace pvisor::toolstack
