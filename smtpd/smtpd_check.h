// smtpd_check: the SMTP server's access restrictions (Postfix's
// smtpd_check.c): smtpd_client_restrictions, smtpd_helo_restrictions,
// smtpd_sender_restrictions, smtpd_relay_restrictions,
// smtpd_recipient_restrictions, smtpd_data_restrictions,
// smtpd_end_of_data_restrictions, with smtpd_delay_reject,
// smtpd_restriction_classes and the access(5) table actions.
//
// The protocol engine (smtpd.cpp) owns the session; it fills in a
// Session as the dialogue goes and asks the Checker at each stage:
//
//   auto checker = smtpd_check::Checker::FromConfig(cfg);   // post_init
//   if (!checker.ok()) msg::FatalStatus(checker.status(), ...);
//   smtpd_check::Session s;  s.client_addr = "192.0.2.1"; ...
//   smtpd_check::Verdict v = checker->CheckClient(s);       // at connect
//   ...                       checker->CheckHelo(s);        // after HELO/EHLO
//   ...                       checker->CheckSender(s);      // MAIL FROM
//   ...                       checker->CheckRecipient(s);   // each RCPT TO
//   ...                       checker->CheckData(s);        // DATA / BDAT
//   ...                       checker->CheckEndOfData(s);   // after the content
//   if (v.rejected()) reply(v.reply);                       // e.g. "554 5.7.1 <x>: Relay access
//   denied"
//
// Stages and smtpd_delay_reject (default yes): with delay_reject the
// client, helo and sender lists are not evaluated at their own commands
// but at RCPT TO (before the relay and recipient lists), each once per
// transaction; their verdict is remembered for the rest of the transaction
// (a reject repeats for every RCPT). Without delay_reject each list runs
// at its own command. The Checker keeps this per-stage memory in Session
// (the engine calls ResetTransaction at MAIL/RSET/end of DATA and
// ResetSession... never: a new Session per connection).
//
// Each list is evaluated left to right; the first restriction that gives a
// definite answer ends that list: OK/permit ends the list (the next stage
// still runs), a reject/defer ends the whole check with that reply.
// smtpd_relay_restrictions and smtpd_recipient_restrictions both must
// permit (or fall through) for a RCPT to be accepted; at the end of the
// recipient list, smtpd_reject_unlisted_recipient (default yes) applies
// reject_unlisted_recipient implicitly, and smtpd_reject_unlisted_sender
// (default no) reject_unlisted_sender at MAIL.
//
// Replies are complete SMTP replies "CODE X.Y.Z text" with Postfix's texts:
//   554 5.7.1 <rcpt>: Relay access denied
//   550 5.1.1 <rcpt>: Recipient address rejected: User unknown in virtual mailbox table
//   451 4.3.0 <rcpt>: Temporary lookup failure
//   554 5.7.1 <addr>: Sender address rejected: Access denied   (REJECT without text)
// with the access_map_reject_code, unknown_*_reject_code, relay_domains_reject_code
// ... parameters honoured. Every rejection (and defer) is logged by the
// Checker exactly as Postfix does:
//   NOQUEUE: reject: RCPT from host[addr]: 554 5.7.1 <x>: Relay access denied; from=<s> to=<x>
//   proto=ESMTP helo=<h>
// ("ID: reject: ..." once a queue ID exists; "reject_warning" under
// warn_if_reject; DISCARD/HOLD/PREPEND/FILTER/REDIRECT actions logged as
// "NOQUEUE: discard: ..." etc.).
//
// Table errors: any temporary lookup error in a restriction makes that
// command fail with "451 4.3.0 <addr>: Temporary lookup failure" (the
// address being checked; client/helo stages use the client's name/addr
// or helo) and never an accept. A restriction name the Checker does not
// know is logged as "warning: unknown smtpd restriction: \"x\"" and the
// command gets "451 4.3.5 Server configuration error" (as Postfix).
// FromConfig fails (kFailedPrecondition) only for problems Postfix makes
// fatal at start-up: neither the relay nor the recipient list has a
// working reject_unauth_destination/defer_unauth_destination/reject/defer
// (Postfix's "specify at least one working instance of ..." message), a
// table that cannot be opened.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "global/config.h"
#include "global/resolve_client.h"
#include "util/dns.h"
#include "util/status.h"

