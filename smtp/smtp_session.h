// smtp_session: one SMTP client session on a connected stream: greeting,
// EHLO (HELO when EHLO is refused), one mail transaction (MAIL, RCPT...,
// DATA, content, "."), QUIT. Per-recipient outcomes come back to the
// caller (smtp_deliver), which logs them and decides about the next host.
//
//   smtp::Message m = ...;                 // envelope, flags, content callback
//   smtp::SessionResult r = smtp::RunSession(stream, "mx.example[192.0.2.1]",
//                                            /*final_host=*/false, m, params);
//   for (i...) r.rcpts[i].outcome: kSent / kBounced / kSoft (try the next
//   host, or defer when none is left), with dsn and reason.
//
// Protocol details:
//   - PIPELINING when offered: MAIL, every RCPT and DATA in one write, the
//     replies read afterwards in order (RFC 2920); otherwise lock step.
//   - SIZE=N on MAIL when offered; a message larger than the server's
//     announced limit is bounced (5.3.4) without sending MAIL.
//   - BODY=8BITMIME for 8bit mail when offered; SMTPUTF8 on MAIL for mail
//     that needs it; when needed but not offered: bounce 5.6.7.
//   - DSN when offered: RET= ENVID= on MAIL, NOTIFY= ORCPT= on RCPT.
//   - Replies: 2xx on RCPT accepts the recipient; 4xx soft; 5xx bounce.
//     A failing greeting (4xx, or 5xx with smtp_skip_5xx_greeting on a
//     host that is not the last one), EHLO/HELO, MAIL or DATA reply applies
//     to every recipient; a 5xx there bounces them, a 4xx is soft.
//   - Lost connections and timeouts are soft ("conversation with H timed
//     out while sending MAIL FROM", "lost connection with H while ...").
//     After the final "." a lost reply says "message may be sent more
//     than once".
// Reasons look like Postfix's: "host mx.example[192.0.2.1] said: 550 5.1.1
// <bob@example.com>: Recipient address rejected (in reply to RCPT TO
// command)".
//
// TLS (SessionSecurity::tls, see smtp_tls.h for the levels): after the
// EHLO reply, STARTTLS when the level asks and the server offers it (or
// the handshake before the greeting in wrappermode); input the server sent
// before the handshake is dropped; then EHLO again under TLS. A required
// TLS the server does not offer, refuses ("TLS is required, but host H
// refused to start TLS: 454 ..."), or a failed handshake ("Cannot start
// TLS: handshake failure") is a soft failure of every recipient; at level
// may a failed handshake sets SessionResult::retry_plaintext instead, and
// the caller connects again without TLS. A certificate the level does not
// accept: "Server certificate not trusted" / "... not verified" (4.7.5).
// With smtp_tls_loglevel >= 1: "Verified TLS connection established to
// host[addr]:port: TLSv1.3 with cipher ...".
//
// LMTP (SessionParams::lmtp, lmtp(8)): LHLO instead of EHLO, with no HELO
// fallback; a refused LHLO is "host H refused to talk to me: 421 ...";
// after the final "." the server gives one reply per accepted recipient,
// in RCPT order, and each recipient gets its own outcome ("host H said:
// 452 ... (in reply to end of DATA command)"). A reply that never comes
// (the server hangs up, times out or sends garbage) leaves the recipients
// still waiting soft, "... message may be sent more than once"; replies
// beyond the accepted recipients are not read as theirs.
//
// SASL (SessionSecurity::sasl, smtp_sasl.h): after the last EHLO, when
// the server offers AUTH: AUTH PLAIN with its initial response, or AUTH
// LOGIN's two steps; 235 goes on to MAIL; anything else is "SASL
// authentication failed; server H said: 535 ..." for every recipient.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "global/deliver_status.h"
#include "global/smtp_data.h"
#include "global/smtp_reply.h"
#include "smtp/smtp_sasl.h"
#include "smtp/smtp_tls.h"
#include "smtp/smtp_xforward.h"
#include "util/status.h"
#include "util/stream.h"

