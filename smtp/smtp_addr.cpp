// smtp_addr: see smtp_addr.h.
#include "smtp/smtp_addr.h"

#include <arpa/inet.h>

#include <algorithm>
#include <set>

#include "global/resolve_local.h"
#include "util/msg.h"
#include "util/sockets.h"
#include "util/strings.h"

namespace smtp {
namespace {

constexpr char kNotFoundPrefix[] = "Host or domain name not found. Name service error for name=";

bool SameName(std::string_view a, std::string_view b) {
  auto strip = [](std::string_view s) {
    if (!s.empty() && s.back() == '.') s.remove_suffix(1);
    return s;
  };
  return util::Lowercase(strip(a)) == util::Lowercase(strip(b));
}

// Normalizes a numeric address ("::ffff:127.0.0.1" stays as inet_ntop says).
std::string Normalize(std::string_view text) {
  std::string s(text);
  unsigned char buf[16];
  char out[INET6_ADDRSTRLEN];
  if (inet_pton(AF_INET, s.c_str(), buf) == 1 && inet_ntop(AF_INET, buf, out, sizeof(out)))
    return out;
  if (inet_pton(AF_INET6, s.c_str(), buf) == 1 && inet_ntop(AF_INET6, buf, out, sizeof(out)))
    return out;
  return "";
}

struct AddrResult {
  std::vector<std::string> addresses;
  bool temp = false;  // when empty: temporary failure
  std::string reason;
};

// The addresses of one host name, per smtp_host_lookup.
AddrResult HostAddresses(const std::string& host, const LookupOptions& o,
                         util::dns::Resolver& resolver) {
  AddrResult out;
  std::string type = o.ipv4 ? "A" : "AAAA";
  bool any_temp = false;
  std::string last_reason;
  for (const std::string& method : o.host_lookup) {
    if (method == "dns") {
      util::dns::Answer a = util::dns::LookupAddresses(resolver, host, o.ipv4, o.ipv6);
      if (a.status == util::dns::Result::kFound) {
        for (const auto& r : a.records) out.addresses.push_back(r.value);
        return out;
      }
      if (a.status == util::dns::Result::kTempFail) any_temp = true;
      last_reason = kNotFoundPrefix + host + " type=" + type + ": " + a.error;
    } else if (method == "native") {
      util::InetProtocols p = o.ipv4 && o.ipv6 ? util::InetProtocols::kAll
                              : o.ipv4         ? util::InetProtocols::kIpv4
                                               : util::InetProtocols::kIpv6;
      auto r = util::Resolve(host, 0, p);
      if (r.ok() && !r->empty()) {
        for (const auto& sa : *r) out.addresses.push_back(sa.Address());
        return out;
      }
      if (!r.ok() && r.status().code() == util::Code::kUnavailable) any_temp = true;
      last_reason = "Host or domain name not found. Name service error for name=" + host +
                    " type=" + type + ": " +
                    (any_temp ? "Host not found, try again" : "Host not found");
    }
  }
  out.temp = any_temp;
  out.reason = last_reason;
  return out;
}

bool IsOwnAddress(const std::string& addr, const LookupOptions& o) {
  std::string n = Normalize(addr);
  return std::find(o.own_addresses.begin(), o.own_addresses.end(), n) != o.own_addresses.end();
}

void Limit(Plan* p, const LookupOptions& o) {
  if (o.mx_address_limit > 0 && p->hosts.size() > static_cast<size_t>(o.mx_address_limit))
    p->hosts.resize(o.mx_address_limit);
}

Plan Fail(std::string dsn, std::string reason) {
  Plan p;
  p.dsn = std::move(dsn);
  p.reason = std::move(reason);
  return p;
}

}  // namespace

LookupOptions LookupOptions::FromConfig(const config::Config& cfg, std::string_view prefix) {
  std::string pfx(prefix);
  LookupOptions o;
  o.mx_dns = !cfg.GetBool("disable_dns_lookups") &&
             cfg.Get(config::AnyParam::Dynamic(pfx + "_dns_support_level")) != "disabled";
  o.host_lookup.clear();
  for (const std::string& m : cfg.GetList(config::AnyParam::Dynamic(pfx + "_host_lookup"))) {
    std::string l = util::Lowercase(m);
    if (l == "dns" || l == "native") {
      if (l == "dns" && !o.mx_dns) continue;
      o.host_lookup.push_back(l);
    } else {
      msg::Warn("%s_host_lookup: unknown lookup method \"%s\" ignored", pfx.c_str(), m.c_str());
    }
  }
  if (o.host_lookup.empty()) o.host_lookup.push_back(o.mx_dns ? "dns" : "native");
  auto protocols = util::ParseInetProtocols(cfg.Get("inet_protocols"));
  if (!protocols.ok()) msg::Fatal("%s", protocols.status().message().c_str());
  o.ipv4 = *protocols != util::InetProtocols::kIpv6;
  o.ipv6 = *protocols != util::InetProtocols::kIpv4;
  o.mx_address_limit =
      static_cast<int>(cfg.GetInt(config::IntParam::Dynamic(pfx + "_mx_address_limit")));
  auto port = util::ParsePort(cfg.Get(config::AnyParam::Dynamic(pfx + "_tcp_port")));
  if (!port.ok()) msg::Fatal("%s_tcp_port: %s", pfx.c_str(), port.status().message().c_str());
  o.default_port = *port;
  o.fallback_relays = cfg.GetList(config::AnyParam::Dynamic(pfx + "_fallback_relay"));
  o.myhostname = cfg.Get("myhostname");
  auto local = resolve_local::LocalDomains::FromConfig(cfg);
  if (local.ok()) {
    for (const std::string& a : local->addresses()) o.own_addresses.push_back(Normalize(a));
  } else {
    msg::Warn("cannot determine this host's addresses: %s", local.status().message().c_str());
  }
  return o;
}

Plan PlanDestination(std::string_view nexthop, const LookupOptions& o,
                     util::dns::Resolver& resolver) {
  std::string_view dest = util::Trim(nexthop);
  if (o.lmtp && dest.starts_with("unix:") && dest.size() > 5) {
    Plan p;
    p.hosts.push_back(Host{o.myhostname, std::string(dest.substr(5)), 0, 0, true});
    return p;
  }
  if (o.lmtp && dest.starts_with("inet:")) dest.remove_prefix(5);
  auto hp = util::ParseHostPort(dest, util::BareWord::kHost, o.default_port);
  if (!hp.ok() || hp->host.empty())
    return Fail("4.3.5", "bad nexthop \"" + std::string(nexthop) + "\"");
  std::string host = hp->host;
  if (host.size() > 1 && host.back() == '.') host.pop_back();
  int port = hp->port;

  // A numeric address: connect to it as is.
  if (std::string n = Normalize(host); !n.empty()) {
    Plan p;
    p.hosts.push_back(Host{n, n, port, 0});
    return p;
  }

  auto addresses_of = [&](const std::string& name, int pref, Plan* p) -> AddrResult {
    AddrResult a = HostAddresses(name, o, resolver);
    for (const std::string& addr : a.addresses) p->hosts.push_back(Host{name, addr, port, pref});
    return a;
  };

  if (hp->bracketed || !o.mx_dns || o.lmtp) {
    Plan p;
    AddrResult a = addresses_of(host, 0, &p);
    if (p.hosts.empty()) return Fail(a.temp ? "4.4.3" : "5.4.4", a.reason);
    Limit(&p, o);
    return p;
  }

  util::dns::Answer mx = resolver.Lookup(host, util::dns::Type::kMx);
  if (mx.status == util::dns::Result::kTempFail)
    return Fail("4.4.3", kNotFoundPrefix + host + " type=MX: " + mx.error);
  if (mx.status != util::dns::Result::kFound) {
    // No MX: the domain's own addresses (RFC 5321 5.1).
    Plan p;
    AddrResult a = addresses_of(host, 0, &p);
    if (p.hosts.empty()) return Fail(a.temp ? "4.4.3" : "5.4.4", a.reason);
    Limit(&p, o);
    return p;
  }
  if (mx.records.size() == 1 && (mx.records[0].value == "." || mx.records[0].value.empty()))
    return Fail("5.1.10", "Domain " + host + " does not accept mail (nullMX)");

  // Drop this host and everything not better than it.
  int self_pref = -1;
  for (const auto& r : mx.records)
    if (SameName(r.value, o.myhostname)) {
      self_pref = r.preference;
      break;
    }
  Plan p;
  bool any_temp = false;
  std::string last_reason;
  bool saw_self = self_pref >= 0;
  for (const auto& r : mx.records) {
    if (self_pref >= 0 && r.preference >= self_pref) break;
    AddrResult a = HostAddresses(r.value, o, resolver);
    if (a.addresses.empty()) {
      any_temp |= a.temp;
      last_reason = a.reason;
      continue;
    }
    bool self = false;
    for (const std::string& addr : a.addresses)
      if (IsOwnAddress(addr, o)) self = true;
    if (self) {
      saw_self = true;
      self_pref = r.preference;
      // Keep only strictly better hosts already collected.
      p.hosts.erase(std::remove_if(p.hosts.begin(), p.hosts.end(),
                                   [&](const Host& h) { return h.preference >= self_pref; }),
                    p.hosts.end());
      break;
    }
    for (const std::string& addr : a.addresses)
      p.hosts.push_back(Host{r.value, addr, port, r.preference});
  }
  if (p.hosts.empty()) {
    if (saw_self) return Fail("5.4.6", "mail for " + host + " loops back to myself");
    return Fail(any_temp ? "4.4.3" : "5.4.4", last_reason);
  }
  Limit(&p, o);
  return p;
}

Plan PlanDelivery(std::string_view nexthop, const LookupOptions& o, util::dns::Resolver& resolver) {
  Plan p = PlanDestination(nexthop, o, resolver);
  if (o.fallback_relays.empty()) return p;
  if (p.ok() && p.hosts[0].local) {
    msg::Warn("ignoring \"lmtp_fallback_relay = %s\" setting for non-TCP connections",
              util::Join(o.fallback_relays, " ").c_str());
    return p;
  }
  // A loop or a null MX is final; every other failure may be relayed.
  if (!p.ok() && (p.dsn == "5.4.6" || p.dsn == "5.1.10")) return p;
  std::set<std::pair<std::string, int>> seen;
  for (const Host& h : p.hosts) seen.insert({h.address, h.port});
  for (const std::string& relay : o.fallback_relays) {
    Plan f = PlanDestination(relay, o, resolver);
    for (Host& h : f.hosts)
      if (seen.insert({h.address, h.port}).second) p.hosts.push_back(std::move(h));
  }
  return p;
}

}  // namespace smtp
