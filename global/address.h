// address: mail addresses in Postfix's two forms, and address lists in
// message headers.
//
// Internal form: the local part unquoted ("john smith@example.com"), as
// stored in queue files and looked up in tables. External form: quoted as
// RFC 5321/5322 require ("\"john smith\"@example.com"), as written in SMTP
// commands and headers. Quote/Unquote convert between them.
//
// ParseAddressList extracts the addresses of a header value such as
//   Alice <alice@example.com>, "Bob, Jr." <bob@example.net>, carol@x (Carol),
//   undisclosed-recipients:;
// giving {"alice@example.com", "bob@example.net", "carol@x"} in internal
// form: display names, comments, group syntax and source routes are
// dropped; an empty group gives nothing. It never fails: what cannot be an
// address is skipped, as Postfix's cleanup does with junk in headers.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace address {

// Splits at the last '@': ("user@domain" -> "user", "domain"); no '@' gives
// the whole text as local part and an empty domain.
struct Parts {
  std::string local;
  std::string domain;
  bool has_at = false;
};
Parts Split(std::string_view addr);

// Internal -> external (RFC 5322 quoting of the local part when needed).
std::string Quote(std::string_view internal);
// External -> internal (removes quotes and backslash escapes).
std::string Unquote(std::string_view external);

// Addresses from a header value (To:, Cc:, From: ...), internal form.
std::vector<std::string> ParseAddressList(std::string_view header_value);

// A header line split into name and value ("To: a@b" -> "To", " a@b");
// false when the line is not a header ("name:" with printable name chars).
bool SplitHeader(std::string_view line, std::string_view* name, std::string_view* value);

}  // namespace address
