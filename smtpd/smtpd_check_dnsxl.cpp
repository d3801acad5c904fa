#include "smtpd/smtpd_check_dnsxl.h"

#include <arpa/inet.h>

#include <cstdio>

#include "util/msg.h"
#include "util/strings.h"
#include "util/valid_hostname.h"

namespace smtpd_dnsxl {
namespace {

constexpr size_t kTxtLimit = 500;

std::optional<int> Number(std::string_view s) {
  if (s.empty() || s.size() > 3) return std::nullopt;
  int n = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + (c - '0');
  }
  if (n > 255) return std::nullopt;
  return n;
}

// One octet of a reply pattern: "2" or "[2..11;15]".
bool ParseOctet(std::string_view s, std::vector<std::pair<int, int>>* out) {
  if (s.size() >= 2 && s.front() == '[' && s.back() == ']') {
    s = s.substr(1, s.size() - 2);
    for (const std::string& part : util::SplitAny(s, ";")) {
      size_t dots = part.find("..");
      std::optional<int> lo = Number(part.substr(0, dots));
      std::optional<int> hi =
          dots == std::string::npos ? lo : Number(std::string_view(part).substr(dots + 2));
      if (!lo || !hi || *lo > *hi) return false;
      out->push_back({*lo, *hi});
    }
    return !out->empty();
  }
  std::optional<int> n = Number(s);
  if (!n) return false;
  out->push_back({*n, *n});
  return true;
}

}  // namespace

Spec ParseSpec(std::string_view arg) {
  Spec s;
  s.arg = std::string(arg);
  size_t eq = arg.find('=');
  s.domain = std::string(arg.substr(0, eq));
  if (eq == std::string_view::npos) return s;
  std::string_view pattern = arg.substr(eq + 1);
  // Split on the dots outside brackets ("[1..3]" holds dots of its own).
  std::vector<std::string_view> parts;
  int depth = 0;
  size_t start = 0;
  for (size_t i = 0; i < pattern.size(); i++) {
    if (pattern[i] == '[') depth++;
    if (pattern[i] == ']') depth--;
    if (pattern[i] == '.' && depth == 0) {
      parts.push_back(pattern.substr(start, i - start));
      start = i + 1;
    }
  }
  parts.push_back(pattern.substr(start));
  s.octets.resize(parts.size());
  bool ok = parts.size() == 4;
  for (size_t i = 0; ok && i < parts.size(); i++) ok = ParseOctet(parts[i], &s.octets[i]);
  if (!ok) {
    s.error = "bad reply pattern \"" + std::string(pattern) + "\" in \"" + s.arg + "\"";
    s.octets.clear();
  }
  return s;
}

bool Spec::Matches(const Listing& l) const {
  if (l.status != Status::kListed) return false;
  if (octets.empty()) return true;
  for (const std::string& a : l.addresses) {
    unsigned char b[4];
    if (inet_pton(AF_INET, a.c_str(), b) != 1) continue;
    bool all = true;
    for (size_t i = 0; all && i < 4; i++) {
      bool any = false;
      for (auto [lo, hi] : octets[i]) any = any || (b[i] >= lo && b[i] <= hi);
      all = any;
    }
    if (all) return true;
  }
  return false;
}

std::string AddressQuery(std::string_view addr, std::string_view domain) {
  std::string text(addr);
  unsigned char b[16];
  std::string q;
  if (inet_pton(AF_INET, text.c_str(), b) == 1) {
    char buf[32];
    snprintf(buf, sizeof(buf), "%u.%u.%u.%u.", b[3], b[2], b[1], b[0]);
    q = buf;
  } else if (inet_pton(AF_INET6, text.c_str(), b) == 1) {
    static const char kHex[] = "0123456789abcdef";
    for (int i = 15; i >= 0; i--) {
      q += kHex[b[i] & 0xf];
      q += '.';
      q += kHex[b[i] >> 4];
      q += '.';
    }
  } else {
    return "";
  }
  return q + std::string(domain);
}

std::optional<std::string> DomainQuery(std::string_view what, std::string_view domain) {
  size_t at = what.rfind('@');
  std::string_view d = at == std::string_view::npos ? what : what.substr(at + 1);
  if (d.empty() || d[0] == '[') return std::nullopt;
  size_t dot = d.rfind('.');
  std::string_view last = dot == std::string_view::npos ? d : d.substr(dot + 1);
  if (!last.empty() && last.find_first_not_of("0123456789") == std::string_view::npos)
    return std::nullopt;
  // Postfix converts a UTF-8 domain to its A-labels first; we have no IDNA
  // conversion, so such a domain is not looked up.
  if (!util::ValidHostname(d, false)) return std::nullopt;
  return std::string(d) + "." + std::string(domain);
}

const Listing& Cache::Lookup(const std::string& query) {
  auto it = results_.find(query);
  if (it != results_.end()) return it->second;
  Listing l;
  util::dns::Answer a = resolver_.Lookup(query, util::dns::Type::kA);
  if (a.status == util::dns::Result::kTempFail) {
    msg::Warn(
        "%s: RBL lookup error: Host or domain name not found. Name service error for "
        "name=%s type=A: %s",
        query.c_str(), query.c_str(), a.error.c_str());
    l.status = Status::kTempFail;
  } else if (a.status == util::dns::Result::kFound) {
    l.status = Status::kListed;
    for (const util::dns::Record& r : a.records) l.addresses.push_back(r.value);
    util::dns::Answer t = resolver_.Lookup(query, util::dns::Type::kTxt);
    if (t.status == util::dns::Result::kFound) {
      for (size_t i = 0; i < t.records.size() && l.txt.size() < kTxtLimit; i++) {
        if (i > 0 && l.txt.size() + 3 < kTxtLimit) l.txt += " / ";
        l.txt += t.records[i].value.substr(0, kTxtLimit - l.txt.size());
      }
    }
  }
  if (order_.size() >= kLimit) {
    results_.erase(order_.front());
    order_.pop_front();
  }
  order_.push_back(query);
  return results_.emplace(query, std::move(l)).first->second;
}

}  // namespace smtpd_dnsxl
