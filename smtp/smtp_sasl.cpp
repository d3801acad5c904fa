// smtp_sasl: see smtp_sasl.h.
#include "smtp/smtp_sasl.h"

#include "util/base64.h"
#include "util/strings.h"

namespace smtp {
namespace {

// The built-in mechanisms, in order of preference, with the properties the
// security options judge (as Cyrus describes PLAIN and LOGIN: the password
// crosses in the clear and is open to dictionary and active attacks).
std::vector<dovecot_auth::Mech> BuiltIn() {
  std::vector<dovecot_auth::Mech> out;
  for (const char* name : {"PLAIN", "LOGIN"}) {
    dovecot_auth::Mech m;
    m.name = name;
    m.plaintext = m.dictionary = m.active = true;
    out.push_back(m);
  }
  return out;
}

util::StatusOr<dovecot_auth::Security> Options(const config::Config& cfg, config::AnyParam p) {
  auto s = dovecot_auth::ParseSecurity(cfg.Get(p));
  if (!s.ok()) return util::InvalidArgument(std::string(p.name()) + ": " + s.status().message());
  return s;
}

}  // namespace

std::string ChooseMechanism(const std::vector<std::string>& offered, const SaslSession& s, bool tls,
                            bool verified) {
  const dovecot_auth::Security& sec = verified ? s.verified : tls ? s.tls : s.plain;
  for (const std::string& m : dovecot_auth::Filter(BuiltIn(), sec)) {
    bool is_offered = false;
    for (const std::string& o : offered) is_offered |= util::EqualsIgnoreCase(o, m);
    if (!is_offered) continue;
    if (!s.filter.empty()) {
      bool allowed = false;
      for (const std::string& f : s.filter) allowed |= util::EqualsIgnoreCase(f, m);
      if (!allowed) continue;
    }
    return m;
  }
  return "";
}

std::string PlainResponse(const SaslCredentials& c) {
  std::string raw;
  raw += '\0';
  raw += c.user;
  raw += '\0';
  raw += c.password;
  return util::base64::Encode(raw);
}

util::StatusOr<std::unique_ptr<SaslClient>> SaslClient::FromConfig(const config::Config& cfg) {
  if (!cfg.GetBool("smtp_sasl_auth_enable")) return std::unique_ptr<SaslClient>();
  std::string type = util::Lowercase(util::Trim(cfg.Get("smtp_sasl_type")));
  if (type != "cyrus")
    return util::InvalidArgument("smtp_sasl_type = " + type +
                                 ": the SMTP client supports only the built-in PLAIN and LOGIN "
                                 "mechanisms (smtp_sasl_type = cyrus)");
  std::unique_ptr<SaslClient> c(new SaslClient());
  if (util::Trim(cfg.Get("smtp_sasl_password_maps")).empty())
    return util::InvalidArgument(
        "specify a password table via the `smtp_sasl_password_maps' configuration parameter");
  auto maps = maps::Maps::FromParameter(cfg, "smtp_sasl_password_maps");
  if (!maps.ok()) return maps.status();
  c->passwords_ = std::move(*maps);
  c->find_ = maps::AddrFindOptions::ForConfig(cfg, "smtp_sasl_password_maps");
  c->find_.steps = maps::kFindFull | maps::kFindNoExt | maps::kFindAtDomain;
  c->sender_dependent_ = cfg.GetBool("smtp_sender_dependent_authentication");
  auto plain = Options(cfg, "smtp_sasl_security_options");
  if (!plain.ok()) return plain.status();
  auto tls = Options(cfg, "smtp_sasl_tls_security_options");
  if (!tls.ok()) return tls.status();
  auto verified = Options(cfg, "smtp_sasl_tls_verified_security_options");
  if (!verified.ok()) return verified.status();
  c->base_.plain = *plain;
  c->base_.tls = *tls;
  c->base_.verified = *verified;
  for (const std::string& f : cfg.GetList("smtp_sasl_mechanism_filter"))
    c->base_.filter.push_back(util::Uppercase(f));
  c->base_.soft_bounce = cfg.GetBool("smtp_sasl_auth_soft_bounce");
  return c;
}

util::StatusOr<std::optional<SaslCredentials>> SaslClient::Find(const std::string& sender,
                                                                const std::string& host_name,
                                                                const std::string& nexthop) {
  tables::LookupResult r;
  if (sender_dependent_ && !sender.empty()) r = maps::FindAddress(passwords_, sender, find_).result;
  if (r.not_found() && !host_name.empty()) r = passwords_.Find(util::Lowercase(host_name));
  if (r.not_found() && !nexthop.empty()) r = passwords_.Find(nexthop);
  if (r.temp_error()) return util::Unavailable("smtp_sasl_password_maps lookup error: " + r.value);
  if (!r.found()) return std::optional<SaslCredentials>();
  size_t colon = r.value.find(':');
  SaslCredentials c;
  c.user = r.value.substr(0, colon);
  if (colon != std::string::npos) c.password = r.value.substr(colon + 1);
  return std::optional<SaslCredentials>(std::move(c));
}

SaslSession SaslClient::SessionFor(const SaslCredentials& c) const {
  SaslSession s = base_;
  s.credentials = c;
  return s;
}

}  // namespace smtp
