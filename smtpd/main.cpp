// smtpd - the SMTP server (Postfix's smtpd(8)).
//
// SYNOPSIS
//   smtpd [generic daemon options]   (started by master for an inet or
//                                     unix service)
//   smtpd -S [-v] [-o name=value]    (stand-alone: one session on standard
//                                     input and output; sendmail -bs)
//
// DESCRIPTION
//   One process serves one client connection at a time (single-server
//   skeleton): banner "220 $smtpd_banner", HELO/EHLO, MAIL, RCPT, DATA,
//   BDAT, RSET, NOOP, VRFY, ETRN, STARTTLS, XCLIENT, XFORWARD, QUIT, with
//   PIPELINING, SIZE,
//   ENHANCEDSTATUSCODES, 8BITMIME, DSN, SMTPUTF8 and CHUNKING. Each command
//   is checked by the restrictions library (smtpd_check.h); accepted mail
//   is streamed to the cleanup service, and "250 2.0.0 Ok: queued as ID" is
//   sent only after cleanup reported the queue file durable. The client's
//   connection count and rates are kept by anvil(8) (unreachable anvil:
//   warning, no limit). ETRN asks the flush service.
//
//   A client that is not on the network (a UNIX-domain socket, or with -S
//   a pipe or terminal) is localhost[127.0.0.1], without a name lookup.
//
// STAND-ALONE MODE (-S; server/daemon.h)
//   One session on descriptors 0 and 1, then exit. Run by mail_owner (or
//   by root with -u, which becomes mail_owner) it is the server above. Run
//   by any other user, root included, it is a local submission program
//   (standalone.h), as Postfix's: messages go through `postdrop -r` into
//   maildrop/ (so mail is accepted while the mail system is down), the
//   access restrictions are off, anvil is not asked, and a network client
//   is refused (fatal), since such a process must not serve the network.
//
// PARAMETERS
//   smtpd_banner myhostname mail_name smtpd_helo_required
//   disable_vrfy_command message_size_limit line_length_limit smtpd_timeout
//   smtpd_soft_error_limit smtpd_hard_error_limit smtpd_error_sleep_time
//   smtpd_recipient_limit smtpd_junk_command_limit
//   smtpd_forbid_bare_newline (normalize | reject | no; default normalize)
//   smtpd_forbid_bare_newline_exclusions smtpd_forbid_bare_newline_reject_code
//   smtpd_discard_ehlo_keywords smtpd_peername_lookup
//   smtpd_client_port_logging smtpd_delay_open_until_valid_rcpt
//   smtpd_client_connection_count_limit smtpd_client_connection_rate_limit
//   smtpd_client_message_rate_limit smtpd_client_recipient_rate_limit
//   smtpd_client_event_limit_exceptions local_header_rewrite_clients
//   smtpd_forbidden_commands, and the restriction parameters of smtpd_check.h;
//   content_filter (FILTER_README: sent to cleanup with every message);
//   XFORWARD and XCLIENT (smtpd.h, smtpd_xclient.h):
//   smtpd_authorized_xforward_hosts smtpd_authorized_xclient_hosts;
//   SASL (AUTH through Dovecot, README.md): smtpd_sasl_auth_enable
//   smtpd_sasl_type smtpd_sasl_path smtpd_sasl_service
//   smtpd_sasl_security_options smtpd_sasl_tls_security_options
//   smtpd_sasl_exceptions_networks smtpd_sasl_response_limit
//   smtpd_sasl_authenticated_header smtpd_sasl_local_domain
//   broken_sasl_auth_clients smtpd_tls_auth_only smtpd_client_auth_rate_limit;
//   stand-alone: mail_owner, command_directory (postdrop).
//   TLS (smtpd.h): smtpd_tls_security_level smtpd_use_tls smtpd_enforce_tls
//   smtpd_tls_wrappermode smtpd_tls_cert_file smtpd_tls_key_file
//   smtpd_tls_eccert_file smtpd_tls_eckey_file smtpd_tls_chain_files
//   smtpd_tls_protocols smtpd_tls_mandatory_protocols smtpd_tls_ciphers
//   smtpd_tls_mandatory_ciphers smtpd_tls_exclude_ciphers
//   smtpd_tls_mandatory_exclude_ciphers tls_{high,medium,low,export,null}_cipherlist
//   smtpd_tls_loglevel smtpd_tls_received_header smtpd_starttls_timeout
//   smtpd_tls_dh1024_param_file tls_preempt_cipherlist;
//   resumption (session tickets with tlsmgr's keys): smtpd_tls_session_cache_timeout
//   tlsmgr_service_name; client certificates: smtpd_tls_ask_ccert
//   smtpd_tls_req_ccert smtpd_tls_CAfile smtpd_tls_CApath
//   smtpd_tls_ccert_verifydepth smtpd_tls_fingerprint_digest relay_clientcerts.
//
// DIAGNOSTICS (maillog, as Postfix)
//   connect from NAME[ADDR]
//   ID: client=NAME[ADDR]
//   ID: client=NAME[ADDR], sasl_method=PLAIN, sasl_username=USER
//   ID: client=NAME[ADDR], orig_queue_id=ID, orig_client=NAME[ADDR]  (XFORWARD)
//   warning: NAME[ADDR]: SASL PLAIN authentication failed: REASON, sasl_username=USER
//   lost connection after CMD from NAME[ADDR]
//   timeout after CMD from NAME[ADDR]
//   too many errors after CMD from NAME[ADDR]
//   disconnect from NAME[ADDR] ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5
//   Anonymous TLS connection established from NAME[ADDR]: TLSv1.3 with cipher
//     TLS_AES_256_GCM_SHA384 (256/256 bits) key-exchange X25519
//     server-signature RSA-PSS (2048 bits) server-digest SHA256  (loglevel >= 1;
//     Trusted/Untrusted with a client certificate, then client-signature ...)
//   certificate verification failed for NAME[ADDR]: self-signed certificate
//                                                 (req_ccert)
//   NAME[ADDR]: subject_CN=CN, issuer=CN, fingerprint=FP, pkey_fingerprint=FP
//                                                 (loglevel >= 2)
//   NOQUEUE: abort: TLS from NAME[ADDR]: No client certificate presented
//   warning: Can't require client certs unless TLS is required
//   warning: TLS session ticket key manager PATH unavailable: REASON;
//     session resumption disabled
//   SSL_accept error from NAME[ADDR]: REASON
//   warning: TLS library problem: REASON; TLS is not available
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <memory>

