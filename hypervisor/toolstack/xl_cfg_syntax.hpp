// xl_cfg_syntax.hpp: the syntax of xl domain config files (libxlu's grammar) into settings.
#pragma once

#include "result.hpp"

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace pvisor::toolstack {

// One string of a value: a quoted string (escapes resolved) or a bare number, which xl keeps
// as text too; a key's meaning decides whether the text must be a number.
struct XlAtom {
    std::string text;
    unsigned line = 0;
};

// A setting's value: one atom or a list of atoms. xl's grammar also allows lists inside lists,
// which no key pvisor reads takes: they are refused where they occur.
struct XlValue {
    bool is_list = false;
    XlAtom atom;               // when !is_list
    std::vector<XlAtom> items; // when is_list
};

// The effective setting of one key.
struct XlSetting {
    std::string key;
    XlValue value;
    unsigned line = 0;     // the line of the value that took effect last
    bool appended = false; // that value was added with "+=" to an earlier one
};

// Decides whether a key may be set; on false `why` says why ("unknown key").
using XlKeyCheck = std::function<bool(std::string_view key, std::string& why)>;

// Parses a whole config file as libxlu does (tools/libs/util/libxlu_cfg_{l.l,y.y}):
//  - `KEY = VALUE` or `KEY += VALUE`, ended by a newline, ';' or the end of the file;
//    KEY is [a-z][a-z0-9._]*; a newline may not come between KEY, '=' and VALUE;
//  - VALUE is 'single' or "double" quoted (no newline inside; escapes \" \' \\ \a \b \f \n
//    \r \t \v, \xHH and \OOO octal, none of them a NUL), a bare number [0-9][0-9a-fx]*, or
//    a list `[ VALUE, ... ]` whose items may sit on several lines, with a trailing comma
//    allowed and comments between them;
//  - '#' starts a comment that ends at the end of the line;
//  - a key set twice takes the later value; `+=` appends to the earlier string or list.
// Deviations from xl, all towards accepting what xl refuses by accident or refusing what
// xl mis-reads: "\r\n" ends a line like "\n"; a comment may end the file without a newline;
// \xHH and \OOO work as xl's documentation means them (xl's code misreads both); a NUL
// byte outside a comment and a list inside a list are errors.
// Keys are checked with `check` as they are read, so the first error in the file is the one
// reported. On failure `error` is "SOURCE:LINE: KEY: why" (or "SOURCE:LINE: why" where no
// key is being set). The settings come back ordered by line.
[[nodiscard]] Result<std::vector<XlSetting>> parse_xl_cfg_syntax(std::string_view source,
                                                                 std::string_view text,
                                                                 const XlKeyCheck& check,
                                                                 std::string& error);

} // namespace pvisor::toolstack
