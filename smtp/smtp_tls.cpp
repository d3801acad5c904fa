// smtp_tls: see smtp_tls.h.
#include "smtp/smtp_tls.h"

#include <chrono>

#include "global/tls_ciphers.h"
#include "util/msg.h"
#include "util/strings.h"

namespace smtp {
namespace {

constexpr size_t kMaxCachedSessions = 1000;

struct LevelName {
  std::string_view name;
  TlsLevel level;
};
constexpr LevelName kLevels[] = {
    {"none", TlsLevel::kNone},       {"may", TlsLevel::kMay},
    {"encrypt", TlsLevel::kEncrypt}, {"fingerprint", TlsLevel::kFingerprint},
    {"verify", TlsLevel::kVerify},   {"secure", TlsLevel::kSecure},
    {"dane", TlsLevel::kMay},        {"dane-only", TlsLevel::kDaneOnly},
};

}  // namespace

std::optional<TlsLevel> ParseTlsLevel(std::string_view name) {
  std::string l = util::Lowercase(util::Trim(name));
  for (const LevelName& n : kLevels)
    if (n.name == l) return n.level;
  return std::nullopt;
}

const char* TlsLevelName(TlsLevel level) {
  for (const LevelName& n : kLevels)
    if (n.level == level) return n.name.data();
  return "none";
}

util::StatusOr<TlsPolicy> ParseTlsPolicy(std::string_view value) {
  std::vector<std::string> words = util::SplitAny(value, " \t,");
  if (words.empty()) return util::InvalidArgument("empty TLS policy");
  TlsPolicy p;
  auto level = ParseTlsLevel(words[0]);
  if (!level) return util::InvalidArgument("invalid TLS security level \"" + words[0] + "\"");
  p.level = *level;
  for (size_t i = 1; i < words.size(); i++) {
    const std::string& w = words[i];
    size_t eq = w.find('=');
    if (eq == std::string::npos)
      return util::InvalidArgument("malformed TLS policy attribute \"" + w + "\"");
    std::string name = util::Lowercase(w.substr(0, eq));
    std::string v = w.substr(eq + 1);
    if (name == "match") {
      p.match = util::SplitAny(v, p.level == TlsLevel::kFingerprint ? "|" : ":");
      p.match_set = true;
    } else if (name == "protocols") {
      p.protocols = v;
    } else if (name == "ciphers") {
      p.ciphers = v;
    } else if (name == "exclude") {
      for (const std::string& c : util::SplitAny(v, ":")) p.exclude.push_back(c);
    } else if (name == "servername") {
      p.servername = v;
    } else {
      return util::InvalidArgument("unknown TLS policy attribute \"" + name + "\"");
    }
  }
  return p;
}

util::StatusOr<std::unique_ptr<TlsClient>> TlsClient::FromConfig(const config::Config& cfg) {
  std::unique_ptr<TlsClient> c(new TlsClient());
  c->cfg_ = &cfg;
  std::string level = std::string(util::Trim(cfg.Get("smtp_tls_security_level")));
  if (level.empty()) {
    // The legacy switches.
    if (cfg.GetBool("smtp_enforce_tls"))
      level = cfg.GetBool("smtp_tls_enforce_peername") ? "verify" : "encrypt";
    else if (cfg.GetBool("smtp_use_tls"))
      level = "may";
    else
      level = "none";
  }
  auto parsed = ParseTlsLevel(level);
  if (!parsed) return util::InvalidArgument("invalid smtp_tls_security_level: \"" + level + "\"");
  if (util::Lowercase(level) == "dane")
    msg::Warn(
        "smtp_tls_security_level = dane: DNSSEC validation is not available, "
        "using opportunistic TLS (may)");
  c->default_.level = *parsed;
  std::string maps = std::string(util::Trim(cfg.Get("smtp_tls_policy_maps")));
  if (!maps.empty()) {
    auto m = maps::Maps::FromParameter(cfg, "smtp_tls_policy_maps");
    if (!m.ok()) return m.status();
    c->policy_maps_ = std::make_unique<maps::Maps>(std::move(*m));
  }
  c->verify_match_ = cfg.GetList("smtp_tls_verify_cert_match");
  c->secure_match_ = cfg.GetList("smtp_tls_secure_cert_match");
  c->fingerprint_match_ = cfg.GetList("smtp_tls_fingerprint_cert_match");
  c->servername_ = std::string(util::Trim(cfg.Get("smtp_tls_servername")));
  c->protocols_ = cfg.Get("smtp_tls_protocols");
  c->mandatory_protocols_ = cfg.Get("smtp_tls_mandatory_protocols");
  c->ciphers_ = cfg.Get("smtp_tls_ciphers");
  c->mandatory_ciphers_ = cfg.Get("smtp_tls_mandatory_ciphers");
  c->exclude_ = cfg.GetList("smtp_tls_exclude_ciphers");
  c->mandatory_exclude_ = c->exclude_;
  for (const std::string& e : cfg.GetList("smtp_tls_mandatory_exclude_ciphers"))
    c->mandatory_exclude_.push_back(e);
  c->loglevel_ = static_cast<int>(cfg.GetInt("smtp_tls_loglevel"));
  c->note_starttls_offer_ = cfg.GetBool("smtp_tls_note_starttls_offer");
  c->wrappermode_ = cfg.GetBool("smtp_tls_wrappermode");
  c->starttls_timeout_ = static_cast<int>(cfg.GetTime("smtp_starttls_timeout"));
  c->cache_sessions_ = !util::Trim(cfg.Get("smtp_tls_session_cache_database")).empty();
  c->cache_timeout_ = static_cast<double>(cfg.GetTime("smtp_tls_session_cache_timeout"));
  for (const std::string* grade : {&c->ciphers_, &c->mandatory_ciphers_}) {
    auto l = tls_ciphers::ForGrade(cfg, *grade, {});
    if (!l.ok()) return l.status();
  }
  // The context: only when some destination may use TLS. A context that
  // cannot be made (a bad CA file) is not fatal: sessions that need TLS
  // are deferred with the reason, the others go on in plain text.
  if (c->default_.level != TlsLevel::kNone || c->policy_maps_ || c->wrappermode_) {
    util::tls::ClientSettings s;
    s.protocols = c->protocols_;
    auto list = tls_ciphers::ForGrade(cfg, c->ciphers_, c->exclude_);
    if (!list.ok()) return list.status();
    s.cipherlist = *list;
    s.ca_file = std::string(util::Trim(cfg.Get("smtp_tls_CAfile")));
    s.ca_path = std::string(util::Trim(cfg.Get("smtp_tls_CApath")));
    s.verify_depth = static_cast<int>(cfg.GetInt("smtp_tls_scert_verifydepth"));
    std::string cert(util::Trim(cfg.Get("smtp_tls_cert_file")));
    if (!cert.empty())
      s.cert_key.push_back({cert, std::string(util::Trim(cfg.Get("smtp_tls_key_file")))});
    std::string eccert(util::Trim(cfg.Get("smtp_tls_eccert_file")));
    if (!eccert.empty())
      s.cert_key.push_back({eccert, std::string(util::Trim(cfg.Get("smtp_tls_eckey_file")))});
    auto ctx = util::tls::ClientContext::Create(s);
    if (ctx.ok()) {
      c->ctx_ = std::move(*ctx);
    } else {
      c->ctx_error_ = ctx.status().message();
      msg::Warn("TLS is not available to the SMTP client: %s", c->ctx_error_.c_str());
    }
  }
  return c;
}

util::StatusOr<TlsPolicy> TlsClient::PolicyFor(const std::string& nexthop) const {
  if (!policy_maps_) return default_;
  std::vector<std::string> keys{nexthop};
  if (!nexthop.empty() && nexthop[0] != '[') {
    // A domain (with an optional :port): its parents as ".parent".
    std::string domain = nexthop.substr(0, nexthop.find(':'));
    keys[0] = util::Lowercase(nexthop);
    for (size_t dot = domain.find('.'); dot != std::string::npos; dot = domain.find('.', dot + 1))
      keys.push_back(util::Lowercase(domain.substr(dot)));
  }
  for (const std::string& key : keys) {
    tables::LookupResult r = policy_maps_->Find(key);
    if (r.temp_error())
      return util::Unavailable("smtp_tls_policy_maps lookup error for \"" + key + "\"");
    if (!r.found()) continue;
    auto p = ParseTlsPolicy(r.value);
    if (!p.ok()) {
      msg::Warn("%s: TLS policy lookup for %s: %s", cfg_->Get("smtp_tls_policy_maps").c_str(),
                key.c_str(), p.status().message().c_str());
      return util::FailedPrecondition("TLS policy lookup error for " + key);
    }
    return p;
  }
  return default_;
}

TlsSession TlsClient::SessionFor(const TlsPolicy& policy, const std::string& host_name,
                                 const std::string& domain) const {
  TlsSession s;
  s.level = policy.level;
  s.wrappermode = wrappermode_;
  // SMTPS has no plain-text fallback: at least encrypt.
  if (wrappermode_ && !TlsMandatory(s.level)) s.level = TlsLevel::kEncrypt;
  s.ctx = ctx_.get();
  s.ctx_error = ctx_error_;
  s.loglevel = loglevel_;
  s.note_starttls_offer = note_starttls_offer_;
  s.starttls_timeout = starttls_timeout_;
  const bool mandatory = TlsMandatory(policy.level);
  util::tls::ConnectOptions& o = s.options;
  o.fingerprint_digest = util::Lowercase(util::Trim(cfg_->Get("smtp_tls_fingerprint_digest")));
  o.protocols = !policy.protocols.empty() ? policy.protocols
                : mandatory               ? mandatory_protocols_
                                          : std::string();
  std::vector<std::string> exclude = mandatory ? mandatory_exclude_ : exclude_;
  for (const std::string& e : policy.exclude) exclude.push_back(e);
  if (mandatory || !policy.ciphers.empty() || !policy.exclude.empty()) {
    std::string grade = !policy.ciphers.empty() ? policy.ciphers
                        : mandatory             ? mandatory_ciphers_
                                                : ciphers_;
    auto list = tls_ciphers::ForGrade(*cfg_, grade, exclude);
    if (list.ok()) {
      o.cipherlist = *list;
    } else {
      s.ctx = nullptr;
      s.ctx_error = list.status().message();
    }
  }
  std::string sni = !policy.servername.empty() ? policy.servername : servername_;
  if (sni == "hostname")
    o.sni = host_name;
  else if (sni == "nexthop")
    o.sni = domain;
  else
    o.sni = sni;
  if (policy.level == TlsLevel::kFingerprint) {
    s.fingerprints = policy.match_set ? policy.match : fingerprint_match_;
  } else if (policy.level == TlsLevel::kVerify || policy.level == TlsLevel::kSecure) {
    const std::vector<std::string>& match = policy.match_set                    ? policy.match
                                            : policy.level == TlsLevel::kVerify ? verify_match_
                                                                                : secure_match_;
    for (const std::string& m : match) {
      std::string l = util::Lowercase(m);
      if (l == "hostname")
        o.match_names.push_back(host_name);
      else if (l == "nexthop")
        o.match_names.push_back(domain);
      else if (l == "dot-nexthop")
        o.match_names.push_back("." + domain);
      else
        o.match_names.push_back(m);
    }
  }
  return s;
}

TlsSession TlsClient::SessionFor(const TlsPolicy& policy, const std::string& host_name,
                                 const std::string& domain, const std::string& address, int port) {
  TlsSession s = SessionFor(policy, host_name, domain);
  if (!cache_sessions_ || s.level == TlsLevel::kNone) return s;
  const double now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  // One session per server and what is asked of it: a session made under
  // other settings is never offered.
  std::string key = address + "]:" + std::to_string(port) + "/" + s.options.sni + "/" +
                    TlsLevelName(s.level) + "/" + s.options.protocols + "/" + s.options.cipherlist;
  CachedSlot& c = sessions_[key];
  if (!c.slot || now - c.created > cache_timeout_)
    c = CachedSlot{util::tls::NewResumptionSlot(), now};
  s.options.resumption = c.slot;
  // Bounded: the oldest entries go first.
  while (sessions_.size() > kMaxCachedSessions) {
    auto oldest = sessions_.begin();
    for (auto it = sessions_.begin(); it != sessions_.end(); ++it)
      if (it->second.created < oldest->second.created) oldest = it;
    sessions_.erase(oldest);
  }
  return s;
}

std::string NexthopDomain(std::string_view nexthop) {
  std::string_view n = nexthop;
  if (n.starts_with("[")) {
    size_t close = n.find(']');
    return std::string(n.substr(1, close == std::string_view::npos ? n.npos : close - 1));
  }
  return util::Lowercase(n.substr(0, n.find(':')));
}

}  // namespace smtp