#include "global/anvil_client.h"
#include "global/dovecot_auth.h"
#include "global/flush_client.h"
#include "global/tlsmgr_client.h"
#include "server/single_server.h"
#include "smtpd/smtpd.h"
#include "smtpd/smtpd_check.h"
#include "smtpd/standalone.h"
#include "util/dns.h"
#include "util/msg.h"
#include "util/name_service.h"
#include "util/sockets.h"
#include "util/tls_tickets.h"

namespace {

struct State {
  smtpd::Settings settings;
  std::unique_ptr<smtpd_check::Checker> checker;
  std::unique_ptr<anvil_client::AnvilClient> anvil;
  std::unique_ptr<dovecot_auth::Client> sasl;
  std::unique_ptr<smtpd::Engine> engine;
  std::unique_ptr<util::tls::ServerContext> tls;
  std::unique_ptr<tlsmgr_client::Client> tlsmgr;
};
State* g_state = nullptr;
std::unique_ptr<util::tls::ServerContext> g_tls;  // loaded while privileged
bool g_local = false;                             // a local submission (standalone.h)

smtpd::Peer PeerOf(int fd) {
  smtpd::Peer p;
  auto peer = util::PeerAddress(fd);
  auto local = util::LocalAddress(fd);
  if (peer.ok() && (peer->family() == AF_INET || peer->family() == AF_INET6)) {
    p.client_addr = peer->Address();
    p.client_port = std::to_string(peer->port());
    if (p.client_addr.rfind("::ffff:", 0) == 0 && p.client_addr.find('.') != std::string::npos)
      p.client_addr = p.client_addr.substr(7);
  }
  if (local.ok() && (local->family() == AF_INET || local->family() == AF_INET6)) {
    p.server_addr = local->Address();
    p.server_port = std::to_string(local->port());
  }
  if (!peer.ok() || (peer->family() != AF_INET && peer->family() != AF_INET6))
    p.client_name = "localhost";
  return p;
}

}  // namespace

