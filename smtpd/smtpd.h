// smtpd: the SMTP protocol engine (Postfix's smtpd.c): one client
// connection from banner to disconnect, ESMTP (RFC 5321) with PIPELINING,
// SIZE, VRFY, ETRN, ENHANCEDSTATUSCODES, 8BITMIME, DSN, SMTPUTF8,
// CHUNKING and AUTH (RFC 4954, through deps.sasl: Dovecot). main.cpp wires it to the daemon
// skeleton; tests drive it over a socketpair with a fake queue and checker.
//
//   smtpd::Settings st = smtpd::Settings::FromConfig(cfg);
//   smtpd::Engine engine(st, deps);        // deps: checker, queue, anvil, dns, flush
//   engine.Serve(client_stream, peer);     // returns when the session is over
//
// The engine never says "250 ... queued as ID" before the queue's Finish()
// reported the file durable; any failure before that is a 4xx/5xx reply
// and the unfinished queue file is dropped (cleanup removes it).
//
// Replies are buffered and flushed only when no more client input is
// waiting (so a pipelining client gets all replies of one burst at once,
// in order), before any blocking read.
//
// TLS (RFC 3207). With smtpd_tls_security_level may or encrypt, EHLO
// offers STARTTLS; "220 2.0.0 Ready to start TLS", then whatever plaintext
// the client pipelined after the command is discarded, the handshake runs
// (util/tls.h: the Stream switches to TLS below its buffers) and the
// session starts over: no HELO name, no transaction, EHLO needed again.
// With encrypt every command but HELO, EHLO, STARTTLS, NOOP and QUIT gets
// "530 5.7.0 Must issue a STARTTLS command first". With
// smtpd_tls_wrappermode the handshake comes before the banner. Without a
// usable server context (Deps::tls null: certificates failed to load)
// STARTTLS answers "454 4.7.0 TLS not available due to local problem".
//
// Session resumption: the context gets session tickets whose keys come
// from tlsmgr (main.cpp, global/tlsmgr_client.h), so a client resumes with
// any smtpd process; smtpd_tls_session_cache_timeout 0 turns it off.
// XFORWARD and XCLIENT (smtpd_xclient.h for the syntax): offered in the
// EHLO reply, and accepted, only from clients in
// smtpd_authorized_xforward_hosts / smtpd_authorized_xclient_hosts (the
// real client at connect for XFORWARD; for XCLIENT the client in effect,
// so an XCLIENT that names another client ends that right), otherwise
// "550 5.7.0 Error: insufficient authorization"; inside a transaction
// "503 5.5.1 Error: MAIL transaction in progress". XFORWARD changes only
// what is logged and stored for the next message: "ID: client=REAL,
// orig_queue_id=IDENT, orig_client=NAME[ADDR]", the queue file's log_*
// attributes (what the smtp client forwards in turn) and, with SOURCE,
// the rewrite context; the Received: header names the real client, as in
// Postfix; it is forgotten after the transaction (end of data or RSET).
// XCLIENT replaces the client (name, address, port, HELO, protocol; LOGIN
// as "sasl_method=XCLIENT"), resets the session and greets again with
// 220; the restrictions then see the new client. A successful XCLIENT is
// counted as "xclient=0/1" in the disconnect line, as Postfix counts it.
//
// Client certificates: see Settings::tls_ask_ccert; the log line says
// "Trusted"/"Untrusted" TLS connection, the Received: clause "(Client CN
// ..., Issuer ... (verified OK))", and the restrictions see the
// certificate's fingerprints (smtpd_check::Session).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "global/anvil_client.h"
#include "global/cleanup_client.h"
#include "global/config.h"
#include "global/dovecot_auth.h"
#include "global/flush_client.h"
#include "smtpd/smtpd_check.h"
#include "smtpd/smtpd_input.h"
#include "util/dns.h"
#include "util/files.h"
#include "util/status.h"
#include "util/stream.h"
#include "util/tls.h"

