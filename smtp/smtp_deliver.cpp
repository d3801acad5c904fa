// smtp_deliver: see smtp_deliver.h.
#include "smtp/smtp_deliver.h"

#include <poll.h>
#include <time.h>

#include <chrono>

#include "global/address.h"
#include "global/content_checks.h"
#include "global/mail_queue.h"
#include "global/mime.h"
#include "global/param_usage.h"
#include "global/queue_file.h"
#include "global/scache_client.h"
#include "util/msg.h"
#include "util/sockets.h"
#include "util/strings.h"

namespace smtp {
namespace {

bool NonAscii(std::string_view s) {
  for (unsigned char c : s)
    if (c >= 0x80) return true;
  return false;
}

bool Truthy(std::optional<std::string_view> v) {
  if (!v || v->empty()) return false;
  std::string l = util::Lowercase(*v);
  return l != "0" && l != "no" && l != "false";
}

// smtp_header_checks / smtp_body_checks on one header or body line:
// false when it is removed (IGNORE); *text replaced (REPLACE), *prepend
// set (PREPEND). Log lines as Postfix's smtp: "ID: ACTION: header|body
// CONTENT: TEXT"; actions that would change the delivery are "unsupported
// command in TABLE map: VALUE" and ignored.
bool Inspect(content_checks::Checks& checks, content_checks::Table t, const std::string& id,
             std::string* text, std::string* prepend) {
  if (!checks.any(t)) return true;
  content_checks::Checks::Result r = checks.Check(t, *text);
  if (r.temp_error) {
    msg::Warn("%s: %s lookup error: the text is sent unchanged", id.c_str(), checks.Name(t));
    return true;
  }
  using Kind = content_checks::Action::Kind;
  const content_checks::Action& a = r.action;
  const char* what = t == content_checks::kBody ? "body" : "header";
  auto log = [&] {
    msg::Info("%s: %s: %s %s: %s", id.c_str(), content_checks::Action::LogName(a.kind), what,
              util::ReplaceControls(std::string_view(*text).substr(0, 200)).c_str(),
              util::ReplaceControls(a.text).c_str());
  };
  switch (a.kind) {
    case Kind::kNone:
      return true;
    case Kind::kIgnore:
      return false;
    case Kind::kWarn:
    case Kind::kInfo:
      log();
      return true;
    case Kind::kPrepend:
    case Kind::kReplace: {
      std::string_view n, v;
      if (t != content_checks::kBody && !address::SplitHeader(a.text, &n, &v)) {
        msg::Warn("%s: %s map: %s action without valid header text: %s", id.c_str(), checks.Name(t),
                  a.kind == Kind::kPrepend ? "PREPEND" : "REPLACE",
                  util::Printable(a.text).c_str());
        return true;
      }
      log();
      if (a.kind == Kind::kPrepend) {
        *prepend = a.text;
      } else {
        *text = a.text;
      }
      return true;
    }
    default:
      msg::Warn("unsupported command in %s map: %s", checks.Name(t),
                util::Printable(a.value).c_str());
      return true;
  }
}

// Streams the content, checking it (smtp_header_checks,
// smtp_mime_header_checks, smtp_nested_header_checks, smtp_body_checks)
// and rewriting address headers when `generic` is on. When header checks
// apply, the MIME structure (global/mime.h) decides which table a header
// goes to, as in cleanup: MIME headers (also those of the primary
// message) to smtp_mime_header_checks, headers of attached messages to
// smtp_nested_header_checks; a header whose table is empty is sent as is.
util::Status WriteContent(const queue_file::Reader& file, Generic& generic,
                          content_checks::Checks& checks, const mime::Mime::Limits& limits,
                          const std::string& id, smtp_data::DataWriter& w) {
  util::Status err;
  bool in_headers = true;
  std::string pending;
  std::unique_ptr<mime::Mime> mime;
  if (checks.any(content_checks::kHeader) || checks.any(content_checks::kMimeHeader) ||
      checks.any(content_checks::kNestedHeader))
    mime = std::make_unique<mime::Mime>(limits);
  auto put = [&](std::string_view text) {
    size_t start = 0;
    while (err.ok()) {
      size_t nl = text.find('\n', start);
      err = w.Line(text.substr(start, nl == std::string::npos ? nl : nl - start));
      if (nl == std::string::npos) break;
      start = nl + 1;
    }
  };
  auto flush_pending = [&]() {
    if (pending.empty() || !err.ok()) return;
    std::string prepend;
    content_checks::Table table = content_checks::kHeader;
    if (mime && mime->PrimaryHeader(pending) == mime::Mime::Class::kMime)
      table = content_checks::kMimeHeader;
    bool keep = Inspect(checks, table, id, &pending, &prepend);
    if (!prepend.empty()) put(prepend);
    if (!keep) {
      pending.clear();
      return;
    }
    std::string out;
    if (generic.enabled()) {
      err = generic.RewriteHeader(pending, &out);
    } else {
      out = pending;
    }
    pending.clear();
    if (err.ok()) put(out);
  };
  auto body_text = [&](std::string_view line) {
    if (!checks.any(content_checks::kBody)) {
      err = w.Line(line);
      return;
    }
    std::string text(line), prepend;
    bool keep = Inspect(checks, content_checks::kBody, id, &text, &prepend);
    if (!prepend.empty()) err = w.Line(prepend);
    if (keep && err.ok()) err = w.Line(text);
  };
  auto item = [&](const mime::Mime::Item& it) {
    if (!err.ok()) return;
    if (!it.header) {
      body_text(it.text);
      return;
    }
    std::string text(it.text), prepend;
    bool keep = Inspect(checks,
                        it.cls == mime::Mime::Class::kNested ? content_checks::kNestedHeader
                                                             : content_checks::kMimeHeader,
                        id, &text, &prepend);
    if (!prepend.empty()) put(prepend);
    if (keep) put(text);
  };
  auto body = [&](std::string_view line) {
    if (mime) {
      mime->BodyLine(line, item);
    } else {
      body_text(line);
    }
  };
  util::Status st = file.ReadContent([&](std::string_view line) {
    if (!err.ok()) return;
    if (in_headers) {
      if (!pending.empty() && !line.empty() && (line[0] == ' ' || line[0] == '\t')) {
        pending += '\n';
        pending.append(line);
        return;
      }
      flush_pending();
      std::string_view name, value;
      if (line.empty() || !address::SplitHeader(line, &name, &value)) {
        in_headers = false;
        if (mime) mime->EndPrimaryHeaders();
        if (err.ok()) {
          if (line.empty()) {
            err = w.Line(line);  // the end of the headers: no body text
          } else {
            body(line);
          }
        }
        return;
      }
      pending = std::string(line);
      return;
    }
    body(line);
  });
  if (in_headers) flush_pending();
  if (mime && err.ok()) mime->End(item);
  if (!st.ok()) return util::Internal(st.message());
  return err;
}

// "connect to 127.0.0.1:25: Connection refused" -> "Connection refused".
std::string ErrnoText(const util::Status& st) {
  size_t colon = st.message().rfind(": ");
  return colon == std::string::npos ? st.message() : st.message().substr(colon + 2);
}

}  // namespace

Agent Agent::FromConfig(const config::Config& cfg, bool lmtp) {
  auto generic = Generic::FromConfig(cfg, "smtp_generic_maps");
  if (!generic.ok()) msg::Fatal("%s", generic.status().message().c_str());
  Agent a(std::move(*generic));
  a.cfg_ = &cfg;
  a.checks_ = content_checks::Checks::FromConfig(cfg, content_checks::kSmtpTables);
  a.mime_limits_ = mime::Mime::Limits::FromConfig(cfg);
  a.lookup_ = LookupOptions::FromConfig(cfg, "smtp");
  a.lookup_.lmtp = lmtp;
  SessionParams& s = a.session_;
  s.lmtp = lmtp;
  s.helo_name = cfg.Get("smtp_helo_name");
  s.timeouts.helo = static_cast<int>(cfg.GetTime("smtp_helo_timeout"));
  s.timeouts.mail = static_cast<int>(cfg.GetTime("smtp_mail_timeout"));
  s.timeouts.rcpt = static_cast<int>(cfg.GetTime("smtp_rcpt_timeout"));
  s.timeouts.data_init = static_cast<int>(cfg.GetTime("smtp_data_init_timeout"));
  s.timeouts.data_xfer = static_cast<int>(cfg.GetTime("smtp_data_xfer_timeout"));
  s.timeouts.data_done = static_cast<int>(cfg.GetTime("smtp_data_done_timeout"));
  s.timeouts.quit = static_cast<int>(cfg.GetTime("smtp_quit_timeout"));
  smtp_xforward::Settings xforward = smtp_xforward::Settings::FromConfig(cfg);
  s.timeouts.xforward = xforward.timeout;
  a.send_xforward_ = xforward.send;
  long long limit = cfg.GetInt("smtp_line_length_limit");
  s.line_length_limit = limit > 0 ? static_cast<size_t>(limit) : 0;
  s.skip_5xx_greeting = cfg.GetBool("smtp_skip_5xx_greeting");
  s.never_send_ehlo = cfg.GetBool("smtp_never_send_ehlo");
  s.skip_quit_response = cfg.GetBool("smtp_skip_quit_response");
  a.connect_timeout_ = static_cast<int>(cfg.GetTime("smtp_connect_timeout"));
  a.mx_session_limit_ = static_cast<int>(cfg.GetInt("smtp_mx_session_limit"));
  a.refusal_ = param_usage::ClientRefusal(cfg, lmtp ? "lmtp" : "smtp");
  if (a.refusal_) msg::Warn("%s: deferring all mail", a.refusal_->c_str());
  auto tls = TlsClient::FromConfig(cfg);
  if (!tls.ok()) msg::Fatal("%s", tls.status().message().c_str());
  a.tls_ = std::move(*tls);
  auto sasl = SaslClient::FromConfig(cfg);
  if (!sasl.ok()) msg::Fatal("%s", sasl.status().message().c_str());
  a.sasl_ = std::move(*sasl);
  a.cache_on_demand_ = cfg.GetBool("smtp_connection_cache_on_demand");
  auto listed = domain_list::DomainList::FromParameter(cfg, "smtp_connection_cache_destinations",
                                                       domain_list::Style::kString);
  if (!listed.ok()) msg::Fatal("%s", listed.status().message().c_str());
  a.cache_destinations_ = std::make_shared<domain_list::DomainList>(std::move(*listed));
  a.cache_time_ = static_cast<int>(cfg.GetTime("smtp_connection_cache_time_limit"));
  a.reuse_time_ = cfg.GetTime("smtp_connection_reuse_time_limit");
  a.reuse_count_ = cfg.GetInt("smtp_connection_reuse_count_limit");
  a.scache_ = std::make_shared<scache_client::Client>(cfg);
  return a;
}

std::optional<ReuseState> Agent::TakeCached(const std::string& endpoint, util::Fd* fd) {
  for (int tries = 0; tries < 4; tries++) {
    auto got = scache_->Find(endpoint);
    if (!got.ok()) {
      WarnCache(got.status());
      return std::nullopt;
    }
    if (!*got) return std::nullopt;
    // A server that has spoken since (421 at its idle timeout) or hung up
    // is no use: readable means either.
    struct pollfd p = {(*got)->fd.get(), POLLIN, 0};
    if (poll(&p, 1, 0) != 0) continue;
    std::optional<ReuseState> st = DecodeReuse((*got)->props);
    if (!st) continue;
    *fd = std::move((*got)->fd);
    return st;
  }
  return std::nullopt;
}

void Agent::WarnCache(const util::Status& st) {
  // Once per process: a master.cf without the scache service is common.
  if (cache_warned_) return;
  cache_warned_ = true;
  msg::Warn("%s; delivering without the connection cache", st.message().c_str());
}

void Agent::Deliver(const deliver_request::Request& req, deliver_status::Reporter& rep) {
  auto start = std::chrono::steady_clock::now();
  const size_t n = req.recipients.size();
  auto all = [&](char klass, const std::string& relay, const std::string& dsn,
                 const std::string& reason, const std::vector<size_t>& which) {
    for (size_t i : which) {
      if (klass == '5')
        rep.Bounced(i, relay, dsn, reason);
      else
        rep.Deferred(i, relay, dsn, reason);
    }
  };
  std::vector<size_t> open;
  for (size_t i = 0; i < n; i++) open.push_back(i);
  if (refusal_) {
    all('4', "none", "4.7.5", *refusal_, open);
    return;
  }

  const queue_file::Reader* file = &rep.file();
  const queue_file::Envelope& env = file->envelope();

  // The envelope as sent.
  Message base;
  auto sender = generic_.Map(req.sender);
  if (!sender.ok()) return all('4', "none", "4.3.0", sender.status().message(), open);
  base.sender = *sender;
  std::vector<MessageRecipient> mapped(n);
  bool needs_utf8 = NonAscii(base.sender) || Truthy(env.Attr("smtputf8"));
  for (size_t i = 0; i < n; i++) {
    auto a = generic_.Map(req.recipients[i].address);
    if (!a.ok()) return all('4', "none", "4.3.0", a.status().message(), open);
    mapped[i] = MessageRecipient{*a, req.recipients[i].dsn_orcpt, req.recipients[i].dsn_notify};
    needs_utf8 |= NonAscii(*a);
  }
  base.size = static_cast<long long>(env.content_size);
  auto enc = env.Attr("encoding");
  base.eight_bit = enc && util::Lowercase(*enc) == "8bit";
  base.smtputf8 = needs_utf8;
  base.dsn_ret = req.dsn_ret;
  base.dsn_envid = req.dsn_envid;
  if (send_xforward_) base.xforward = smtp_xforward::FromEnvelope(env, req.queue_id);
  base.content = [&](smtp_data::DataWriter& w) {
    return WriteContent(*file, generic_, checks_, mime_limits_, req.queue_id, w);
  };

  util::dns::Resolver& resolver = resolver_ ? *resolver_ : util::dns::SystemResolver();
  Plan plan = PlanDelivery(req.nexthop, lookup_, resolver);
  if (!plan.ok()) {
    all(plan.dsn.empty() ? '4' : plan.dsn[0], "none", plan.dsn, plan.reason, open);
    return;
  }

  auto policy = tls_->PolicyFor(req.nexthop);
  if (!policy.ok()) return all('4', "none", "4.7.5", policy.status().message(), open);
  if (policy->level == TlsLevel::kDaneOnly)
    return all('4', "none", "4.7.5",
               "TLS policy dane-only for " + req.nexthop +
                   ": DANE needs DNSSEC validation, which is not available",
               open);
  const std::string domain = NexthopDomain(req.nexthop);

  // Connection reuse: always for the destinations listed in
  // smtp_connection_cache_destinations, else as qmgr asks (on demand).
  bool listed = false;
  if (cache_destinations_) {
    auto m = cache_destinations_->Match(req.nexthop);
    listed = m.ok() && *m;
  }
  const bool cache_load =
      listed || (cache_on_demand_ && (req.flags & deliver_request::kFlagConnLoad));
  const bool cache_store =
      listed || (cache_on_demand_ && (req.flags & deliver_request::kFlagConnStore));

  const int unix_timeout = connect_timeout_ > 0 ? connect_timeout_ : session_.timeouts.helo;
  std::string last_relay = "none", last_dsn = "4.4.1", last_reason = "no server";
  bool greeted = false;
  int sessions = 0;
  for (size_t h = 0; h < plan.hosts.size() && !open.empty(); h++) {
    if (mx_session_limit_ > 0 && sessions >= mx_session_limit_) break;
    const Host& host = plan.hosts[h];
    std::string label = host.name + "[" + host.address + "]";
    std::string relay = host.local ? label : label + ":" + std::to_string(host.port);
    util::SockAddr sa;  // TCP
    if (!host.local) {
      auto numeric = util::SockAddr::FromNumeric(host.address, host.port);
      if (!numeric.ok()) continue;
      sa = *numeric;
    }
    TlsSession tls = tls_->SessionFor(*policy, host.name, domain, host.address, host.port);
    if (host.local && tls.level == TlsLevel::kMay) {
      msg::Warn("opportunistic TLS encryption is not appropriate for unix-domain destinations.");
      tls.level = TlsLevel::kNone;
    }
    std::optional<SaslSession> sasl;
    if (sasl_) {
      auto creds = sasl_->Find(req.sender, host.name, req.nexthop);
      if (!creds.ok()) return all('4', "none", "4.3.0", creds.status().message(), open);
      if (*creds) sasl = sasl_->SessionFor(**creds);
    }
    SessionSecurity security{&tls, sasl ? &*sasl : nullptr, relay};
    // Only plain sessions are cached (smtp_reuse.h): none with SASL
    // credentials, none at a TLS level above may.
    const bool cacheable = (cache_load || cache_store) && !sasl && !tls.wrappermode &&
                           (tls.level == TlsLevel::kNone || tls.level == TlsLevel::kMay);
    const std::string endpoint = EndpointLabel(service_, host.address, host.local ? 0 : host.port);
    util::Fd cached_fd;
    std::optional<ReuseState> resumed;
    if (cacheable && cache_load) resumed = TakeCached(endpoint, &cached_fd);
  reconnect:
    util::Fd fd;
    int conn_use = 1;
    long long since = static_cast<long long>(time(nullptr));
    if (resumed) {
      fd = std::move(cached_fd);
      conn_use = resumed->uses + 1;
      since = resumed->since;
    } else {
      auto connected = host.local
                           ? util::ConnectUnix(host.address, std::chrono::seconds(unix_timeout))
                           : util::ConnectTcp(sa, std::chrono::seconds(connect_timeout_));
      if (!connected.ok()) {
        last_relay = "none";
        last_dsn = "4.4.1";
        last_reason = "connect to " + relay + ": " + ErrnoText(connected.status());
        msg::Info("%s", last_reason.c_str());
        continue;
      }
      fd = std::move(*connected);
    }
    sessions++;
    rep.set_setup_time(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    rep.set_conn_use(conn_use);
    util::Stream conn(fd.get(), util::Stream::Ownership::kBorrowed);
    Message m = base;
    m.recipients.clear();
    for (size_t i : open) m.recipients.push_back(mapped[i]);
    bool final_host =
        h + 1 == plan.hosts.size() || (mx_session_limit_ > 0 && sessions >= mx_session_limit_);
    const bool keep = cacheable && cache_store && (reuse_count_ <= 0 || conn_use < reuse_count_) &&
                      static_cast<long long>(time(nullptr)) - since < reuse_time_;
    SessionReuse reuse{resumed ? &resumed->ehlo : nullptr, keep};
    SessionResult r = RunSession(conn, label, final_host, m, session_, security, reuse);
    if (r.stale) {
      // The cached connection had died: not this server's failure.
      (void)conn.Close();
      resumed.reset();
      sessions--;
      goto reconnect;
    }
    greeted |= r.greeted;
    (void)conn.Close();  // borrowed: flushes only
    if (r.kept) {
      ReuseState st{label, conn_use, since, r.ehlo};
      if (util::Status saved = scache_->Save(endpoint, EncodeReuse(st), std::move(fd), cache_time_);
          !saved.ok())
        WarnCache(saved);
    }
    if (r.retry_plaintext && tls.level != TlsLevel::kNone) {
      msg::Info("%s: TLS handshake failed, trying again in plain text", relay.c_str());
      tls.level = TlsLevel::kNone;
      goto reconnect;
    }
    std::vector<size_t> still;
    for (size_t j = 0; j < open.size(); j++) {
      const RecipientResult& rr = r.recipients[j];
      size_t i = open[j];
      switch (rr.outcome) {
        case Outcome::kSent:
          rep.Sent(i, relay, rr.dsn, rr.reason);
          break;
        case Outcome::kBounced:
          rep.Bounced(i, relay, rr.dsn, rr.reason, rr.remote);
          break;
        case Outcome::kSoft:
        case Outcome::kNone:
          still.push_back(i);
          last_relay = relay;
          last_dsn = rr.outcome == Outcome::kSoft ? rr.dsn : "4.4.2";
          last_reason = rr.outcome == Outcome::kSoft
                            ? rr.reason
                            : "lost connection with " + label + " while sending RCPT TO";
          break;
      }
    }
    open = std::move(still);
  }
  if (open.empty()) return;
  all('4', last_relay, last_dsn, last_reason, open);
  if (!greeted) rep.SetSiteFailure(last_reason);
}

}  // namespace smtp