int main(int argc, char** argv) {
  server::SingleServerHooks hooks;
  // The keys are read while still root (they are normally readable by root
  // only); a failure is a warning: STARTTLS then answers 454.
  hooks.pre_init = [](server::Server& srv) {
    const config::Config& cfg = srv.config();
    smtpd::Settings st = smtpd::Settings::FromConfig(cfg);
    if (st.tls_level == smtpd::TlsLevel::kNone && !st.tls_wrappermode) return;
    auto ctx = smtpd::TlsContext(cfg, st);
    if (ctx.ok()) {
      g_tls = std::move(*ctx);
    } else {
      msg::Warn("TLS library problem: %s; TLS is not available", ctx.status().message().c_str());
    }
  };
  hooks.post_init = [](server::Server& srv) {
    const config::Config& cfg = srv.config();
    auto* st = new State;
    st->settings = smtpd::Settings::FromConfig(cfg);
    st->settings.stand_alone = srv.args().standalone;
    g_local = smtpd::LocalSubmission(cfg, srv.args().standalone);
    auto checker = smtpd_check::Checker::FromConfig(cfg);
    if (g_local) {
      // Restrictions off; the real checker only answers the client lists.
      st->checker = smtpd::Unrestricted(checker.ok() ? std::move(*checker) : nullptr);
    } else {
      if (!checker.ok()) msg::Fatal("%s", checker.status().message().c_str());
      st->checker = std::move(*checker);
      st->anvil = std::make_unique<anvil_client::AnvilClient>(cfg);
    }
    smtpd::Deps deps;
    deps.checker = st->checker.get();
    st->tls = std::move(g_tls);
    if (cfg.GetBool("smtpd_tls_req_ccert") && !st->settings.tls_req_ccert &&
        (st->settings.tls_level != smtpd::TlsLevel::kNone || st->settings.tls_wrappermode))
      msg::Warn("Can't require client certs unless TLS is required");
    // Session tickets with tlsmgr's keys (smtpd_tls_session_cache_timeout
    // 0: none). tlsmgr unreachable: a warning, and full handshakes.
    long lifetime = tlsmgr_client::TicketLifetime(cfg);
    if (st->tls && lifetime > 0) {
      st->tlsmgr = std::make_unique<tlsmgr_client::Client>(cfg);
      util::Status s = util::tls::EnableTickets(
          *st->tls, lifetime, smtpd::TlsSessionContext(cfg, st->settings),
          [c = st->tlsmgr.get()](const util::tls::TicketKeyName* name) { return c->Key(name); });
      if (!s.ok()) msg::Warn("TLS session tickets: %s", s.message().c_str());
    } else if (st->tls) {
      util::tls::DisableTickets(*st->tls);
    }
    deps.tls = st->tls.get();
    deps.open_queue = g_local ? smtpd::MaildropQueue(cfg) : smtpd::CleanupQueue(cfg);
    deps.anvil = st->anvil.get();
    if (st->settings.sasl_enable && !g_local) {
      // One connection per process, opened at the first EHLO or AUTH.
      st->sasl = std::make_unique<dovecot_auth::Client>(
          dovecot_auth::Endpoint(cfg, cfg.Get("smtpd_sasl_path")),
          std::chrono::seconds(std::max(1, st->settings.timeout)));
      deps.sasl = st->sasl.get();
    }
    deps.queue_space = [dir = cfg.Get("queue_directory")] { return util::SpaceOf(dir); };
    deps.resolver = &util::NameServiceResolver();  // getnameinfo, as Postfix
    deps.flush = [&cfg](std::string_view site) {
      return flush_client::SendSite(cfg, site, nullptr);
    };
    st->engine = std::make_unique<smtpd::Engine>(st->settings, std::move(deps));
    g_state = st;
  };
  hooks.service = [](util::Stream& client, server::Server&) {
    smtpd::Peer peer = PeerOf(client.fd());
    if (g_local && peer.client_name.empty())
      msg::Fatal(
          "refusing to serve the network client %s: stand-alone mode without mail_owner "
          "privileges (uid %lu)",
          peer.client_addr.c_str(), static_cast<unsigned long>(getuid()));
    g_state->engine->Serve(client, peer);
  };
  server::RunSingleServer(argc, argv, hooks);
}
