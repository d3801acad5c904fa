// smtpd_check_dnsxl: DNS block and allow lists for smtpd's restrictions
// (reject_rbl_client, reject_rhsbl_*, permit_dnswl_client,
// permit_rhswl_client), as Postfix's smtpd looks them up: the query name,
// the A records that say "listed" (optionally only those matching the
// restriction's "=d.d.d.d" pattern), the TXT records that give the reason,
// and a per-process cache of results. The replies and the restriction
// logic are smtpd_check's.
//
//   smtpd_dnsxl::Spec spec = smtpd_dnsxl::ParseSpec("zen.example=127.0.0.[2..11]");
//   std::string q = smtpd_dnsxl::AddressQuery("192.0.2.1", spec.domain);
//   //   "1.2.0.192.zen.example"
//   smtpd_dnsxl::Cache cache(resolver);
//   const smtpd_dnsxl::Listing& l = cache.Lookup(q);
//   if (l.status == smtpd_dnsxl::Status::kListed && spec.Matches(l)) reject(l.txt);
//
// A lookup that fails temporarily is kTempFail (after a warning
// "QUERY: RBL lookup error: ..."): block lists then give the client the
// benefit of the doubt, allow lists defer_if_reject. Results, failures
// included, are kept for the life of the process (at most 100 queries,
// the oldest going first), as Postfix's smtpd does.
//
// Reply patterns (Postfix 2.8+): each of the four numbers is a number or
// "[...]" with ';'-separated numbers and number..number ranges;
// ParseSpec reports a malformed one in Spec::error.
#pragma once

#include <deque>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/dns.h"

namespace smtpd_dnsxl {

enum class Status { kNotListed, kListed, kTempFail };

struct Listing {
  Status status = Status::kNotListed;
  std::vector<std::string> addresses;  // the A records
  std::string txt;                     // TXT records joined by " / ", at most 500 bytes
};

struct Spec {
  std::string arg;     // as written: "zen.example=127.0.0.2"
  std::string domain;  // "zen.example"
  std::string error;   // a malformed reply pattern
  // Per octet the allowed [low, high] ranges; empty: any A record counts.
  std::vector<std::vector<std::pair<int, int>>> octets;
  // Listed, and (with a pattern) one of the A records matches it.
  bool Matches(const Listing& l) const;
};

Spec ParseSpec(std::string_view arg);

// "192.0.2.1" + "rbl.example" -> "1.2.0.192.rbl.example" (IPv6: 32
// nibbles); "" when `addr` is not an address.
std::string AddressQuery(std::string_view addr, std::string_view domain);
// The domain of `what` (a host name, or the part after the last '@' of an
// address) + "." + domain; nullopt when there is nothing to look up, as
// Postfix skips it: empty, an address literal, a name whose last label is
// all digits, or not a valid host name.
std::optional<std::string> DomainQuery(std::string_view what, std::string_view domain);

class Cache {
 public:
  explicit Cache(util::dns::Resolver& resolver) : resolver_(resolver) {}
  const Listing& Lookup(const std::string& query);

 private:
  static constexpr size_t kLimit = 100;
  util::dns::Resolver& resolver_;
  std::map<std::string, Listing> results_;
  std::deque<std::string> order_;
};

}  // namespace smtpd_dnsxl
