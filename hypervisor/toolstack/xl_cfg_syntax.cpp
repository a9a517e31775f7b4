// xl_cfg_syntax.cpp: lexer and parser for xl's config file grammar (first error wins).
#include "xl_cfg_syntax.hpp"

#include "error_quote.hpp"
#include "xl_number.hpp"

#include <algorithm>
#include <map>

namespace pvisor::toolstack {

namespace {

enum class Tok {
    ident,    // [a-z][a-z0-9._]*
    number,   // [0-9][0-9a-fx]*
    bad_word, // any other run of [A-Za-z0-9._]: neither a key nor a number
    string,
    comma,
    open,
    close,
    assign,
    append,
    semicolon,
    newline,
    end,
};

struct Token {
    Tok kind = Tok::end;
    std::string_view raw; // as written
    std::string text;     // ident, number: as written; string: escapes resolved
    unsigned line = 1;
};

bool is_word_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_';
}

bool is_ident(std::string_view w) {
    if (w.empty() || w[0] < 'a' || w[0] > 'z')
        return false;
    return std::all_of(w.begin(), w.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_';
    });
}

bool is_number(std::string_view w) {
    if (w.empty() || w[0] < '0' || w[0] > '9')
        return false;
    return std::all_of(w.begin(), w.end(), [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || c == 'x';
    });
}

// The value of a \xHH or \OOO escape whose first byte after the backslash is inner[i]; moves
// i past it. False with `why` for a malformed one.
bool numeric_escape(std::string_view inner, std::size_t& i, unsigned& value, std::string& why) {
    if (inner[i] == 'x') {
        const int hi = i + 1 < inner.size() ? hex_digit_value(inner[i + 1]) : -1;
        const int lo = i + 2 < inner.size() ? hex_digit_value(inner[i + 2]) : -1;
        if (hi < 0 || lo < 0) {
            why = "escape \\x needs two hex digits";
            return false;
        }
        value = static_cast<unsigned>(hi * 16 + lo);
        i += 3;
        return true;
    }
    if (inner[i] < '0' || inner[i] > '7') {
        why = "unknown escape: backslash before " + quoted(inner.substr(i, 1));
        return false;
    }
    value = 0;
    for (int n = 0; n < 3 && i < inner.size() && inner[i] >= '0' && inner[i] <= '7'; ++n)
        value = value * 8 + static_cast<unsigned>(inner[i++] - '0');
    if (value > 255) {
        why = "octal escape above \\377";
        return false;
    }
    return true;
}

// The text between the quotes of a string token, escapes resolved. `inner` never ends in a
// lone backslash (the lexer pairs each backslash with the byte after it).
bool unescape(std::string_view inner, std::string& out, std::string& why) {
    static constexpr std::string_view kNamed = "\"'\\abfnrtv";
    static constexpr std::string_view kMeans = "\"'\\\a\b\f\n\r\t\v";
    out.clear();
    out.reserve(inner.size());
    for (std::size_t i = 0; i < inner.size();) {
        const char c = inner[i++];
        unsigned value = static_cast<unsigned char>(c);
        if (c == '\\') {
            if (const std::size_t k = kNamed.find(inner[i]); k != std::string_view::npos) {
                value = static_cast<unsigned char>(kMeans[k]);
                ++i;
            } else if (!numeric_escape(inner, i, value, why)) {
                return false;
            }
        }
        if (value == 0) {
            why = "NUL byte in a string";
            return false;
        }
        out += static_cast<char>(value);
    }
    return true;
}

// The token a one-byte mark stands for; Tok::end for none.
Tok punctuation(char c) {
    switch (c) {
    case '\n':
        return Tok::newline;
    case ',':
        return Tok::comma;
    case '[':
        return Tok::open;
    case ']':
        return Tok::close;
    case '=':
        return Tok::assign;
    case ';':
        return Tok::semicolon;
    default:
        return Tok::end;
    }
}

class Lexer {
  public:
    explicit Lexer(std::string_view text) : m_text(text) {}

    // The next token; false on a lexical error (`why`, at line()).
    bool next(Token& tok, std::string& why);
    [[nodiscard]] unsigned line() const { return m_line; }

  private:
    bool string(Token& tok, std::string& why);

    std::string_view m_text;
    std::size_t m_pos = 0;
    unsigned m_line = 1;
};

