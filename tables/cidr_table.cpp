// cidr:/file — cidr_table(5): the first rule whose network contains the
// lookup key (an IPv4 or IPv6 address) gives its result.
//
//   192.168.1.0/24     result       network/prefix
//   10.0.0.1           result       a bare address (/32 or /128)
//   [2001:db8::]/32    result       IPv6, brackets optional
//   !10.1.0.0/16       result       matches addresses outside the network
//   if 172.16.0.0/12                the rules up to endif apply only inside
//   if !172.16.0.0/12               (outside) the network; if/endif nest
//   endif
// Keys that are not addresses are not found. IPv4 rules never match IPv6
// keys (::ffff:1.2.3.4 is an IPv6 address), not even negated ones, as in
// Postfix.
//
// Bad rules are skipped with a warning at open (msg::Warn), in Postfix's
// words, e.g. for /f:
//   cidr map /f, line 3: non-null host address bits in "192.168.1.1/24",
//     perhaps you should use "192.168.1.0/24" instead: skipping this rule
//   cidr map /f, line 4: bad mask length in "1.2.3.0/33": skipping this rule
//   cidr map /f, line 5: bad mask value in "1.2.3.4/24x": skipping this rule
//   cidr map /f, line 6: bad network value in "300.1.1.1/8": skipping this rule
//   cidr map /f, line 7: bad address pattern: "foo": skipping this rule
//   cidr map /f, line 8: no lookup result: skipping this rule
//   cidr map /f, line 9: ENDIF without IF: skipping this rule
//   cidr map /f, line 9: garbage after ENDIF: skipping this rule
//   cidr map /f, line 2: IF has no matching ENDIF
#include <arpa/inet.h>

#include <array>
#include <cctype>
#include <memory>

#include "tables/table_syntax.h"
#include "tables/types.h"
#include "util/msg.h"
#include "util/strings.h"

namespace tables {
namespace {

struct Address {
  int family = 0;  // AF_INET or AF_INET6
  std::array<unsigned char, 16> bytes{};
  int bits() const { return family == AF_INET ? 32 : 128; }
};

bool ParseAddress(std::string_view text, Address* out) {
  std::string s(text);
  if (s.size() >= 2 && s.front() == '[' && s.back() == ']') s = s.substr(1, s.size() - 2);
  if (s.find(':') != std::string::npos) {
    out->family = AF_INET6;
    return inet_pton(AF_INET6, s.c_str(), out->bytes.data()) == 1;
  }
  out->family = AF_INET;
  return inet_pton(AF_INET, s.c_str(), out->bytes.data()) == 1;
}

bool SamePrefix(const Address& a, const Address& b, int len) {
  if (a.family != b.family) return false;
  int full = len / 8;
  for (int i = 0; i < full; ++i) {
    if (a.bytes[i] != b.bytes[i]) return false;
  }
  if (len % 8 == 0) return true;
  unsigned char mask = static_cast<unsigned char>(0xff << (8 - len % 8));
  return (a.bytes[full] & mask) == (b.bytes[full] & mask);
}

std::string FormatAddress(const Address& a) {
  char buf[INET6_ADDRSTRLEN];
  inet_ntop(a.family, a.bytes.data(), buf, sizeof(buf));
  return buf;
}

struct Rule {
  bool is_if = false;
  int line = 0;
  bool negate = false;
  Address net;
  int len = 0;
  std::string result;
  size_t skip_to = 0;  // is_if: first rule after its endif
};

// Parses "[!]address[/len]" into *rule; the error is the warning text.
util::Status ParsePattern(std::string_view text, Rule* rule) {
  if (!text.empty() && text.front() == '!') {
    rule->negate = true;
    text = util::TrimLeft(text.substr(1));
  }
  const std::string quoted = "\"" + std::string(text) + "\"";
  size_t slash = text.find('/');
  if (slash == std::string_view::npos) {
    if (!ParseAddress(text, &rule->net))
      return util::InvalidArgument("bad address pattern: " + quoted + ": skipping this rule");
    rule->len = rule->net.bits();
    return util::OkStatus();
  }
  std::string_view mask = text.substr(slash + 1);
  bool digits = !mask.empty() && mask.size() <= 4;
  for (char c : mask) digits = digits && std::isdigit(static_cast<unsigned char>(c));
  if (!digits) return util::InvalidArgument("bad mask value in " + quoted + ": skipping this rule");
  if (!ParseAddress(text.substr(0, slash), &rule->net))
    return util::InvalidArgument("bad network value in " + quoted + ": skipping this rule");
  rule->len = std::stoi(std::string(mask));
  if (rule->len > rule->net.bits())
    return util::InvalidArgument("bad mask length in " + quoted + ": skipping this rule");
  Address net = rule->net;
  for (int bit = rule->len; bit < net.bits(); ++bit) {
    net.bytes[bit / 8] &= static_cast<unsigned char>(~(0x80 >> (bit % 8)));
  }
  if (net.bytes != rule->net.bytes)
    return util::InvalidArgument(util::StrFormat(
        "non-null host address bits in %s, perhaps you should use \"%s/%d\" instead: skipping "
        "this rule",
        quoted.c_str(), FormatAddress(net).c_str(), rule->len));
  return util::OkStatus();
}

class CidrTable : public Table {
 public:
  CidrTable(std::string_view name, unsigned flags) : Table("cidr", std::string(name), flags) {}

