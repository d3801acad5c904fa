// valid_hostname: whether text is a syntactically valid host or domain name,
// Postfix's valid_hostname(): dot-separated labels of 1 to 63 bytes
// (letters, digits, '-' and '_'; '-' not first or last in a label), 255
// bytes in all, not made only of digits and dots. With `allow_utf8`
// (smtputf8_enable) a name that is well-formed UTF-8 may also have non-ASCII
// bytes in its labels; otherwise any byte >= 0x80 makes it invalid. Every
// caller (smtpd's restrictions, trivial-rewrite's resolver) uses this one
// definition, so both agree on what a valid name is.
//
//   util::ValidHostname("mail.example.com", false) == true
//   util::ValidHostname("123.456", false) == false
#pragma once

#include <string_view>

namespace util {

bool ValidHostname(std::string_view name, bool allow_utf8);

}  // namespace util
