// tlsmgr: Postfix's tlsmgr(8) for the SMTP server: the one place that makes
// the TLS session ticket keys (RFC 5077) every smtpd process uses, so that
// a client resumes its session with whichever smtpd it reaches next. A
// multi-server on master.cf's
//   tlsmgr  unix  -  -  n  1000?  1  tlsmgr
// socket $queue_directory/private/tlsmgr (tlsmgr_service_name); maxproc
// must be 1, and the process lives on through max_use and max_idle, since
// the keys exist only in its memory. Protocol and client:
// global/tlsmgr_client.h; keys: keyring.h; requests: service.h.
//
// A key is used for new tickets for smtpd_tls_session_cache_timeout
// seconds (at least 2 minutes, at most 100 days), then replaced; a
// replaced key opens tickets for one more period. With a timeout of 0
// smtpd issues no tickets (it reads the same parameter) and tlsmgr is
// never asked. Master's wakeups (the "1000?" column) are accepted
// quietly; Postfix uses them for its PRNG exchange file, which this system
// does not keep (OpenSSL seeds itself).
//
// smtpd_tls_session_cache_database: there is no server-side session cache.
// As Postfix's documentation recommends since 2.11, sessions resume through
// tickets (with TLS 1.3 always: OpenSSL's TLS 1.3 server never uses the
// cache of an external database). A setting is logged at start:
//   smtpd_tls_session_cache_database = btree:...: not used: sessions resume
//   through session tickets, whose keys tlsmgr shares
//
// Parameters: smtpd_tls_session_cache_timeout,
// smtpd_tls_session_cache_database, tlsmgr_service_name.
#include <memory>

#include "global/tlsmgr_client.h"
#include "server/multi_server.h"
#include "tlsmgr/keyring.h"
#include "tlsmgr/service.h"
#include "util/msg.h"
#include "util/strings.h"

namespace {

std::unique_ptr<tlsmgr::KeyRing> ring;

}  // namespace

int main(int argc, char** argv) {
  server::MultiServerHooks hooks;
  hooks.ignore_max_use = true;
  hooks.ignore_max_idle = true;
  hooks.post_init = [](server::Server& s) {
    const config::Config& cfg = s.config();
    std::string warning;
    long lifetime = tlsmgr_client::TicketLifetime(cfg, &warning);
    if (!warning.empty()) msg::Warn("%s", warning.c_str());
    std::string db(util::Trim(cfg.Get("smtpd_tls_session_cache_database")));
    if (!db.empty())
      msg::Info(
          "smtpd_tls_session_cache_database = %s: not used: sessions resume through session "
          "tickets, whose keys tlsmgr shares",
          db.c_str());
    ring = std::make_unique<tlsmgr::KeyRing>(lifetime > 0 ? lifetime : 120);
  };
  hooks.request = [](const util::AttrList& request, server::Connection&, server::Server&) {
    return tlsmgr::Handle(*ring, request);
  };
  hooks.wakeup = [](server::Server&) {
    if (msg::Verbose()) msg::Info("wakeup");
  };
  server::RunMultiServer(argc, argv, hooks);
}
