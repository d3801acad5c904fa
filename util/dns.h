// dns: DNS lookups through the system resolver library (res_nquery),
// with results split the way mail software needs them: found, no such
// name or no such record (permanent), or a temporary failure (SERVFAIL,
// timeout, no network). No mail knowledge: smtp uses it for MX and
// address records, smtpd for client names and reject_unknown_*_domain.
//
//   util::dns::Resolver& r = util::dns::SystemResolver();
//   util::dns::Answer a = r.Lookup("example.com", util::dns::Type::kMx);
//   switch (a.status) {
//     case util::dns::Result::kFound:    use(a.records); break;  // MX sorted by preference
//     case util::dns::Result::kNoData:   /* name exists, no MX */ break;
//     case util::dns::Result::kNxDomain: bounce(); break;
//     case util::dns::Result::kTempFail: defer(a.error); break;
//   }
//
// Records come back with their TTL and, for MX, preference; MX lists are
// sorted by preference with equal preferences shuffled (RFC 5321 5.1).
// Address lookups return text addresses ("192.0.2.1", "2001:db8::1").
// Reverse lookups (kPtr) take an address and build the in-addr.arpa /
// ip6.arpa name themselves. Names are returned without the trailing dot.
//
// Test seam: when the environment variable MTA_DNS_NAMESERVER is set to
// "ADDR:PORT" (e.g. "127.0.0.1:5353"), queries go to that server only
// (UDP, then TCP when truncated), so system tests can run a private DNS
// server on loopback (tests/dns_server.py). Daemons see it when main.cf's
// import_environment lists it. Without it, /etc/resolv.conf applies.
// Another seam for unit tests: any Resolver implementation can be passed
// where a Resolver& is taken.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace util::dns {

enum class Type { kA, kAaaa, kMx, kPtr, kTxt, kCname, kNs };
enum class Result { kFound, kNoData, kNxDomain, kTempFail };

struct Record {
  std::string name;    // owner name
  std::string value;   // address text, MX/PTR/CNAME target, TXT string
  int preference = 0;  // MX only
  unsigned ttl = 0;
};

struct Answer {
  Result status = Result::kTempFail;
  std::vector<Record> records;
  std::string error;  // for kTempFail / kNxDomain: "Host not found, try again" etc.
};

class Resolver {
 public:
  virtual ~Resolver() = default;
  virtual Answer Lookup(std::string_view name, Type type) = 0;
};

// The process-wide resolver (res_nquery; MTA_DNS_NAMESERVER honoured).
Resolver& SystemResolver();

// Convenience: the addresses of `host` for the given families (A then
// AAAA when both), kFound when there is at least one.
Answer LookupAddresses(Resolver& r, std::string_view host, bool ipv4, bool ipv6);

// "192.0.2.1" -> "1.2.0.192.in-addr.arpa"; IPv6 nibble form. Empty when
// `addr` is not an address.
std::string ReverseName(std::string_view addr);

}  // namespace util::dns