namespace smtpd_check {

// What the protocol engine knows of the session; the Checker reads it
// and keeps its own per-transaction memory in `check_state`.
struct Session {
  // The client. name is the verified hostname or "unknown";
  // reverse_name the unverified PTR name or "unknown"; name_status /
  // reverse_name_status: 0 ok, 4 temporary DNS error, 5 permanent (no
  // name / forward does not match), as Postfix's client_name_status.
  std::string client_name = "unknown";
  std::string client_reverse_name = "unknown";
  int client_name_status = 5;
  int client_reverse_name_status = 5;
  std::string client_addr;  // "192.0.2.1" / "2001:db8::1" (no brackets)
  std::string client_port;
  std::string server_addr;  // the local end of the connection
  std::string server_port;
  std::string service_name;   // master.cf name, for logging
  std::string helo_name;      // empty until HELO/EHLO
  std::string protocol;       // "SMTP" or "ESMTP"
  std::string queue_id;       // empty until the message got one (log prefix)
  std::string sasl_username;  // empty: not authenticated
  std::string sasl_method;    // with sasl_username: "PLAIN", "LOGIN", "XCLIENT"
  // The client sent a command ahead of a reply where that is not allowed
  // (without EHLO, or after a command that must end a pipelined group):
  // reject_unauth_pipelining rejects.
  bool improper_pipelining = false;
  // TLS (permit_tls_clientcerts, permit_tls_all_clientcerts,
  // check_ccert_access): the client's certificate, when it presented
  // one, with its fingerprints in smtpd_tls_fingerprint_digest
  // ("9A:3C:...") and its subject CN (the reply name of check_ccert_access).
  bool tls = false;
  std::string tls_protocol, tls_cipher;  // "TLSv1.3", "TLS_AES_256_GCM_SHA384"
  int tls_cipher_bits = 0;
  bool ccert_present = false;
  bool ccert_trusted = false;  // its chain verified
  std::string ccert_fingerprint, ccert_pkey_fingerprint, ccert_subject, ccert_issuer;
  // The current transaction.
  bool has_sender = false;     // MAIL FROM seen
  std::string sender;          // "" for the null sender
  std::string recipient;       // the RCPT TO address being checked
  int rcpt_count = 0;          // accepted recipients so far
  long long message_size = 0;  // SIZE= or the final size at end of data

  // Results the Checker leaves for the engine (access table actions).
  std::vector<std::string> prepend_headers;  // PREPEND text, in order
  bool discard = false;                      // DISCARD: accept, then drop
  std::string hold_reason;                   // HOLD: queue on hold
  std::string redirect;                      // REDIRECT addr
  std::string filter;                        // FILTER transport:dest
  std::string bcc;                           // BCC addr (the last one)

  // The Checker's memory across stages (delay_reject verdicts); opaque.
  std::shared_ptr<void> check_state;
};

struct Verdict {
  // 0: go on (permitted or nothing decided); 4xx/5xx: the reply to give.
  int code = 0;
  std::string reply;  // full reply line text without CRLF: "554 5.7.1 <x>: ..."
  bool rejected() const { return code >= 400; }
};

// Seams for tests (and the places the Checker reaches out of the process):
// how a recipient/sender is resolved to its address class (trivial-rewrite's
// resolve service; unset: resolve_client::ResolveClient on cfg) and the DNS
// resolver of the reject_unknown_*_domain / _helo_hostname checks (unset:
// util::dns::SystemResolver()).
struct CheckerEnv {
  std::function<util::StatusOr<resolve_client::ResolveResult>(std::string_view sender,
                                                              std::string_view address)>
      resolve;
  util::dns::Resolver* dns = nullptr;
};

class Checker {
 public:
  static util::StatusOr<std::unique_ptr<Checker>> FromConfig(const config::Config& cfg);
  static util::StatusOr<std::unique_ptr<Checker>> FromConfig(const config::Config& cfg,
                                                             CheckerEnv env);
  virtual ~Checker() = default;

  // Each returns the verdict for its command; see the header comment for
  // which lists each evaluates under smtpd_delay_reject. The recipient
  // check also applies reject_unlisted_recipient (implicit or explicit)
  // and smtpd_recipient_limit is the engine's, not the Checker's.
  virtual Verdict CheckConnect(Session& s) = 0;  // smtpd_client_restrictions when !delay_reject
  virtual Verdict CheckHelo(Session& s) = 0;
  virtual Verdict CheckSender(Session& s) = 0;
  virtual Verdict CheckRecipient(Session& s) = 0;
  virtual Verdict CheckData(Session& s) = 0;
  virtual Verdict CheckEndOfData(Session& s) = 0;
  // VRFY / ETRN use the recipient / client checks as Postfix does.
  virtual Verdict CheckVrfy(Session& s) = 0;
  virtual Verdict CheckEtrn(Session& s, const std::string& domain) = 0;
  // Forget the transaction's verdicts (MAIL, RSET, end of DATA, HELO).
  virtual void ResetTransaction(Session& s) = 0;

  // Is the client in mynetworks (for smtpd_client_event_limit_exceptions
  // and the like)? Errors only from a failing mynetworks table.
  virtual util::StatusOr<bool> InMynetworks(const Session& s) = 0;
  // Does the client match the host/address list in main.cf parameter
  // `param` (Postfix's namadr_list: $mynetworks, CIDR blocks, host and
  // domain names, /file, type:table; e.g. smtpd_client_event_limit_exceptions,
  // smtpd_forbid_bare_newline_exclusions, debug_peer_list)? Lists are
  // parsed once and cached. Errors: a table failed.
  virtual util::StatusOr<bool> ClientMatches(config::AnyParam param, const Session& s) = 0;
};

}  // namespace smtpd_check
