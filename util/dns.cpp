// dns: see dns.h. Queries are built with res_nmkquery and sent with
// res_nsend on a private resolver state, so the answer's RCODE is seen
// directly (NXDOMAIN vs. SERVFAIL vs. NOERROR without data) instead of
// through h_errno guesses. Names are queried as given (absolute): no
// search list, no default domain, as mail routing needs.
//
// Error texts follow the resolver's classic h_errno strings, which Postfix
// puts in its "Name service error for name=x type=T: TEXT" reasons:
//   NXDOMAIN                      "Host not found"
//   SERVFAIL, timeout, no server  "Host not found, try again"
//   REFUSED, FORMERR, NOTIMP      "Non-recoverable error" (reported as
//                                  kTempFail: never lose mail on a broken server)
//   NOERROR, no record            "No address associated with hostname"
//
// A null MX (RFC 7505, "0 .") comes back as a record whose value is ".".
#include "util/dns.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netinet/in.h>
#include <resolv.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <random>

#include "util/msg.h"

namespace util::dns {
namespace {

constexpr char kNotFound[] = "Host not found";
constexpr char kTryAgain[] = "Host not found, try again";
constexpr char kNoRecovery[] = "Non-recoverable error";
constexpr char kNoData[] = "No address associated with hostname";

int QueryType(Type t) {
  switch (t) {
    case Type::kA:
      return ns_t_a;
    case Type::kAaaa:
      return ns_t_aaaa;
    case Type::kMx:
      return ns_t_mx;
    case Type::kPtr:
      return ns_t_ptr;
    case Type::kTxt:
      return ns_t_txt;
    case Type::kCname:
      return ns_t_cname;
    case Type::kNs:
      return ns_t_ns;
  }
  return ns_t_a;
}

std::string StripDot(std::string s) {
  if (s.size() > 1 && s.back() == '.') s.pop_back();
  return s;
}

// Expands a (possibly compressed) domain name at `p` inside the message.
bool ExpandName(const ns_msg& msg, const unsigned char* p, std::string* out) {
  char buf[NS_MAXDNAME];
  if (dn_expand(ns_msg_base(msg), ns_msg_end(msg), p, buf, sizeof(buf)) < 0) return false;
  *out = buf[0] ? StripDot(buf) : ".";
  return true;
}

// Sorts MX records by preference, shuffling equal preferences.
void SortMx(std::vector<Record>* records) {
  static std::mt19937 rng(std::random_device{}());
  std::shuffle(records->begin(), records->end(), rng);
  std::stable_sort(records->begin(), records->end(),
                   [](const Record& a, const Record& b) { return a.preference < b.preference; });
}

}  // namespace

// Parses a DNS response for records of `type`; exposed to dns_test.cpp
// through the declaration there (not part of the public header).
Answer ParseResponse(const unsigned char* buf, int len, Type type) {
  Answer ans;
  ns_msg msg;
  if (ns_initparse(buf, len, &msg) < 0) {
    ans.status = Result::kTempFail;
    ans.error = kTryAgain;
    return ans;
  }
  switch (ns_msg_getflag(msg, ns_f_rcode)) {
    case ns_r_noerror:
      break;
    case ns_r_nxdomain:
      ans.status = Result::kNxDomain;
      ans.error = kNotFound;
      return ans;
    case ns_r_servfail:
      ans.status = Result::kTempFail;
      ans.error = kTryAgain;
      return ans;
    default:
      ans.status = Result::kTempFail;
      ans.error = kNoRecovery;
      return ans;
  }
  int want = QueryType(type);
  int count = ns_msg_count(msg, ns_s_an);
  for (int i = 0; i < count; i++) {
    ns_rr rr;
    if (ns_parserr(&msg, ns_s_an, i, &rr) < 0) continue;
    if (ns_rr_type(rr) != want || ns_rr_class(rr) != ns_c_in) continue;
    Record rec;
    rec.name = StripDot(ns_rr_name(rr));
    rec.ttl = ns_rr_ttl(rr);
    const unsigned char* rd = ns_rr_rdata(rr);
    int rdlen = ns_rr_rdlen(rr);
    char text[INET6_ADDRSTRLEN];
    switch (type) {
      case Type::kA:
        if (rdlen != 4 || !inet_ntop(AF_INET, rd, text, sizeof(text))) continue;
        rec.value = text;
        break;
      case Type::kAaaa:
        if (rdlen != 16 || !inet_ntop(AF_INET6, rd, text, sizeof(text))) continue;
        rec.value = text;
        break;
      case Type::kMx:
        if (rdlen < 3) continue;
        rec.preference = ns_get16(rd);
        if (!ExpandName(msg, rd + 2, &rec.value)) continue;
        break;
      case Type::kPtr:
      case Type::kCname:
      case Type::kNs:
        if (!ExpandName(msg, rd, &rec.value)) continue;
        break;
      case Type::kTxt: {
        int pos = 0;
        while (pos < rdlen) {
          int n = rd[pos++];
          if (pos + n > rdlen) break;
          rec.value.append(reinterpret_cast<const char*>(rd + pos), n);
          pos += n;
        }
        break;
      }
    }
    ans.records.push_back(std::move(rec));
  }
  if (ans.records.empty()) {
    ans.status = Result::kNoData;
    ans.error = kNoData;
    return ans;
  }
  if (type == Type::kMx) SortMx(&ans.records);
  ans.status = Result::kFound;
  return ans;
}

namespace {

class LibResolver : public Resolver {
 public:
  LibResolver() {
    std::memset(&state_, 0, sizeof(state_));
    if (res_ninit(&state_) != 0) {
      msg::Warn("dns: resolver initialization failed");
      return;
    }
    ready_ = true;
    // No search list or default domain for our absolute queries.
    state_.options &= ~(RES_DEFNAMES | RES_DNSRCH);
    const char* ns = std::getenv("MTA_DNS_NAMESERVER");
    if (ns && *ns) UseNameserver(ns);
  }
  ~LibResolver() override {
    if (ready_) res_nclose(&state_);
  }

