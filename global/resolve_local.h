// resolve_local: is a domain this machine's own (Postfix's resolve_local)?
// The "local" address class of trivial-rewrite, and the test that smtpd
// and cleanup need for "mail to me".
//
//   auto local = resolve_local::LocalDomains::FromConfig(cfg);
//   if (!local.ok()) msg::Fatal("%s", local.status().message().c_str());
//   util::StatusOr<bool> mine = local->IsLocal("example.com");
//   if (!mine.ok()) defer();      // a mydestination table failed
//
// A domain is local when (trailing dots removed, any case):
//   - it matches mydestination (a string list, domain_list.h kString:
//     exact names, /file/name and type:table patterns; no subdomains), or
//   - it is an address literal "[192.0.2.1]" or "[ipv6:2001:db8::1]" of
//     one of this host's interface addresses: inet_interfaces ("all" = every
//     address of every interface that is up, "loopback-only" = 127.0.0.1 and
//     ::1, else the listed addresses or host names) plus proxy_interfaces
//     (the addresses of a proxy or NAT in front of this host).
// A plain IP address without brackets is never local here: trivial-rewrite
// handles resolve_numeric_domain before asking.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "global/config.h"
#include "global/domain_list.h"
#include "util/status.h"

namespace resolve_local {

class LocalDomains {
 public:
  LocalDomains() = default;
  // For tests: an explicit mydestination list and interface addresses
  // (numeric, any textual form inet_pton accepts).
  LocalDomains(domain_list::DomainList mydestination, const std::vector<std::string>& addresses);

  // Errors (kFailedPrecondition): a bad mydestination list, an
  // inet_interfaces/proxy_interfaces host name that does not resolve.
  static util::StatusOr<LocalDomains> FromConfig(const config::Config& cfg);

  util::StatusOr<bool> IsLocal(std::string_view domain);
  void CheckChanges() { mydestination_.CheckChanges(); }

  // The interface addresses, normalized ("192.0.2.1", "2001:db8::1").
  const std::vector<std::string>& addresses() const { return addresses_; }

 private:
  domain_list::DomainList mydestination_;
  std::vector<std::string> addresses_;
};

// The normalized text of a numeric IPv4 or IPv6 address ("::FFFF:1.2.3.4"
// stays IPv6, "2001:DB8::1" becomes "2001:db8::1"), or "" when `text` is
// not one.
std::string NormalizeAddress(std::string_view text);

}  // namespace resolve_local
