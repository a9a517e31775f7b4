// xl_cfg_syntax_test.cpp: libxlu's config grammar: settings, lists, quoting, escapes,
// comments, repeated keys, "+=", and the exact message of each syntax error.
#include "xl_cfg_syntax.hpp"

#include <gtest/gtest.h>

namespace pvisor::toolstack {
namespace {

bool check(std::string_view key, std::string& why) {
    if (key == "colour") {
        why = "unknown key";
        return false;
    }
    return true;
}

std::vector<XlSetting> parse(std::string_view text) {
    std::string err;
    auto r = parse_xl_cfg_syntax("t.cfg", text, check, err);
    EXPECT_TRUE(r.ok()) << err;
    return r.ok() ? std::move(r).value() : std::vector<XlSetting>{};
}

std::string error_of(std::string_view text) {
    std::string err;
    auto r = parse_xl_cfg_syntax("t.cfg", text, check, err);
    EXPECT_FALSE(r.ok());
    if (!r.ok()) {
        EXPECT_EQ(r.error(), Errc::invalid_argument);
    }
    return err;
}

std::vector<std::string> items(const XlSetting& s) {
    std::vector<std::string> out;
    for (const auto& i : s.value.items)
        out.push_back(i.text);
    return out;
}

TEST(XlCfgSyntax, Settings) {
    auto s = parse("name = \"h0\"\nmemory=256\n\nvcpus = '2' # two\n");
    ASSERT_EQ(s.size(), 3U);
    EXPECT_EQ(s[0].key, "name");
    EXPECT_EQ(s[0].value.atom.text, "h0");
    EXPECT_FALSE(s[0].value.is_list);
    EXPECT_EQ(s[0].line, 1U);
    EXPECT_EQ(s[1].key, "memory");
    EXPECT_EQ(s[1].value.atom.text, "256"); // numbers stay text, as in xl
    EXPECT_EQ(s[2].value.atom.text, "2");
    EXPECT_EQ(s[2].line, 4U);
}

TEST(XlCfgSyntax, SemicolonsAndTheLastSettingNeedsNoNewline) {
    auto s = parse("name=\"h0\"; type=\"pv\";;\n;memory = 0x100");
    ASSERT_EQ(s.size(), 3U);
    EXPECT_EQ(s[1].value.atom.text, "pv");
    EXPECT_EQ(s[2].value.atom.text, "0x100");
}

TEST(XlCfgSyntax, KeysMayHoldDigitsDotsAndUnderscores) {
    auto s = parse("on_poweroff = 'x'\na.b_2 = 1\n");
    ASSERT_EQ(s.size(), 2U);
    EXPECT_EQ(s[1].key, "a.b_2");
}

TEST(XlCfgSyntax, EmptyFilesAndComments) {
    EXPECT_TRUE(parse("").empty());
    EXPECT_TRUE(parse("\n\n# only a comment\n   \t\n").empty());
    EXPECT_TRUE(parse("# comment at the end without a newline").empty());
    auto s = parse("name = 'a' # comment\n# name = 'b'\n");
    ASSERT_EQ(s.size(), 1U);
    EXPECT_EQ(s[0].value.atom.text, "a");
}

TEST(XlCfgSyntax, Quoting) {
    auto s = parse("a = \"it's\"\nb = 'say \"hi\"'\nc = \"\"\nd = '#not a comment'\n");
    ASSERT_EQ(s.size(), 4U);
    EXPECT_EQ(s[0].value.atom.text, "it's");
    EXPECT_EQ(s[1].value.atom.text, "say \"hi\"");
    EXPECT_EQ(s[2].value.atom.text, "");
    EXPECT_EQ(s[3].value.atom.text, "#not a comment");
}

TEST(XlCfgSyntax, Escapes) {
    auto s = parse(R"(a = "q\"s\'b\\n\n t\t")"
                   "\n"
                   R"(b = '\a\b\f\r\v')"
                   "\n"
                   R"(c = "\x41\x7e\101\7\0101")"
                   "\n"
                   R"(d = 'caf\xc3\xa9')");
    ASSERT_EQ(s.size(), 4U);
    EXPECT_EQ(s[0].value.atom.text, "q\"s'b\\n\n t\t");
    EXPECT_EQ(s[1].value.atom.text, "\a\b\f\r\v");
    EXPECT_EQ(s[2].value.atom.text, "A~A\a\b1"); // \0101 is \010 then '1'

