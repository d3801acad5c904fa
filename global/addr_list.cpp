#include "global/addr_list.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cctype>
#include <cstring>

#include "global/match_list.h"
#include "util/strings.h"

namespace addr_list {

namespace {

bool SamePrefix(const AddrList::Net& a, const AddrList::Net& b, int len) {
  int full = len / 8;
  if (std::memcmp(a.bytes, b.bytes, full) != 0) return false;
  int rest = len % 8;
  if (rest == 0) return true;
  unsigned char mask = static_cast<unsigned char>(0xff << (8 - rest));
  return (a.bytes[full] & mask) == (b.bytes[full] & mask);
}

}  // namespace

bool AddrList::ParseAddress(std::string_view text, Net* out) {
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']')
    text = text.substr(1, text.size() - 2);
  if (text.size() > 5 && util::EqualsIgnoreCase(text.substr(0, 5), "ipv6:")) text.remove_prefix(5);
  if (text.empty() || text.size() > 64) return false;
  std::string s(text);
  Net n;
  if (s.find(':') == std::string::npos) {
    in_addr a;
    if (inet_pton(AF_INET, s.c_str(), &a) != 1) return false;
    n.family = AF_INET;
    std::memcpy(n.bytes, &a, 4);
    n.prefix = 32;
  } else {
    in6_addr a;
    if (inet_pton(AF_INET6, s.c_str(), &a) != 1) return false;
    if (IN6_IS_ADDR_V4MAPPED(&a)) {
      n.family = AF_INET;
      std::memcpy(n.bytes, a.s6_addr + 12, 4);
      n.prefix = 32;
    } else {
      n.family = AF_INET6;
      std::memcpy(n.bytes, a.s6_addr, 16);
      n.prefix = 128;
    }
  }
  if (out != nullptr) *out = n;
  return true;
}

util::StatusOr<AddrList> AddrList::Parse(std::string_view title, std::string_view value,
                                         bool parent_matches_subdomains,
                                         const tables::OpenOptions& options) {
  AddrList list;
  list.title_ = std::string(title);
  list.parent_ = parent_matches_subdomains;
  if (util::Status st = list.AddPatterns(value, options); !st.ok()) return st;
  return list;
}

util::StatusOr<AddrList> AddrList::FromParameter(const config::Config& cfg,
                                                 config::AnyParam param) {
  bool parent = false;
  for (const std::string& p : cfg.GetList("parent_domain_matches_subdomains")) {
    if (p == param.name()) parent = true;
  }
  return Parse(param.name(), cfg.Get(param), parent, maps::TableOptions(cfg));
}

util::Status AddrList::AddPatterns(std::string_view value, const tables::OpenOptions& options) {
  // "2001:db8::/32" looks like a table but is a network.
  auto is_net = [](std::string_view text) {
    Net net;
    return ParseAddress(text.substr(0, text.find('/')), &net);
  };
  util::StatusOr<std::vector<match_list::Item>> items =
      match_list::Expand(title_, value, options, is_net);
  if (!items.ok()) return items.status();
  for (match_list::Item& item : *items) {
    std::string_view text = item.text;
    Pattern p;
    p.negate = item.negate;
    size_t slash = text.find('/');
    std::string_view host_part = text.substr(0, slash);
    if (ParseAddress(host_part, &p.net)) {
      p.kind = Pattern::Kind::kNet;
      if (slash != std::string_view::npos) {
        std::optional<long long> len = util::ParseInt(text.substr(slash + 1));
        int max = p.net.family == AF_INET ? 32 : 128;
        if (!len || *len < 0 || *len > max || text.substr(slash + 1).front() == '+' ||
            text.substr(slash + 1).front() == '-')
          return util::FailedPrecondition(title_ + ": bad net/mask pattern: \"" +
                                          std::string(text) + "\"");
        p.net.prefix = static_cast<int>(*len);
      }
    } else if (item.table) {
      p.kind = Pattern::Kind::kTable;
      p.table = std::move(item.table);
    } else if (slash != std::string_view::npos) {
      return util::FailedPrecondition(title_ + ": bad net/mask pattern: \"" + std::string(text) +
                                      "\"");
    } else {
      p.kind = Pattern::Kind::kName;
      p.name = util::Lowercase(text);
      while (!p.name.empty() && p.name.back() == '.') p.name.pop_back();
    }
    patterns_.push_back(std::move(p));
  }
  return util::OkStatus();
}

util::StatusOr<bool> AddrList::MatchOne(Pattern& p, const std::string& name, const Net& addr,
                                        const std::string& addr_text) {
  switch (p.kind) {
    case Pattern::Kind::kNet:
      return addr.family != 0 && addr.family == p.net.family &&
             SamePrefix(addr, p.net, p.net.prefix);
    case Pattern::Kind::kName: {
      if (name.empty()) return false;
      if (p.name.front() == '.') return name.size() > p.name.size() && name.ends_with(p.name);
      if (name == p.name) return true;
      return parent_ && name.size() > p.name.size() && name.ends_with(p.name) &&
             name[name.size() - p.name.size() - 1] == '.';
    }
    case Pattern::Kind::kTable: {
      if (!name.empty()) {
        tables::LookupResult r = p.table->Find(name);
        if (r.temp_error()) return util::Unavailable(r.value);
        if (r.found()) return true;
        for (size_t dot = name.find('.'); dot != std::string::npos; dot = name.find('.', dot + 1)) {
          std::string key = parent_ ? name.substr(dot + 1) : name.substr(dot);
          if (key.empty() || key == ".") break;
          r = p.table->Find(key, maps::Maps::Which::kFixedOnly);
          if (r.temp_error()) return util::Unavailable(r.value);
          if (r.found()) return true;
        }
      }
      if (!addr_text.empty()) {
        tables::LookupResult r = p.table->Find(addr_text);
        if (r.temp_error()) return util::Unavailable(r.value);
        if (r.found()) return true;
      }
      return false;
    }
  }
  return false;
}

util::StatusOr<bool> AddrList::Match(std::string_view name, std::string_view addr) {
  std::string lname = util::Lowercase(name);
  while (!lname.empty() && lname.back() == '.') lname.pop_back();
  if (lname == "unknown") lname.clear();
  Net a;
  std::string addr_text;
  if (ParseAddress(addr, &a)) {
    char buf[INET6_ADDRSTRLEN];
    inet_ntop(a.family, a.bytes, buf, sizeof(buf));
    addr_text = buf;
  } else {
    a.family = 0;
  }
  for (Pattern& p : patterns_) {
    util::StatusOr<bool> m = MatchOne(p, lname, a, addr_text);
    if (!m.ok()) return m.status();
    if (*m) return !p.negate;
  }
  return false;
}

}  // namespace addr_list