bool Lexer::next(Token& tok, std::string& why) {
    for (;;) {
        tok.line = m_line;
        tok.text.clear();
        if (m_pos >= m_text.size()) {
            tok.kind = Tok::end;
            tok.raw = {};
            return true;
        }
        const std::size_t start = m_pos;
        const char c = m_text[m_pos];
        if (c == ' ' || c == '\t') {
            ++m_pos;
            continue;
        }
        if (c == '#') { // up to (not including) the newline, or the end of the file
            const std::size_t nl = m_text.find('\n', m_pos);
            m_pos = nl == std::string_view::npos ? m_text.size() : nl;
            continue;
        }
        if (c == '\r' && m_pos + 1 < m_text.size() && m_text[m_pos + 1] == '\n') {
            ++m_pos;
            continue;
        }
        if (c == '"' || c == '\'')
            return string(tok, why);
        if (is_word_char(c)) {
            while (m_pos < m_text.size() && is_word_char(m_text[m_pos]))
                ++m_pos;
            tok.raw = m_text.substr(start, m_pos - start);
            tok.kind = is_ident(tok.raw)    ? Tok::ident
                       : is_number(tok.raw) ? Tok::number
                                            : Tok::bad_word;
            tok.text = std::string(tok.raw);
            return true;
        }
        const bool append = c == '+' && m_pos + 1 < m_text.size() && m_text[m_pos + 1] == '=';
        tok.kind = append ? Tok::append : punctuation(c);
        if (tok.kind == Tok::end) {
            why = "unexpected character " + quoted(m_text.substr(start, 1));
            return false;
        }
        m_pos += append ? 2 : 1;
        if (tok.kind == Tok::newline)
            ++m_line;
        tok.raw = m_text.substr(start, m_pos - start);
        return true;
    }
}

bool Lexer::string(Token& tok, std::string& why) {
    const char quote = m_text[m_pos];
    std::size_t i = m_pos + 1;
    for (;;) {
        if (i >= m_text.size() || m_text[i] == '\n') {
            why = "unterminated string";
            return false;
        }
        if (m_text[i] == quote)
            break;
        if (m_text[i] == '\\') {
            if (i + 1 >= m_text.size() || m_text[i + 1] == '\n') {
                why = "unterminated string";
                return false;
            }
            ++i;
        }
        ++i;
    }
    tok.kind = Tok::string;
    tok.raw = m_text.substr(m_pos, i + 1 - m_pos);
    m_pos = i + 1;
    return unescape(tok.raw.substr(1, tok.raw.size() - 2), tok.text, why);
}

// What the parser found, for "expected X, found Y".
std::string describe(const Token& t) {
    switch (t.kind) {
    case Tok::newline:
        return "the end of the line";
    case Tok::end:
        return "the end of the file";
    default:
        return quoted(t.raw);
    }
}

// A key in a message: as written when short (keys are [a-z0-9._]), else quoted and cut.
std::string key_text(std::string_view key) {
    return key.size() <= 64 ? std::string(key) : quoted(key);
}

class Parser {
  public:
    Parser(std::string_view source, std::string_view text, const XlKeyCheck& check,
           std::string& error)
        : m_source(source), m_lexer(text), m_check(check), m_error(error) {}

    bool run();
    [[nodiscard]] std::vector<XlSetting> take() &&;

  private:
    bool advance();
    bool skip_newlines();
    bool fail(unsigned line, std::string why);
    bool setting();
    bool value(XlValue& v);
    bool list(XlValue& v);
    bool item_error(std::size_t index);
    bool store(bool append, XlValue v, unsigned line);

    std::string_view m_source;
    Lexer m_lexer;
    const XlKeyCheck& m_check;
    std::string& m_error;
    Token m_tok;
    std::string m_key; // the key being set; empty between settings
    std::vector<XlSetting> m_settings;
    std::map<std::string, std::size_t, std::less<>> m_index;
};

bool Parser::fail(unsigned line, std::string why) {
    m_error = std::string(m_source) + ":" + std::to_string(line) + ": ";
    if (!m_key.empty())
        m_error += key_text(m_key) + ": ";
    m_error += why;
    return false;
}

bool Parser::advance() {
    std::string why;
    if (!m_lexer.next(m_tok, why))
        return fail(m_lexer.line(), std::move(why));
    return true;
}

bool Parser::skip_newlines() {
    while (m_tok.kind == Tok::newline) {
        if (!advance())
            return false;
    }
    return true;
}

bool Parser::run() {
    m_key.clear();
    if (!advance())
        return false;
    for (;;) {
        switch (m_tok.kind) {
        case Tok::end:
            std::stable_sort(
                m_settings.begin(), m_settings.end(),
                [](const XlSetting& a, const XlSetting& b) { return a.line < b.line; });
            return true;
        case Tok::newline:
        case Tok::semicolon:
            break;
        case Tok::ident:
            if (!setting()) // stops on the newline, ';' or end that ends the setting
                return false;
            m_key.clear();
            continue;
        case Tok::bad_word:
            return fail(m_tok.line, quoted(m_tok.raw) +
                                        " is not a key (keys are a-z, 0-9, \".\" and \"_\", "
                                        "starting with a letter)");
        default:
            return fail(m_tok.line, "expected KEY = VALUE, found " + describe(m_tok));
        }
        if (!advance())
            return false;
    }
}