    EXPECT_EQ(s[3].value.atom.text, "caf\xc3\xa9");
}

TEST(XlCfgSyntax, ListsAcrossLinesWithCommentsAndTrailingComma) {
    auto s = parse("disk = [\n"
                   "  'a', # first\n"
                   "\n"
                   "  \"b\"  ,\n"
                   "  3,\n"
                   "]\n"
                   "vif = []\n"
                   "x = [ 'one' ]\n"
                   "y = [\n]\n");
    ASSERT_EQ(s.size(), 4U);
    ASSERT_TRUE(s[0].value.is_list);
    EXPECT_EQ(items(s[0]), (std::vector<std::string>{"a", "b", "3"}));
    EXPECT_EQ(s[0].line, 1U);
    EXPECT_EQ(s[0].value.items[0].line, 2U);
    EXPECT_EQ(s[0].value.items[1].line, 4U);
    EXPECT_EQ(s[0].value.items[2].line, 5U);
    EXPECT_TRUE(s[1].value.is_list);
    EXPECT_TRUE(s[1].value.items.empty());
    EXPECT_EQ(items(s[2]), (std::vector<std::string>{"one"}));
    EXPECT_TRUE(s[3].value.items.empty());
    EXPECT_EQ(s[3].line, 9U);
}

TEST(XlCfgSyntax, CarriageReturnNewlineEndsALine) {
    auto s = parse("name = 'a'\r\ndisk = [ 'x',\r\n 'y' ]\r\n");
    ASSERT_EQ(s.size(), 2U);
    EXPECT_EQ(items(s[1]), (std::vector<std::string>{"x", "y"}));
    EXPECT_EQ(s[1].value.items[1].line, 3U);
}

TEST(XlCfgSyntax, ALaterSettingReplacesAnEarlierOne) {
    auto s = parse("a = 1\nb = 2\na = [ 'x' ]\n");
    ASSERT_EQ(s.size(), 2U); // ordered by the line of the value that took effect
    EXPECT_EQ(s[0].key, "b");
    EXPECT_EQ(s[1].key, "a");
    EXPECT_TRUE(s[1].value.is_list);
    EXPECT_EQ(s[1].line, 3U);
    EXPECT_FALSE(s[1].appended);
}

TEST(XlCfgSyntax, AppendConcatenatesStringsAndLists) {
    auto s = parse("extra = 'a'\nextra += ' b'\ndisk = ['x']\ndisk += ['y', 'z']\nnew += 'n'\n");
    ASSERT_EQ(s.size(), 3U);
    EXPECT_EQ(s[0].key, "extra");
    EXPECT_EQ(s[0].value.atom.text, "a b");
    EXPECT_TRUE(s[0].appended);
    EXPECT_EQ(s[0].line, 2U);
    EXPECT_EQ(items(s[1]), (std::vector<std::string>{"x", "y", "z"}));
    EXPECT_EQ(s[2].value.atom.text, "n"); // nothing before: as a plain setting
    EXPECT_TRUE(s[2].appended);
}

TEST(XlCfgSyntax, Errors) {
    EXPECT_EQ(error_of("name = \"abc\n"), "t.cfg:1: name: unterminated string");
    EXPECT_EQ(error_of("\n\nname = 'abc"), "t.cfg:3: name: unterminated string");
    EXPECT_EQ(error_of("name = 'abc\\\n'"), "t.cfg:1: name: unterminated string");
    EXPECT_EQ(error_of("disk = [ 'a',\n 'b'\n"),
              "t.cfg:1: disk: unterminated list (no \"]\" for the \"[\" on this line)");
    EXPECT_EQ(error_of("x = 1\ndisk = [\n"),
              "t.cfg:2: disk: unterminated list (no \"]\" for the \"[\" on this line)");
    EXPECT_EQ(error_of("disk = [ 'a' ]]"), "t.cfg:1: disk: unexpected \"]\" after the value");
    EXPECT_EQ(error_of("disk = [ [ 'a' ] ]"),
              "t.cfg:1: disk: [0]: a list inside a list is not supported");
    EXPECT_EQ(error_of("disk = [ 'a',\n [ 'b' ] ]"),
              "t.cfg:2: disk: [1]: a list inside a list is not supported");
    EXPECT_EQ(error_of("disk = [ , ]"), "t.cfg:1: disk: [0]: missing value before \",\"");
    EXPECT_EQ(error_of("disk = [ 'a',, ]"), "t.cfg:1: disk: [1]: missing value before \",\"");
    EXPECT_EQ(error_of("disk = [ 'a' 'b' ]"),
              "t.cfg:1: disk: [0]: expected \",\" or \"]\" after the value, found \"'b'\"");
    EXPECT_EQ(error_of("disk = [ 'a'\nname = 'x' ]"),
              "t.cfg:2: disk: [0]: expected \",\" or \"]\" after the value, found \"name\"");
    EXPECT_EQ(error_of("disk = [ 'a', ; ]"), "t.cfg:1: disk: [1]: expected a value, found \";\"");
    EXPECT_EQ(error_of("disk = [ a ]"),
              "t.cfg:1: disk: [0]: \"a\" is not a number or a quoted string");
    EXPECT_EQ(error_of("memory 256"),
              "t.cfg:1: memory: expected \"=\" after the key, found \"256\"");
    EXPECT_EQ(error_of("memory\n= 256"),
              "t.cfg:1: memory: expected \"=\" after the key, found the end of the line");
    EXPECT_EQ(error_of("memory"),
              "t.cfg:1: memory: expected \"=\" after the key, found the end of the file");
    EXPECT_EQ(error_of("memory =\n256"), "t.cfg:1: memory: missing value");
    EXPECT_EQ(error_of("memory = ;"), "t.cfg:1: memory: missing value");
    EXPECT_EQ(error_of("memory ="), "t.cfg:1: memory: missing value");
    EXPECT_EQ(error_of("memory = ]"), "t.cfg:1: memory: expected a value, found \"]\"");
    EXPECT_EQ(error_of("memory = 256M"),
              "t.cfg:1: memory: \"256M\" is not a number or a quoted string");
    EXPECT_EQ(error_of("memory = 1.5"),
              "t.cfg:1: memory: \"1.5\" is not a number or a quoted string");
    EXPECT_EQ(error_of("name = foo"), "t.cfg:1: name: \"foo\" is not a number or a quoted string");
    EXPECT_EQ(error_of("kernel = os.path.join('a')"),
              "t.cfg:1: kernel: \"os.path.join\" is not a number or a quoted string");
    EXPECT_EQ(error_of("name = \"a\" \"b\""),
              "t.cfg:1: name: unexpected \"\\\"b\\\"\" after the value");
    EXPECT_EQ(error_of("memory = 256 MiB"), "t.cfg:1: memory: unexpected \"MiB\" after the value");
    EXPECT_EQ(error_of("Memory = 5"),
              "t.cfg:1: \"Memory\" is not a key (keys are a-z, 0-9, \".\" and \"_\", starting "
              "with a letter)");
    EXPECT_EQ(error_of("1x = 5"), "t.cfg:1: expected KEY = VALUE, found \"1x\"");
    EXPECT_EQ(error_of("= 5"), "t.cfg:1: expected KEY = VALUE, found \"=\"");
    EXPECT_EQ(error_of("'name' = 5"), "t.cfg:1: expected KEY = VALUE, found \"'name'\"");
    EXPECT_EQ(error_of("[ 'a' ]"), "t.cfg:1: expected KEY = VALUE, found \"[\"");
    EXPECT_EQ(error_of("x = 1\n  (a)"), "t.cfg:2: unexpected character \"(\"");
    EXPECT_EQ(error_of("vcpus-max = 2"), "t.cfg:1: vcpus: unexpected character \"-\"");
    EXPECT_EQ(error_of("a + 1"), "t.cfg:1: a: unexpected character \"+\"");
    EXPECT_EQ(error_of("a = 1\r"), "t.cfg:1: a: unexpected character \"\\x0d\"");
    EXPECT_EQ(error_of("name = \"a\\qb\""),
              "t.cfg:1: name: unknown escape: backslash before \"q\"");
    EXPECT_EQ(error_of("name = \"\\x4\""), "t.cfg:1: name: escape \\x needs two hex digits");
    EXPECT_EQ(error_of("name = \"\\xg0\""), "t.cfg:1: name: escape \\x needs two hex digits");
    EXPECT_EQ(error_of("name = \"\\400\""), "t.cfg:1: name: octal escape above \\377");
    EXPECT_EQ(error_of("name = \"a\\0\""), "t.cfg:1: name: NUL byte in a string");
    EXPECT_EQ(error_of("name = \"a\\x00\""), "t.cfg:1: name: NUL byte in a string");
    EXPECT_EQ(error_of("name = \"a\\000b\""), "t.cfg:1: name: NUL byte in a string");
    EXPECT_EQ(error_of("disk = ['a']\ndisk += 'b'"),
              "t.cfg:2: disk: \"+=\" cannot add a list to a string or a string to a list");
    EXPECT_EQ(error_of("extra = 'a'\nextra += ['b']"),
              "t.cfg:2: extra: \"+=\" cannot add a list to a string or a string to a list");
}

TEST(XlCfgSyntax, KeysAreCheckedAsTheyAreRead) {
    EXPECT_EQ(error_of("name = 'a'\ncolour = 'red'\n"), "t.cfg:2: colour: unknown key");
    EXPECT_EQ(error_of("colour = 'red'\nname = 'a\n"), "t.cfg:1: colour: unknown key");
    EXPECT_EQ(error_of("name = 'a\ncolour = 'red'\n"), "t.cfg:1: name: unterminated string");
    EXPECT_EQ(error_of("colour\n"), "t.cfg:1: colour: unknown key");
}

TEST(XlCfgSyntax, NulBytes) {
    using namespace std::string_literals;
    EXPECT_EQ(error_of("name = 'a\0b'"s), "t.cfg:1: name: NUL byte in a string");
    EXPECT_EQ(error_of("name = 1\0"s), "t.cfg:1: name: unexpected character \"\\x00\"");
    EXPECT_EQ(error_of("\0"s), "t.cfg:1: unexpected character \"\\x00\"");
    // Inside a comment a NUL is skipped with the rest of the comment.
    EXPECT_EQ(parse("# a \0 b\nname = 'x'\n"s).size(), 1U);
}

TEST(XlCfgSyntax, HostileSizes) {
    const std::string mb(1 << 20, 'a');
    auto s = parse("cmdline = \"" + mb + "\"\n");
    ASSERT_EQ(s.size(), 1U);
    EXPECT_EQ(s[0].value.atom.text.size(), mb.size());

    // A 1 MiB key: shown quoted and cut in the message.
    EXPECT_EQ(error_of(mb), "t.cfg:1: \"" + std::string(60, 'a') +
                                "...\": expected \"=\" after the key, found the end of the file");
    EXPECT_EQ(error_of("name = '" + mb), "t.cfg:1: name: unterminated string");
    EXPECT_EQ(error_of("name = " + std::string(1 << 20, '9') + "z"),
              "t.cfg:1: name: \"" + std::string(60, '9') +
                  "...\" is not a number or a quoted string");

    // Deep nesting stops at the first inner list, without recursion.
    EXPECT_EQ(error_of("disk = " + std::string(1 << 20, '[')),
              "t.cfg:1: disk: [0]: a list inside a list is not supported");

    std::string many = "disk = [";
    for (int i = 0; i < 100000; ++i)
        many += "'d',\n";
    many += "]";
    s = parse(many);
    ASSERT_EQ(s.size(), 1U);
    EXPECT_EQ(s[0].value.items.size(), 100000U);
    EXPECT_EQ(s[0].value.items.back().line, 100000U);

    std::string lines(1 << 20, '\n');
    EXPECT_EQ(error_of(lines + "x = ?"), "t.cfg:1048577: x: unexpected character \"?\"");
}

} // namespace
} // namespace pvisor::toolstack