namespace smtp {

struct Timeouts {  // seconds
  int helo = 300;  // greeting and EHLO/HELO
  int mail = 300;
  int rcpt = 300;
  int data_init = 120;
  int data_xfer = 180;
  int data_done = 600;
  int quit = 300;
  int xforward = 300;  // smtp_xforward_timeout
};

struct SessionParams {
  std::string helo_name = "localhost";
  Timeouts timeouts;
  size_t line_length_limit = 998;
  bool skip_5xx_greeting = true;
  bool never_send_ehlo = false;
  bool skip_quit_response = true;
  bool lmtp = false;  // LMTP (RFC 2033): see below
};

struct MessageRecipient {
  std::string address;    // as sent (generic maps applied), internal form
  std::string dsn_orcpt;  // "rfc822;addr" or ""
  int dsn_notify = 0;     // queue_file::DsnNotify bits
};

struct Message {
  std::string sender;  // as sent, internal form; empty for <>
  std::vector<MessageRecipient> recipients;
  long long size = 0;
  bool eight_bit = false;
  bool smtputf8 = false;  // the message needs SMTPUTF8
  int dsn_ret = 0;        // 1 FULL, 2 HDRS, 0 unspecified
  std::string dsn_envid;
  // smtp_send_xforward_command: the original client, sent with XFORWARD
  // before MAIL when the server offers it (smtp_xforward.h); a refusal
  // applies to every recipient like one of MAIL.
  std::optional<smtp_xforward::Attrs> xforward;
  // Writes the content lines (the session adds the final ".").
  std::function<util::Status(smtp_data::DataWriter&)> content;
};

enum class Outcome { kNone, kSent, kBounced, kSoft };

struct RecipientResult {
  Outcome outcome = Outcome::kNone;
  std::string dsn;
  std::string reason;
  // The server's own refusal, for the DSN's Remote-MTA and Diagnostic-Code
  // (empty when the outcome is not a reply of the server's).
  deliver_status::Remote remote;
};

struct SessionResult {
  std::vector<RecipientResult> recipients;  // index-aligned with Message::recipients
  bool greeted = false;                     // the server answered the greeting with 2xx
  bool retry_plaintext = false;             // level may: the TLS handshake failed
  // SessionReuse::keep: the session ended without QUIT, ready for another
  // transaction; `ehlo` is what the server offered.
  bool kept = false;
  smtp_reply::Ehlo ehlo;
  // A resumed session that failed before the server said anything: the
  // cached connection was dead (the caller connects anew).
  bool stale = false;
};

// Connection reuse (smtp_reuse.h). `resumed`: the connection comes from
// the cache, already greeted and past EHLO with these features; the
// session starts at MAIL FROM. `keep`: when the transaction ran to its end
// (the reply to the final "."), the session ends without QUIT and is
// reported kept, unless it used TLS or authenticated.
struct SessionReuse {
  const smtp_reply::Ehlo* resumed = nullptr;
  bool keep = false;
};

struct SessionSecurity {
  const TlsSession* tls = nullptr;    // null: no TLS
  const SaslSession* sasl = nullptr;  // null: no AUTH
  std::string peer;                   // "name[address]:port" for the TLS log lines
};

// `host` is "name[address]" for messages.
SessionResult RunSession(util::Stream& conn, const std::string& host, bool final_host,
                         const Message& msg, const SessionParams& params,
                         const SessionSecurity& security = {}, const SessionReuse& reuse = {});

// The MAIL FROM and RCPT TO command lines (without CR LF) as sent; exposed
// for the unit tests.
struct Offered {
  bool size = false, eight_bit_mime = false, smtputf8 = false, dsn = false;
};
std::string MailCommand(const Message& msg, const Offered& offered);
std::string RcptCommand(const MessageRecipient& r, const Offered& offered);

}  // namespace smtp
