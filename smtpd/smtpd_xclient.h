// smtpd_xclient: the pure part of the XFORWARD and XCLIENT commands
// (Postfix's XFORWARD_README and XCLIENT_README): parsing and checking
// their attributes, and the forwarded client of XFORWARD. smtpd.cpp
// decides who may send them (smtpd_authorized_xforward_hosts,
// smtpd_authorized_xclient_hosts) and applies them.
//
//   std::vector<smtpd_xclient::Attr> attrs;
//   if (auto bad = smtpd_xclient::Parse(smtpd_xclient::Kind::kXforward, args, &attrs))
//     reply(*bad);                        // "501 5.5.4 Bad ADDR syntax: 300.1.1.1"
//   else { forward.Apply(attrs); reply("250 2.0.0 Ok"); }
//
// Syntax: "XFORWARD NAME=value ADDR=value ...": names case-insensitive,
// values xtext (RFC 3461) of at most 255 bytes; "[UNAVAILABLE]" (and for
// XCLIENT NAME and REVERSE_NAME "[TEMPUNAVAIL]") say the information is
// unavailable. Decoded values have control characters and the characters
// that could break a header or a log line (space < > ( ) \ " ; @) replaced
// by '?', as Postfix's printable() and neuter(). A command is checked whole
// before any of it is applied (Postfix applies the attributes before the
// bad one). The replies, as Debian's Postfix 3.7 gives them:
//   501 5.5.4 Error: attribute=value expected       (no '=')
//   501 5.5.4 Error: attribute value too long        (over 255 bytes)
//   501 5.5.4 Bad NAME syntax: VALUE                 (bad xtext: the raw value)
//   501 5.5.4 Bad XFORWARD attribute name: NAME      (unknown or empty name)
//   501 5.5.4 Bad NAME|ADDR|PORT|PROTO|SOURCE|HELO syntax: VALUE
// NAME and REVERSE_NAME must be host names (util/valid_hostname.h), ADDR
// and DESTADDR IPv4 or IPv6 addresses (IPv6 with or without "IPv6:"),
// PORT and DESTPORT at most five digits, XFORWARD PROTO at most 64 bytes,
// XCLIENT PROTO SMTP or ESMTP, XCLIENT HELO at most 255 bytes, SOURCE
// LOCAL or REMOTE.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace smtpd_xclient {

enum class Kind { kXforward, kXclient };

// The EHLO keywords, with the attribute names each implementation takes.
inline constexpr std::string_view kXclientKeyword =
    "XCLIENT NAME ADDR PROTO HELO REVERSE_NAME PORT LOGIN DESTADDR DESTPORT";
inline constexpr std::string_view kXforwardKeyword =
    "XFORWARD NAME ADDR PROTO HELO SOURCE PORT IDENT";

// One checked attribute.
struct Attr {
  std::string name;   // upper-case: NAME, ADDR, ...
  std::string value;  // decoded and checked; normalized for ADDR, PROTO, SOURCE
  // 0: a value; 5: [UNAVAILABLE]; 4: [TEMPUNAVAIL] (XCLIENT NAME, REVERSE_NAME)
  int unavailable = 0;
};

// Parses the arguments of XFORWARD or XCLIENT (after the command word).
// Returns the 501 reply for the first bad attribute, or nullopt and *out.
// Empty args are the caller's "501 5.5.4 Syntax: XFORWARD attribute=value...".
std::optional<std::string> Parse(Kind kind, std::string_view args, std::vector<Attr>* out);

// The client XFORWARD describes, until the end of the transaction. The
// first XFORWARD presets every attribute to Postfix's "unknown" values;
// later ones change only what they name.
struct Forward {
  bool active = false;       // an XFORWARD was accepted
  bool client_attr = false;  // NAME, ADDR, PORT, PROTO or HELO was given
  std::string name, addr, port, proto;
  std::string helo;     // empty: none
  std::string ident;    // IDENT: the up-stream queue ID; empty: none
  std::string context;  // SOURCE as "local" / "remote"; empty: not given
  void Apply(const std::vector<Attr>& attrs);
  // "name[addr]" (":port" with smtpd_client_port_logging), or the name
  // alone when the address is unknown, as Postfix's orig_client=.
  std::string NamAddr(bool port_logging) const;
};

}  // namespace smtpd_xclient