namespace smtpd {

enum class TlsLevel { kNone, kMay, kEncrypt };

// The main.cf parameters the engine uses, read once per process.
struct Settings {
  std::string myhostname = "localhost";
  std::string mail_name = "Postfix";
  std::string banner = "localhost ESMTP Postfix";  // smtpd_banner, expanded
  std::string service_name = "smtp";
  bool helo_required = false;
  bool disable_vrfy = false;
  long long message_size_limit = 10240000;
  // queue_minfree: MAIL is refused (452 4.3.1) when the queue file system
  // has no more than this free, or less than 1.5 x message_size_limit.
  long long queue_minfree = 0;
  size_t line_length_limit = 2048;
  int timeout = 300;  // smtpd_timeout, seconds
  int soft_error_limit = 10;
  int hard_error_limit = 20;
  int error_sleep_time = 1;
  int recipient_limit = 1000;
  int junk_command_limit = 100;
  // smtputf8_enable: SMTPUTF8 offered and accepted, and every command line
  // must be well-formed UTF-8 ("500 5.5.2 Error: bad UTF-8 syntax").
  bool smtputf8_enable = true;
  smtpd_input::BareLf bare_lf = smtpd_input::BareLf::kNormalize;
  int bare_lf_reject_code = 550;
  // smtpd_forbid_unauth_pipelining: improper pipelining (and talking
  // before the greeting) gets "554 5.5.0 Error: SMTP protocol
  // synchronization" and the session ends.
  bool forbid_unauth_pipelining = false;
  // smtpd -S (sendmail -bs): one session on standard input, whose lines
  // may all be there at once; no pipelining checks, as in Postfix.
  bool stand_alone = false;
  std::vector<std::string> discard_ehlo_keywords;
  bool peername_lookup = true;
  bool client_port_logging = false;
  bool delay_open_until_valid_rcpt = true;
  int connection_count_limit = 50;
  int connection_rate_limit = 0;
  int message_rate_limit = 0;
  int recipient_rate_limit = 0;
  std::vector<std::string> local_header_rewrite_clients = {"permit_inet_interfaces"};
  // This host's addresses ($inet_interfaces, $proxy_interfaces; from
  // global/resolve_local.h), for permit_inet_interfaces.
  std::vector<std::string> interface_addresses;
  std::vector<std::string> forbidden_commands = {"CONNECT", "GET", "POST"};
  // smtpd_tls_security_level (or the legacy smtpd_use_tls/smtpd_enforce_tls).
  TlsLevel tls_level = TlsLevel::kNone;
  bool tls_wrappermode = false;
  int tls_loglevel = 0;
  bool tls_received_header = false;
  int starttls_timeout = 300;  // seconds
  // Client certificates: smtpd_tls_ask_ccert (asked for, never required),
  // smtpd_tls_req_ccert (only with mandatory TLS: encrypt or wrappermode;
  // implies ask: a client without a verified certificate gets "421 4.7.1
  // $myhostname Error: No client certificate presented" or "...: Client
  // certificate not trusted" right after the handshake, and the session
  // ends), smtpd_tls_fingerprint_digest (for relay_clientcerts and
  // check_ccert_access).
  bool tls_ask_ccert = false;
  bool tls_req_ccert = false;
  std::string tls_fingerprint_digest = "sha256";

  // SASL: smtpd_sasl_auth_enable (AUTH offered when deps.sasl is set),
  // broken_sasl_auth_clients (also "AUTH=..."), smtpd_sasl_authenticated_header,
  // smtpd_tls_auth_only (no AUTH without TLS; there is no TLS yet, so no
  // AUTH at all), smtpd_sasl_security_options / _tls_security_options
  // (the mechanism filter), smtpd_sasl_service, smtpd_sasl_response_limit,
  // smtpd_client_auth_rate_limit (anvil).
  bool sasl_enable = false;
  bool broken_sasl_auth_clients = false;
  bool sasl_authenticated_header = false;
  bool tls_auth_only = false;
  dovecot_auth::Security sasl_security{.noanonymous = true};
  dovecot_auth::Security sasl_tls_security{.noanonymous = true};
  std::string sasl_service = "smtp";
  size_t sasl_response_limit = 12288;
  int auth_rate_limit = 0;