  util::Status Load() {
    std::vector<std::string> warnings;
    util::StatusOr<std::vector<LogicalLine>> lines = ReadLogicalLines(name(), &warnings, &stamp_);
    if (!lines.ok()) return lines.status();
    for (const std::string& w : warnings) msg::Warn("%s", w.c_str());
    std::vector<size_t> open_ifs;
    for (const LogicalLine& l : *lines) {
      auto warn = [&](const std::string& text) {
        msg::Warn("cidr map %s, line %d: %s", name().c_str(), l.line, text.c_str());
      };
      std::string_view p = l.text;
      size_t end = 0;
      while (end < p.size() && !util::IsSpace(p[end])) ++end;
      std::string first = util::Lowercase(p.substr(0, end));
      std::string_view rest = util::Trim(p.substr(end));
      Rule rule;
      rule.line = l.line;
      if (first == "endif") {
        if (!rest.empty()) {
          warn("garbage after ENDIF: skipping this rule");
        } else if (open_ifs.empty()) {
          warn("ENDIF without IF: skipping this rule");
        } else {
          rules_[open_ifs.back()].skip_to = rules_.size();
          open_ifs.pop_back();
        }
        continue;
      }
      std::string_view pattern = p.substr(0, end);
      if (first == "if") {
        rule.is_if = true;
        pattern = rest;
        if (pattern.empty()) {
          warn("no address pattern: skipping this rule");
          continue;
        }
      } else if (pattern == "!") {  // "! 10.0.0.0/8 result"
        size_t e2 = 0;
        while (e2 < rest.size() && !util::IsSpace(rest[e2])) ++e2;
        pattern = p.substr(0, static_cast<size_t>(rest.data() - p.data()) + e2);
        rest = util::Trim(rest.substr(e2));
      }
      if (util::Status s = ParsePattern(pattern, &rule); !s.ok()) {
        warn(s.message());
        continue;
      }
      if (rule.is_if) {
        open_ifs.push_back(rules_.size());
      } else {
        if (rest.empty()) {
          warn("no lookup result: skipping this rule");
          continue;
        }
        rule.result = std::string(rest);
      }
      rules_.push_back(std::move(rule));
    }
    for (auto it = open_ifs.rbegin(); it != open_ifs.rend(); ++it) {
      msg::Warn("cidr map %s, line %d: IF has no matching ENDIF", name().c_str(), rules_[*it].line);
      rules_[*it].skip_to = rules_.size();
    }
    return util::OkStatus();
  }

  LookupResult Lookup(std::string_view key) override {
    Address addr;
    if (key.empty() || !ParseAddress(key, &addr)) return LookupResult::NotFound();
    size_t i = 0;
    while (i < rules_.size()) {
      const Rule& r = rules_[i];
      bool hit = addr.family == r.net.family && SamePrefix(addr, r.net, r.len) != r.negate;
      if (r.is_if) {
        i = hit ? i + 1 : r.skip_to;
        continue;
      }
      if (hit) return LookupResult::Found(r.result);
      ++i;
    }
    return LookupResult::NotFound();
  }

  bool Changed() const override { return !(FileStamp::Of(name()) == stamp_); }

 private:
  std::vector<Rule> rules_;
  FileStamp stamp_;
};

}  // namespace

util::StatusOr<std::unique_ptr<Table>> OpenCidr(std::string_view name, const OpenOptions& options) {
  if (name.empty())
    return util::FailedPrecondition(
        "open dictionary: expecting \"type:name\" form instead of "
        "\"cidr:\"");
  auto t = std::make_unique<CidrTable>(name, options.flags);
  if (util::Status s = t->Load(); !s.ok()) return s;
  return std::unique_ptr<Table>(std::move(t));
}

}  // namespace tables
