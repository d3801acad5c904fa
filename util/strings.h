// strings: small string helpers shared by every layer (no mail knowledge).
//
// Splitting follows Postfix's list syntax: SplitList("a, b\tc") gives
// {"a","b","c"} (separators are commas and white space, empty items
// dropped). Number parsers return std::nullopt on any malformed input rather
// than guessing; ParseTime/ParseSize accept Postfix's unit suffixes.
#pragma once

#include <cstdarg>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace util {

std::string StrFormat(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
std::string StrVFormat(const char* fmt, va_list ap);

std::string_view Trim(std::string_view s);
std::string_view TrimLeft(std::string_view s);
std::string_view TrimRight(std::string_view s);
std::string Lowercase(std::string_view s);
std::string Uppercase(std::string_view s);
bool EqualsIgnoreCase(std::string_view a, std::string_view b);
bool IsSpace(char c);

// Items separated by any of `seps`, empty items dropped.
std::vector<std::string> SplitAny(std::string_view s, std::string_view seps);
// Postfix list syntax: separators are ", \t\r\n".
std::vector<std::string> SplitList(std::string_view s);
// Splits on one character, keeping empty items ("a::b" -> a, "", b).
std::vector<std::string> Split(std::string_view s, char sep);
std::string Join(const std::vector<std::string>& items, std::string_view sep);

// One or more ASCII digits and nothing else.
bool AllDigits(std::string_view s);
// Decimal integer, optional sign, no trailing junk.
std::optional<long long> ParseInt(std::string_view s);
// Postfix time value: a number with an optional unit s, m, h, d, w
// (default unit given by `default_unit`); result in seconds.
std::optional<long long> ParseTime(std::string_view s, char default_unit = 's');
// "yes"/"no" (case-insensitive); Postfix also accepts "true"/"false".
std::optional<bool> ParseBool(std::string_view s);

// Escapes control and non-printable bytes as \ooo for logging untrusted text.
std::string Printable(std::string_view s);
// The same with CR, LF and TAB as \r, \n and \t (Postfix's logging of
// client input, e.g. "improper command pipelining after DATA ...: QUIT\r\n").
std::string CEscape(std::string_view s);
// The reverse, as Postfix's unescape() for parameters such as
// smtpd_expansion_filter: \a \b \f \n \r \t \v, \ooo (1-3 octal digits),
// and a backslash before any other character stands for that character.
std::string Unescape(std::string_view s);

// Control characters are the bytes 0x00-0x1f and 0x7f (tab included).
bool IsControl(unsigned char c);
bool HasControl(std::string_view s);
// A copy with every control character replaced by `with`.
std::string ReplaceControls(std::string_view s, char with = '?');
// Every byte printable US-ASCII (0x20-0x7e): what Postfix's allprint() asks
// of decoded DSN parameters (ENVID, ORCPT).
bool AllPrintableAscii(std::string_view s);

// The length of the multi-byte UTF-8 sequence at s[i] (2..4), or 0 when
// none starts there (ASCII, a stray continuation byte, an overlong form, a
// surrogate, beyond U+10FFFF, truncated).
size_t Utf8Length(std::string_view s, size_t i);
// Every byte ASCII or part of a well-formed UTF-8 sequence.
bool ValidUtf8(std::string_view s);

}  // namespace util
