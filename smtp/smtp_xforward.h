// smtp_xforward: the smtp client's side of XFORWARD (Postfix's
// smtp_send_xforward_command, XFORWARD_README): after EHLO (and STARTTLS,
// AUTH), before MAIL, tell a server that offers XFORWARD who the message
// really came from, so that the log of a content filter's re-injecting
// smtpd names the original client.
//
//   smtp_xforward::Settings x = smtp_xforward::Settings::FromConfig(cfg);
//   if (x.send) message.xforward = smtp_xforward::FromEnvelope(envelope);
//   // in the session, after the EHLO reply:
//   for (const smtp_xforward::Command& c : smtp_xforward::Commands(*message.xforward,
//                                                                  ehlo.xforward))
//     send c.line, read the reply (smtp_xforward_timeout); not 2xx: c.what
//     names the command in "(in reply to XFORWARD name/address command)".
//
// As Postfix's client: at most two commands, "XFORWARD NAME= ADDR= PORT="
// and "XFORWARD PROTO= HELO= IDENT= SOURCE=", each with only the
// attributes the server named in its EHLO reply, values as xtext,
// "[UNAVAILABLE]" for what the queue file does not know. The values are
// the queue file's log_* attributes (the client a previous XFORWARD
// named), else the client that connected to smtpd (client_name,
// client_address, client_port, protocol, helo_name); IDENT the message's
// log_ident (its first queue ID); SOURCE REMOTE when rewrite_context is
// remote, else LOCAL. Mail without a client (sendmail, bounces) has
// everything but IDENT and SOURCE unavailable; "unknown" is unavailable
// too, as in Postfix.
#pragma once

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "global/config.h"
#include "global/queue_file.h"

namespace smtp_xforward {

// smtp_send_xforward_command, smtp_xforward_timeout.
struct Settings {
  bool send = false;
  int timeout = 300;  // seconds
  static Settings FromConfig(const config::Config& cfg);
};

// The original client of a message; empty strings are unavailable.
struct Attrs {
  std::string name, addr, port, proto, helo, ident, source;  // source LOCAL / REMOTE
};
// `queue_id` is the IDENT of a message without log_ident (pickup's).
Attrs FromEnvelope(const queue_file::Envelope& env, std::string_view queue_id);

struct Command {
  std::string line;  // "XFORWARD NAME=mail.example ADDR=192.0.2.1"
  std::string what;  // "XFORWARD name/address", for the reason of a refusal
};
// The commands for what the server offers (upper-case attribute names);
// none when it offers nothing we have.
std::vector<Command> Commands(const Attrs& attrs, const std::set<std::string>& offered);

}  // namespace smtp_xforward