  Answer Lookup(std::string_view name, Type type) override {
    std::lock_guard<std::mutex> lock(mu_);
    Answer ans;
    if (!ready_) {
      ans.error = kTryAgain;
      return ans;
    }
    std::string qname(name);
    // PTR lookups take the address itself (util/dns.h).
    if (type == Type::kPtr) {
      if (std::string rev = ReverseName(name); !rev.empty()) qname = rev;
    }
    if (qname.empty() || qname.size() > NS_MAXDNAME - 2) {
      ans.status = Result::kNxDomain;
      ans.error = kNotFound;
      return ans;
    }
    if (qname.back() != '.') qname += '.';
    unsigned char query[NS_PACKETSZ + NS_MAXDNAME];
    int qlen = res_nmkquery(&state_, ns_o_query, qname.c_str(), ns_c_in, QueryType(type), nullptr,
                            0, nullptr, query, sizeof(query));
    if (qlen < 0) {
      ans.status = Result::kNxDomain;  // a name that cannot be encoded does not exist
      ans.error = kNotFound;
      return ans;
    }
    std::vector<unsigned char> answer(65536);
    int alen = res_nsend(&state_, query, qlen, answer.data(), static_cast<int>(answer.size()));
    if (alen < 0) {
      ans.status = Result::kTempFail;
      ans.error = kTryAgain;
      return ans;
    }
    return ParseResponse(answer.data(), alen, type);
  }

 private:
  // "ADDR:PORT" or "[ADDR]:PORT" (IPv4): that one server, short timeouts.
  void UseNameserver(const std::string& spec) {
    std::string host = spec, port = "53";
    size_t colon = spec.rfind(':');
    if (colon != std::string::npos) {
      host = spec.substr(0, colon);
      port = spec.substr(colon + 1);
    }
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
      host = host.substr(1, host.size() - 2);
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_port = htons(static_cast<uint16_t>(std::atoi(port.c_str())));
    if (inet_pton(AF_INET, host.c_str(), &sin.sin_addr) != 1) {
      msg::Warn("dns: MTA_DNS_NAMESERVER=%s: need an IPv4 ADDR:PORT; ignored", spec.c_str());
      return;
    }
    state_.nsaddr_list[0] = sin;
    state_.nscount = 1;
    state_.retrans = 1;
    state_.retry = 2;
  }

  std::mutex mu_;
  struct __res_state state_;
  bool ready_ = false;
};

}  // namespace

Resolver& SystemResolver() {
  static LibResolver* resolver = new LibResolver();
  return *resolver;
}

Answer LookupAddresses(Resolver& r, std::string_view host, bool ipv4, bool ipv6) {
  Answer out;
  std::vector<Answer> parts;
  if (ipv4) parts.push_back(r.Lookup(host, Type::kA));
  if (ipv6) parts.push_back(r.Lookup(host, Type::kAaaa));
  bool temp = false, nodata = false;
  for (Answer& a : parts) {
    if (a.status == Result::kFound) {
      for (Record& rec : a.records) out.records.push_back(std::move(rec));
    } else if (a.status == Result::kTempFail) {
      temp = true;
      if (out.error.empty()) out.error = a.error;
    } else if (a.status == Result::kNoData) {
      nodata = true;
    }
  }
  if (!out.records.empty()) {
    out.status = Result::kFound;
    out.error.clear();
  } else if (temp) {
    out.status = Result::kTempFail;
  } else if (nodata) {
    out.status = Result::kNoData;
    out.error = kNoData;
  } else {
    out.status = parts.empty() ? Result::kNoData : Result::kNxDomain;
    out.error = parts.empty() ? kNoData : kNotFound;
  }
  return out;
}

std::string ReverseName(std::string_view addr) {
  std::string text(addr);
  unsigned char buf[16];
  if (inet_pton(AF_INET, text.c_str(), buf) == 1) {
    char out[64];
    snprintf(out, sizeof(out), "%u.%u.%u.%u.in-addr.arpa", buf[3], buf[2], buf[1], buf[0]);
    return out;
  }
  if (inet_pton(AF_INET6, text.c_str(), buf) == 1) {
    static const char kHex[] = "0123456789abcdef";
    std::string out;
    for (int i = 15; i >= 0; i--) {
      out += kHex[buf[i] & 0xf];
      out += '.';
      out += kHex[buf[i] >> 4];
      out += '.';
    }
    return out + "ip6.arpa";
  }
  return "";
}

}  // namespace util::dns