  // content_filter: the transport:destination every message received here
  // is delivered through (FILTER_README), sent to cleanup as its filter
  // attribute before anything else, so that an access table's FILTER
  // (later) and a header check's (in cleanup) win; empty: none, as on the
  // re-injecting smtpd's "-o content_filter=".
  std::string content_filter;

  // Fatal (as a Postfix daemon) on a bad smtpd_forbid_bare_newline value,
  // a bad SASL security option, or a smtpd_sasl_type other than dovecot.
  static Settings FromConfig(const config::Config& cfg);
};

// The server TLS context of `st` (certificates, protocols and ciphers of
// the level in effect; from smtpd_tls_* and tls_*_cipherlist; with
// st.tls_ask_ccert, client certificates asked for and verified against
// smtpd_tls_CAfile / smtpd_tls_CApath within smtpd_tls_ccert_verifydepth);
// an error says why TLS cannot be offered. Only meaningful when
// st.tls_level is not kNone or st.tls_wrappermode.
util::StatusOr<std::unique_ptr<util::tls::ServerContext>> TlsContext(const config::Config& cfg,
                                                                     const Settings& st);
// What a TLS session may be resumed by (util/tls_tickets.h): the service
// and its client-certificate settings, so that a session never carries a
// certificate verdict into a service that verifies otherwise.
std::string TlsSessionContext(const config::Config& cfg, const Settings& st);

// One message on its way to the queue (cleanup_client in production).
class QueueFile {
 public:
  virtual ~QueueFile() = default;
  virtual const std::string& queue_id() const = 0;
  // One queue-file record (queue_file::RecordType).
  virtual void Record(char type, std::string_view data) = 0;
  // Ends the message and waits for the verdict.
  virtual util::StatusOr<cleanup_client::Result> Finish() = 0;
};

// What the engine needs from the rest of the system; null pointers /
// empty functions switch a feature off (no anvil, no DNS, no flush).
struct Deps {
  smtpd_check::Checker* checker = nullptr;                                 // required
  std::function<util::StatusOr<std::unique_ptr<QueueFile>>()> open_queue;  // required
  anvil_client::AnvilClient* anvil = nullptr;
  util::dns::Resolver* resolver = nullptr;
  std::function<flush_client::Status(std::string_view site)> flush;
  // Time source for arrival times and the Received: date (tests fix it).
  std::function<long()> now;
  // Free space of the queue file system, asked at each MAIL (empty: not
  // checked; an error: not checked, warned about).
  std::function<util::StatusOr<util::FileSystemSpace>()> queue_space;
  // The SASL server (dovecot_auth::Client in production); null: no AUTH.
  dovecot_auth::Authenticator* sasl = nullptr;
  // The TLS server context; null: TLS not available (see TLS above).
  const util::tls::ServerContext* tls = nullptr;
};

// Where the client is (from getpeername/getsockname).
struct Peer {
  std::string client_addr = "127.0.0.1";
  std::string client_port = "0";
  std::string server_addr = "127.0.0.1";
  std::string server_port = "0";
  // Set: the client's name, and no lookup. A client that is not on the
  // network (smtpd -S on a pipe or terminal, a UNIX-domain socket) is
  // "localhost" at 127.0.0.1, as Postfix reports it.
  std::string client_name;
};

// The production queue: a cleanup_client connection.
std::function<util::StatusOr<std::unique_ptr<QueueFile>>()> CleanupQueue(const config::Config& cfg);

class Engine {
 public:
  Engine(const Settings& settings, Deps deps) : st_(settings), deps_(std::move(deps)) {}
  // Serves one client until QUIT, a fatal error, a timeout or EOF.
  void Serve(util::Stream& client, const Peer& peer);

 private:
  const Settings& st_;
  Deps deps_;
};

}  // namespace smtpd
