// smtp_reply: the client side of the SMTP reply syntax (RFC 5321 4.2):
// reading multi-line replies, their enhanced status codes (RFC 3463), the
// EHLO keywords a server offers, and xtext (RFC 3461) for DSN parameters.
// The smtp delivery agent uses it; anything else that talks SMTP as a
// client (address verification, tests) can too.
//
//   smtp_reply::Reply r;
//   util::Status st = smtp_reply::Read(stream, &r);   // stream timeout applies
//   if (!st.ok()) ...            // timeout, lost connection, garbage
//   if (r.code / 100 == 2) ...
//   r.Text()                     // "550-5.1.1 first line 550 5.1.1 second"
//   r.dsn                        // "5.1.1" (empty when the server gave none)
//   smtp_reply::Ehlo e = smtp_reply::ParseEhlo(r);
//   if (e.pipelining) ...; if (e.size_limit > 0 && size > e.size_limit) ...
//
// A reply line is "NNN-text" (more lines follow) or "NNN text" / "NNN"
// (last line). Lines that do not start with three digits, or that change
// the code in the middle of a reply, are kInvalidArgument ("malformed
// reply"); a reply of more than max_lines lines is kResourceExhausted.
// Each line is limited to 4096 bytes (longer ones are truncated, as the
// RFC's 512 is widely exceeded by real servers).
#pragma once

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "util/status.h"
#include "util/stream.h"

namespace smtp_reply {

struct Reply {
  int code = 0;                    // 250, 451, 550 ...
  std::string dsn;                 // enhanced status code of the first line, or ""
  std::vector<std::string> lines;  // as received, without CR LF

  // The lines joined with single spaces, codes kept, as Postfix shows a
  // remote reply in logs and bounces.
  std::string Text() const;
  // The enhanced status code, or `fallback` with its class digit set from
  // the reply code when the server gave none ("4.0.0", "5.0.0", "2.0.0").
  std::string DsnOr(std::string_view fallback) const;
};

// Parses one line into *code, *last (no '-' after the code) and *dsn.
// False when the line does not start with a three-digit code.
bool ParseLine(std::string_view line, int* code, bool* last, std::string* dsn);

// Reads one whole reply.
util::Status Read(util::Stream& in, Reply* reply, size_t max_lines = 1000);

// What the EHLO reply announces (the first line is the greeting text).
struct Ehlo {
  bool pipelining = false;
  bool eight_bit_mime = false;
  bool smtputf8 = false;
  bool dsn = false;
  bool starttls = false;
  bool size = false;                         // SIZE offered
  long long size_limit = 0;                  // SIZE N (0: no limit announced)
  std::vector<std::string> auth_mechanisms;  // AUTH (and AUTH=) mechanisms
  std::set<std::string> xforward;            // XFORWARD attribute names, upper-cased
  std::set<std::string> keywords;            // every keyword, upper-cased
};
Ehlo ParseEhlo(const Reply& reply);

// RFC 3461 xtext: '+', '=', controls, space and non-ASCII as "+XX".
std::string XText(std::string_view text);
// The reverse (smtpd reading ENVID= and ORCPT=): "+2B" -> "+". nullopt on
// bad syntax ('+' not followed by two upper-case hex digits, '=', a
// control, space or non-ASCII byte).
std::optional<std::string> XTextDecode(std::string_view text);

}  // namespace smtp_reply
