#include "global/resolve_local.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>

#include <algorithm>

#include "util/sockets.h"
#include "util/strings.h"

namespace resolve_local {

namespace {

void AddUnique(std::vector<std::string>* out, std::string a) {
  if (!a.empty() && std::find(out->begin(), out->end(), a) == out->end())
    out->push_back(std::move(a));
}

void AddAllInterfaces(std::vector<std::string>* out) {
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) {
    AddUnique(out, "127.0.0.1");
    AddUnique(out, "::1");
    return;
  }
  for (const ifaddrs* ifa = list; ifa != nullptr; ifa = ifa->ifa_next) {
    if (ifa->ifa_addr == nullptr || !(ifa->ifa_flags & IFF_UP)) continue;
    int family = ifa->ifa_addr->sa_family;
    if (family != AF_INET && family != AF_INET6) continue;
    AddUnique(out, NormalizeAddress(util::FormatAddress(ifa->ifa_addr)));
  }
  freeifaddrs(list);
}

// Adds the addresses of an inet_interfaces/proxy_interfaces value.
util::Status AddInterfaces(std::string_view param, const std::string& value,
                           util::InetProtocols protocols, std::vector<std::string>* out) {
  for (const std::string& item : util::SplitList(value)) {
    if (util::EqualsIgnoreCase(item, "all")) {
      AddAllInterfaces(out);
      continue;
    }
    if (util::EqualsIgnoreCase(item, "loopback-only")) {
      AddUnique(out, "127.0.0.1");
      AddUnique(out, "::1");
      continue;
    }
    std::string host = item;
    if (host.size() > 2 && host.front() == '[' && host.back() == ']')
      host = host.substr(1, host.size() - 2);
    if (std::string a = NormalizeAddress(host); !a.empty()) {
      AddUnique(out, a);
      continue;
    }
    util::StatusOr<std::vector<util::SockAddr>> addrs = util::Resolve(host, 0, protocols);
    if (!addrs.ok())
      return util::FailedPrecondition(
          util::StrFormat("%.*s: host not found: %s: %s", static_cast<int>(param.size()),
                          param.data(), host.c_str(), addrs.status().message().c_str()));
    for (const util::SockAddr& a : *addrs) AddUnique(out, NormalizeAddress(a.Address()));
  }
  return util::OkStatus();
}

}  // namespace

std::string NormalizeAddress(std::string_view text) {
  std::string s(text);
  char buf[INET6_ADDRSTRLEN];
  in_addr a4;
  if (inet_pton(AF_INET, s.c_str(), &a4) == 1) return inet_ntop(AF_INET, &a4, buf, sizeof(buf));
  in6_addr a6;
  if (inet_pton(AF_INET6, s.c_str(), &a6) == 1) return inet_ntop(AF_INET6, &a6, buf, sizeof(buf));
  return "";
}

LocalDomains::LocalDomains(domain_list::DomainList mydestination,
                           const std::vector<std::string>& addresses)
    : mydestination_(std::move(mydestination)) {
  for (const std::string& a : addresses) AddUnique(&addresses_, NormalizeAddress(a));
}

util::StatusOr<LocalDomains> LocalDomains::FromConfig(const config::Config& cfg) {
  util::StatusOr<domain_list::DomainList> mydest =
      domain_list::DomainList::FromParameter(cfg, "mydestination", domain_list::Style::kString);
  if (!mydest.ok()) return mydest.status();
  LocalDomains local;
  local.mydestination_ = std::move(*mydest);
  util::StatusOr<util::InetProtocols> parsed = util::ParseInetProtocols(cfg.Get("inet_protocols"));
  util::InetProtocols protocols = parsed.ok() ? *parsed : util::InetProtocols::kAll;
  for (config::AnyParam param :
       {config::AnyParam("inet_interfaces"), config::AnyParam("proxy_interfaces")}) {
    if (util::Status st = AddInterfaces(param.name(), cfg.Get(param), protocols, &local.addresses_);
        !st.ok())
      return st;
  }
  return local;
}

util::StatusOr<bool> LocalDomains::IsLocal(std::string_view domain) {
  while (domain.size() > 1 && domain.back() == '.') domain.remove_suffix(1);
  if (domain.empty()) return false;
  util::StatusOr<bool> m = mydestination_.Match(domain);
  if (!m.ok() || *m) return m;
  if (domain.size() > 2 && domain.front() == '[' && domain.back() == ']') {
    std::string_view inner = domain.substr(1, domain.size() - 2);
    if (inner.size() > 5 && util::EqualsIgnoreCase(inner.substr(0, 5), "ipv6:"))
      inner.remove_prefix(5);
    std::string a = NormalizeAddress(inner);
    if (!a.empty() && std::find(addresses_.begin(), addresses_.end(), a) != addresses_.end())
      return true;
  }
  return false;
}

}  // namespace resolve_local
