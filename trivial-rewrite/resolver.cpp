#include "trivial-rewrite/resolver.h"

#include <cctype>

#include "global/address.h"
#include "global/rewrite_proto.h"
#include "util/msg.h"
#include "util/strings.h"
#include "util/valid_hostname.h"

namespace trivial_rewrite {

namespace rp = rewrite_proto;

namespace {

constexpr int kMaxIterations = 100;

// "transport:nexthop" -> parts; no colon: all transport.
void SplitTransport(std::string_view value, std::string* transport, std::string* nexthop) {
  size_t colon = value.find(':');
  *transport = std::string(value.substr(0, colon));
  *nexthop = colon == std::string_view::npos ? "" : std::string(value.substr(colon + 1));
}

bool IsIpv4(std::string_view s) {
  int parts = 0;
  size_t i = 0;
  while (i <= s.size()) {
    size_t dot = s.find('.', i);
    std::string_view part = s.substr(i, dot == std::string_view::npos ? s.size() - i : dot - i);
    if (part.empty() || part.size() > 3) return false;
    for (char c : part) {
      if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    }
    if (std::stoi(std::string(part)) > 255) return false;
    ++parts;
    if (dot == std::string_view::npos) break;
    i = dot + 1;
  }
  return parts == 4;
}

// Postfix's valid_mailhost_literal: [ipv4] or [ipv6:addr].
bool ValidLiteral(std::string_view d) {
  if (d.size() < 3 || d.front() != '[' || d.back() != ']') return false;
  std::string_view inner = d.substr(1, d.size() - 2);
  if (inner.size() > 5 && util::EqualsIgnoreCase(inner.substr(0, 5), "ipv6:")) {
    inner.remove_prefix(5);
    return inner.find(':') != std::string_view::npos &&
           !resolve_local::NormalizeAddress(inner).empty();
  }
  return IsIpv4(inner);
}

bool Routed(std::string_view local) { return local.find_first_of("@!%") != std::string_view::npos; }

}  // namespace

util::StatusOr<std::unique_ptr<Resolver>> Resolver::FromConfig(const config::Config& cfg) {
  util::StatusOr<resolve_local::LocalDomains> local = resolve_local::LocalDomains::FromConfig(cfg);
  if (!local.ok()) return local.status();
  return FromConfig(cfg, std::move(*local));
}

util::StatusOr<std::unique_ptr<Resolver>> Resolver::FromConfig(const config::Config& cfg,
                                                               resolve_local::LocalDomains local) {
  std::unique_ptr<Resolver> r(new Resolver);
  r->routing_ = rewrite::Rules::FromConfig(cfg);
  r->routing_.append_at_myorigin = false;
  r->routing_.append_dot_mydomain = false;
  r->local_ = std::move(local);
  struct ListParam {
    config::AnyParam name;
    domain_list::Style style;
    domain_list::DomainList* out;
  } lists[] = {
      {"virtual_alias_domains", domain_list::Style::kString, &r->alias_domains_},
      {"virtual_mailbox_domains", domain_list::Style::kString, &r->mailbox_domains_},
      {"relay_domains", domain_list::Style::kDomain, &r->relay_domains_},
  };
  for (const ListParam& l : lists) {
    util::StatusOr<domain_list::DomainList> d =
        domain_list::DomainList::FromParameter(cfg, l.name, l.style);
    if (!d.ok()) return d.status();
    *l.out = std::move(*d);
  }
  struct TransportParam {
    config::AnyParam name;
    std::string* out;
  } transports[] = {
      {"local_transport", &r->local_transport_},
      {"virtual_transport", &r->virtual_transport_},
      {"relay_transport", &r->relay_transport_},
      {"default_transport", &r->default_transport_},
  };
  for (const TransportParam& t : transports) {
    *t.out = std::string(util::Trim(cfg.Get(t.name)));
    if (t.out->empty() || t.out->front() == ':')
      return util::FailedPrecondition(
          util::StrFormat("file %s/main.cf: parameter %s: null transport is not allowed",
                          cfg.config_dir().c_str(), std::string(t.name.name()).c_str()));
  }
  struct MapsParam {
    config::AnyParam name;
    maps::Maps* out;
  } tables[] = {
      {"transport_maps", &r->transport_maps_},
      {"sender_dependent_relayhost_maps", &r->sender_relayhost_maps_},
      {"sender_dependent_default_transport_maps", &r->sender_transport_maps_},
      {"relocated_maps", &r->relocated_maps_},
  };
  for (const MapsParam& m : tables) {
    util::StatusOr<maps::Maps> opened = maps::Maps::FromParameter(cfg, m.name);
    if (!opened.ok()) return opened.status();
    *m.out = std::move(*opened);
  }
  Resolver* self = r.get();
  auto is_local = [self](std::string_view d) {
    util::StatusOr<bool> m = self->local_.IsLocal(d);
    return m.ok() && *m;
  };
  r->transport_opts_ = maps::AddrFindOptions::ForConfig(cfg, "transport_maps");
  r->transport_opts_.steps = maps::kTransportSteps;
  r->sender_opts_ = maps::AddrFindOptions::ForConfig(cfg, "sender_dependent_relayhost_maps");
  r->sender_opts_.steps = maps::kVirtualAliasSteps;
  r->sender_opts_.is_local = is_local;
  r->relocated_opts_ = maps::AddrFindOptions::ForConfig(cfg, "relocated_maps");
  r->relocated_opts_.steps = maps::kCanonicalSteps;
  r->relocated_opts_.is_local = is_local;
  r->relayhost_ = std::string(util::Trim(cfg.Get("relayhost")));
  r->myhostname_ = cfg.Get("myhostname");
  r->empty_recipient_ = cfg.Get("empty_address_recipient");
  r->empty_relay_key_ = cfg.Get("empty_address_relayhost_maps_lookup_key");
  r->empty_transport_key_ = cfg.Get("empty_address_default_transport_maps_lookup_key");
  r->resolve_null_domain_ = cfg.GetBool("resolve_null_domain");
  r->resolve_numeric_domain_ = cfg.GetBool("resolve_numeric_domain");
  r->smtputf8_ = cfg.GetBool("smtputf8_enable");
  r->helpful_warnings_ = cfg.GetBool("helpful_warnings");
  r->show_table_name_ = cfg.GetBool("show_user_unknown_table_name");
  return r;
}

void Resolver::CheckChanges() {
  local_.CheckChanges();
  alias_domains_.CheckChanges();
  mailbox_domains_.CheckChanges();
  relay_domains_.CheckChanges();
  transport_maps_.CheckChanges();
  sender_relayhost_maps_.CheckChanges();
  sender_transport_maps_.CheckChanges();
  relocated_maps_.CheckChanges();
}

bool Resolver::Fail(Resolution* out, std::string_view what, const std::string& reason) {
  msg::Warn("%.*s lookup failure", static_cast<int>(what.size()), what.data());
  out->temp_fail = true;
  out->reason = std::string(what) + " lookup failure: " + reason;
  out->flags |= rp::kFlagFail;
  return false;
}

void Resolver::WarnBoth(std::string_view domain, std::string_view a,
                        domain_list::DomainList* list_b, std::string_view b) {
  if (!helpful_warnings_ || list_b->empty()) return;
  util::StatusOr<bool> m = list_b->Match(domain);
  if (!m.ok() || !*m) return;
  std::string text = util::StrFormat("do not list domain %s in BOTH %.*s and %.*s",
                                     util::Lowercase(domain).c_str(), static_cast<int>(a.size()),
                                     a.data(), static_cast<int>(b.size()), b.data());
  if (warned_.insert(text).second) msg::Warn("%s", text.c_str());
}

Resolution Resolver::Resolve(std::string_view sender, std::string_view address) {
  Resolution out;
  std::string addr = address.empty() ? empty_recipient_ : std::string(address);
  std::string saved_domain;  // the local domain that was stripped
  bool bad_syntax = false;
  // Step 1: strip local domains, follow routing inside them.
  for (int i = 0;; ++i) {
    if (i >= kMaxIterations) {
      msg::Warn("resolve_addr: <%s>: giving up after %d iterations",
                util::Printable(address).c_str(), i);
      out.temp_fail = true;
      out.reason = "address resolver loop";
      out.flags |= rp::kFlagFail;
      return out;
    }
    address::Parts p = address::Split(addr);
    if (p.has_at) {
      std::string domain = p.domain;
      while (domain.size() > 1 && domain.back() == '.') domain.pop_back();
      if (domain.empty() || domain == ".") {
        if (!resolve_null_domain_) {
          bad_syntax = true;
          addr = p.local + "@";
          break;
        }
        addr = p.local;
        saved_domain.clear();
      } else {
        if (resolve_numeric_domain_ && IsIpv4(domain)) domain = "[" + domain + "]";
        addr = p.local + "@" + domain;
        util::StatusOr<bool> local = local_.IsLocal(domain);
        if (!local.ok()) {
          Fail(&out, "mydestination", local.status().message());
          return out;
        }
        if (!*local) break;
        saved_domain = domain;
        addr = p.local;
      }
    }
    // Routing in the local part counts whether or not a local domain was
    // stripped: "user%other.example" without any domain is mail for
    // other.example (percent hack, bang path), never local mail; treating
    // it as local let smtpd's relay check accept it (an open relay).
    if (!Routed(addr)) break;
    std::string next = routing_.Rewrite(rewrite::Context::kLocal, addr);
    if (!address::Split(next).has_at) break;  // nothing routable after all
    addr = next;
    saved_domain.clear();
  }
  // Step 2: the class.
  address::Parts p = address::Split(addr);
  std::string rcpt_domain;
  std::string spec;  // transport[:nexthop]
  unsigned class_flag = 0;
  if (bad_syntax) {
    out.recipient = addr;
    out.flags |= rp::kFlagError | rp::kClassDefault;
    out.transport = "error";
    out.nexthop = "5.1.3 bad address syntax";
    return out;
  }
  if (!p.has_at) {
    rcpt_domain = saved_domain.empty() ? myhostname_ : saved_domain;
    out.recipient = p.local + "@" + rcpt_domain;
    class_flag = rp::kClassLocal;
    spec = local_transport_;
    WarnBoth(rcpt_domain, "mydestination", &alias_domains_, "virtual_alias_domains");
    WarnBoth(rcpt_domain, "mydestination", &mailbox_domains_, "virtual_mailbox_domains");
  } else {
    rcpt_domain = p.domain;
    out.recipient = addr;
    if (Routed(p.local)) out.flags |= rp::kFlagRouted;
    bool valid = rcpt_domain.front() == '[' ? ValidLiteral(rcpt_domain)
                                            : util::ValidHostname(rcpt_domain, smtputf8_);
    if (!valid) {
      out.flags |= rp::kFlagError | rp::kClassDefault;
      out.transport = "error";
      out.nexthop = "5.1.3 bad address syntax";
      return out;
    }
    util::StatusOr<bool> m = alias_domains_.Match(rcpt_domain);
    if (!m.ok()) {
      Fail(&out, "virtual_alias_domains", m.status().message());
      return out;
    }
    if (*m) {
      WarnBoth(rcpt_domain, "virtual_alias_domains", &mailbox_domains_, "virtual_mailbox_domains");
      WarnBoth(rcpt_domain, "virtual_alias_domains", &relay_domains_, "relay_domains");
      class_flag = rp::kClassAlias;
      spec = std::string("error:5.1.1 User unknown") +
             (show_table_name_ ? " in virtual alias table" : "");
    } else {
      m = mailbox_domains_.Match(rcpt_domain);
      if (!m.ok()) {
        Fail(&out, "virtual_mailbox_domains", m.status().message());
        return out;
      }
      if (*m) {
        WarnBoth(rcpt_domain, "virtual_mailbox_domains", &relay_domains_, "relay_domains");
        class_flag = rp::kClassVirtual;
        spec = virtual_transport_;
      } else {
        m = relay_domains_.Match(rcpt_domain);
        if (!m.ok()) {
          Fail(&out, "relay_domains", m.status().message());
          return out;
        }
        if (*m) {
          class_flag = rp::kClassRelay;
          spec = relay_transport_;
        } else {
          class_flag = rp::kClassDefault;
          spec = default_transport_;
          if (!sender_transport_maps_.empty()) {
            std::string key = sender.empty() ? empty_transport_key_ : std::string(sender);
            maps::AddrFindResult f = maps::FindAddress(sender_transport_maps_, key, sender_opts_);
            if (f.result.temp_error()) {
              Fail(&out, "sender_dependent_default_transport_maps", f.result.value);
              return out;
            }
            if (f.result.found() && !util::EqualsIgnoreCase(f.result.value, "DUNNO")) {
              spec = f.result.value;
              // ":nexthop" keeps default_transport's transport.
              if (spec.front() == ':')
                spec = default_transport_.substr(0, default_transport_.find(':')) + spec;
            }
          }
        }
      }
    }
  }
  out.flags |= class_flag;
  if (class_flag & rp::kClassFinal) out.flags |= rp::kFlagFinal;
  SplitTransport(spec, &out.transport, &out.nexthop);
  if (out.nexthop.empty()) {
    if (class_flag & (rp::kClassRelay | rp::kClassDefault)) {
      if (!sender_relayhost_maps_.empty()) {
        std::string key = sender.empty() ? empty_relay_key_ : std::string(sender);
        maps::AddrFindResult f = maps::FindAddress(sender_relayhost_maps_, key, sender_opts_);
        if (f.result.temp_error()) {
          Fail(&out, "sender_dependent_relayhost_maps", f.result.value);
          return out;
        }
        if (f.result.found() && !util::EqualsIgnoreCase(f.result.value, "DUNNO"))
          out.nexthop = f.result.value;
      }
      if (out.nexthop.empty()) out.nexthop = relayhost_;
    }
    if (out.nexthop.empty()) out.nexthop = rcpt_domain;
  }
  // Step 3: transport_maps.
  if (!transport_maps_.empty()) {
    maps::AddrFindResult f = maps::FindAddress(transport_maps_, out.recipient, transport_opts_);
    if (f.result.temp_error()) {
      Fail(&out, "transport_maps", f.result.value);
      return out;
    }
    if (f.result.found()) {
      std::string transport, nexthop;
      SplitTransport(f.result.value, &transport, &nexthop);
      if (transport.empty()) {
        if (!nexthop.empty()) out.nexthop = nexthop;
      } else {
        out.transport = transport;
        if (!nexthop.empty()) {
          out.nexthop = nexthop;
        } else if (transport != "error" && transport != "retry") {
          out.nexthop = rcpt_domain;
        } else {
          out.nexthop = "Address is undeliverable";
        }
      }
    }
  }
  // Step 4: relocated_maps.
  if (!relocated_maps_.empty()) {
    maps::AddrFindResult f = maps::FindAddress(relocated_maps_, out.recipient, relocated_opts_);
    if (f.result.temp_error()) {
      Fail(&out, "relocated_maps", f.result.value);
      return out;
    }
    if (f.result.found()) {
      out.transport = "error";
      out.nexthop = "5.1.6 User has moved to " + f.result.value;
    }
  }
  return out;
}

}  // namespace trivial_rewrite
