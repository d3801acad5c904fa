#include "smtpd/smtpd_check_util.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>

#include "global/addr_list.h"
#include "global/resolve_local.h"
#include "tables/registry.h"
#include "tables/table_syntax.h"
#include "util/strings.h"
#include "util/valid_hostname.h"

namespace smtpd_check {

util::StatusOr<std::vector<std::string>> SplitRestrictions(std::string_view value) {
  util::StatusOr<std::vector<std::string>> items = tables::SplitBracedList(value);
  if (!items.ok()) return items.status();
  std::vector<std::string> out;
  for (std::string& item : *items) {
    if (std::optional<std::string_view> inner = tables::StripBraces(item)) {
      if (!inner->empty()) out.emplace_back(*inner);
    } else {
      out.push_back(std::move(item));
    }
  }
  return out;
}

std::string UnsupportedTableIn(std::string_view list) {
  util::StatusOr<std::vector<std::string>> specs = tables::SplitBracedList(list);
  if (!specs.ok()) return "";
  std::vector<std::string> types = tables::Types();
  for (const std::string& spec : *specs) {
    std::string_view s = spec;
    while (s.starts_with("proxy:")) s.remove_prefix(6);
    size_t colon = s.find(':');
    if (colon == std::string_view::npos) continue;
    std::string type(s.substr(0, colon));
    if (std::find(types.begin(), types.end(), type) == types.end()) return std::string(s);
  }
  return "";
}

std::string TruncateDot(std::string_view name) {
  if (name.size() > 1 && name.back() == '.' && name[name.size() - 2] != '.') name.remove_suffix(1);
  return std::string(name);
}

bool IsAddressLiteral(std::string_view name) {
  return name.size() > 2 && name.front() == '[' && name.back() == ']';
}

bool ValidAddressLiteral(std::string_view name) {
  if (!IsAddressLiteral(name)) return false;
  std::string_view in = name.substr(1, name.size() - 2);
  bool v6 = in.size() > 5 && util::EqualsIgnoreCase(in.substr(0, 5), "ipv6:");
  if (v6) in.remove_prefix(5);
  std::string s(in);
  unsigned char buf[16];
  return inet_pton(v6 || s.find(':') != std::string::npos ? AF_INET6 : AF_INET, s.c_str(), buf) ==
         1;
}

bool ValidHeloName(std::string_view name, bool allow_utf8) {
  if (IsAddressLiteral(name)) return ValidAddressLiteral(name);
  std::string test = TruncateDot(name);
  if (util::ValidHostname(test, allow_utf8)) return true;
  unsigned char buf[16];
  return inet_pton(AF_INET, test.c_str(), buf) == 1 || inet_pton(AF_INET6, test.c_str(), buf) == 1;
}

std::vector<std::string> AddressKeys(std::string_view addr) {
  std::vector<std::string> keys;
  addr_list::AddrList::Net net;
  std::string a(addr);
  if (addr_list::AddrList::ParseAddress(addr, &net)) {
    char text[INET6_ADDRSTRLEN];
    inet_ntop(net.family, net.bytes, text, sizeof(text));
    a = text;  // normalized (IPv4-mapped IPv6 as IPv4, IPv6 compressed)
  }
  if (a.empty()) return keys;
  char delim = a.find(':') != std::string::npos ? ':' : '.';
  keys.push_back(a);
  for (;;) {
    size_t pos = a.rfind(delim);
    if (pos == std::string::npos || pos == 0) break;
    a.resize(pos);
    keys.push_back(a);
  }
  return keys;
}

std::string SplitDsn(std::string_view text, std::string* dsn) {
  // D.DDD.DDD followed by space or end.
  size_t i = 0;
  auto digits = [&](size_t max) {
    size_t start = i;
    while (i < text.size() && i - start < max && std::isdigit(static_cast<unsigned char>(text[i])))
      ++i;
    return i > start;
  };
  if (i < text.size() && (text[i] == '2' || text[i] == '4' || text[i] == '5')) {
    ++i;
    if (i < text.size() && text[i] == '.' && (++i, digits(3)) && i < text.size() &&
        text[i] == '.' && (++i, digits(3)) && (i == text.size() || text[i] == ' ')) {
      *dsn = std::string(text.substr(0, i));
      return std::string(util::Trim(text.substr(i)));
    }
  }
  return std::string(text);
}

std::vector<std::string> InetInterfaceAddresses(const config::Config& cfg) {
  util::StatusOr<resolve_local::LocalDomains> l = resolve_local::LocalDomains::FromConfig(cfg);
  if (!l.ok()) return {};
  return l->addresses();
}

bool SameAddress(std::string_view a, std::string_view b) {
  addr_list::AddrList::Net x, y;
  if (!addr_list::AddrList::ParseAddress(a, &x) || !addr_list::AddrList::ParseAddress(b, &y))
    return false;
  return x.family == y.family && std::equal(x.bytes, x.bytes + 16, y.bytes);
}

DnsVerdict HostHasRecords(util::dns::Resolver& r, const std::string& host, bool mail) {
  using util::dns::Result;
  using util::dns::Type;
  bool temp = false;
  util::dns::Answer mx = r.Lookup(host, Type::kMx);
  if (mx.status == Result::kFound) {
    if (mail && mx.records.size() == 1 &&
        (mx.records[0].value.empty() || mx.records[0].value == "."))
      return DnsVerdict::kNullMx;
    return DnsVerdict::kFound;
  }
  if (mx.status == Result::kTempFail) temp = true;
  if (mx.status == Result::kNxDomain && mail) return DnsVerdict::kNotFound;
  for (Type t : {Type::kA, Type::kAaaa}) {
    util::dns::Answer a = r.Lookup(host, t);
    if (a.status == Result::kFound) return DnsVerdict::kFound;
    if (a.status == Result::kTempFail) temp = true;
  }
  return temp ? DnsVerdict::kTempFail : DnsVerdict::kNotFound;
}

util::dns::Resolver* DefaultDnsResolver() { return &util::dns::SystemResolver(); }

}  // namespace smtpd_check