std::vector<XlSetting> Parser::take() && {
    return std::move(m_settings);
}

bool Parser::setting() {
    m_key = m_tok.text;
    const unsigned key_line = m_tok.line;
    std::string why;
    if (!m_check(m_key, why))
        return fail(key_line, std::move(why));
    if (!advance())
        return false;
    if (m_tok.kind != Tok::assign && m_tok.kind != Tok::append)
        return fail(m_tok.line, "expected \"=\" after the key, found " + describe(m_tok));
    const bool append = m_tok.kind == Tok::append;
    if (!advance())
        return false;
    const unsigned value_line = m_tok.line;
    XlValue v;
    if (!value(v))
        return false;
    if (m_tok.kind != Tok::newline && m_tok.kind != Tok::semicolon && m_tok.kind != Tok::end)
        return fail(m_tok.line, "unexpected " + describe(m_tok) + " after the value");
    return store(append, std::move(v), value_line);
}

bool Parser::value(XlValue& v) {
    switch (m_tok.kind) {
    case Tok::string:
    case Tok::number:
        v.atom = XlAtom{std::move(m_tok.text), m_tok.line};
        return advance();
    case Tok::open:
        return list(v);
    case Tok::ident:
    case Tok::bad_word:
        return fail(m_tok.line, quoted(m_tok.raw) + " is not a number or a quoted string");
    case Tok::newline:
    case Tok::semicolon:
    case Tok::end:
        return fail(m_tok.line, "missing value");
    default:
        return fail(m_tok.line, "expected a value, found " + describe(m_tok));
    }
}

constexpr const char* kUnterminated = "unterminated list (no \"]\" for the \"[\" on this line)";

bool Parser::list(XlValue& v) {
    const unsigned open_line = m_tok.line;
    v.is_list = true;
    if (!advance())
        return false;
    for (;;) {
        if (!skip_newlines())
            return false;
        if (m_tok.kind == Tok::close)
            return advance();
        if (m_tok.kind == Tok::end)
            return fail(open_line, kUnterminated);
        if (m_tok.kind != Tok::string && m_tok.kind != Tok::number)
            return item_error(v.items.size());
        v.items.push_back(XlAtom{std::move(m_tok.text), m_tok.line});
        if (!advance() || !skip_newlines())
            return false;
        if (m_tok.kind == Tok::close)
            return advance();
        if (m_tok.kind == Tok::end)
            return fail(open_line, kUnterminated);
        if (m_tok.kind != Tok::comma)
            return fail(m_tok.line, "[" + std::to_string(v.items.size() - 1) +
                                        "]: expected \",\" or \"]\" after the value, found " +
                                        describe(m_tok));
        if (!advance())
            return false;
    }
}

// Whatever stands where list item `index` should be, when it is not a string or a number.
bool Parser::item_error(std::size_t index) {
    const std::string at = "[" + std::to_string(index) + "]: ";
    switch (m_tok.kind) {
    case Tok::open:
        return fail(m_tok.line, at + "a list inside a list is not supported");
    case Tok::comma:
        return fail(m_tok.line, at + "missing value before \",\"");
    case Tok::ident:
    case Tok::bad_word:
        return fail(m_tok.line, at + quoted(m_tok.raw) + " is not a number or a quoted string");
    default:
        return fail(m_tok.line, at + "expected a value, found " + describe(m_tok));
    }
}

// KEY = VALUE replaces an earlier setting of KEY; KEY += VALUE appends to it (string to
// string, list to list), as libxlu's xlu__cfg_set_store does.
bool Parser::store(bool append, XlValue v, unsigned line) {
    const auto it = m_index.find(m_key);
    if (it == m_index.end()) {
        m_index.emplace(m_key, m_settings.size());
        m_settings.push_back(XlSetting{m_key, std::move(v), line, append});
        return true;
    }
    XlSetting& s = m_settings[it->second];
    if (append) {
        if (s.value.is_list != v.is_list)
            return fail(line, "\"+=\" cannot add a list to a string or a string to a list");
        if (v.is_list) {
            for (auto& item : v.items)
                s.value.items.push_back(std::move(item));
        } else {
            s.value.atom.text += v.atom.text;
            s.value.atom.line = v.atom.line;
        }
    } else {
        s.value = std::move(v);
    }
    s.line = line;
    s.appended = append;
    return true;
}

} // namespace

Result<std::vector<XlSetting>> parse_xl_cfg_syntax(std::string_view source, std::string_view text,
                                                   const XlKeyCheck& check, std::string& error) {
    Parser parser(source, text, check, error);
    if (!parser.run())
        return Errc::invalid_argument;
    return std::move(parser).take();
}

} // namespace pvisor::toolstack
