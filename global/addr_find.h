// addr_find: address and domain lookups in a table list, in the order
// Postfix's mail_addr_find and transport lookups use, with the address
// extension (recipient_delimiter) stripped where the table class allows.
//
//   maps::AddrFindOptions o = maps::AddrFindOptions::ForConfig(cfg, "virtual_alias_maps");
//   o.steps = maps::kVirtualAliasSteps;
//   o.is_local = [&](std::string_view d) { return IsMyDestination(d); };
//   maps::AddrFindResult r = maps::FindAddress(aliases, "bob+news@example.jp", o);
//   if (r.result.temp_error()) defer(); else if (r.result.found()) use(r.result.value,
//   r.extension);
//
// ORDER. For user+ext@domain (recipient_delimiter "+"; the parameter may
// list several delimiter characters, Postfix 2.11+: the extension starts at
// the first of them) the keys tried are, for each step the caller enables:
//   kFindFull             user+ext@domain   (every table)
//   kFindNoExt            user@domain
//   kFindLocalpartIfLocal user+ext, user    only when is_local(domain) says so
//                                           (or the address has no domain)
//   kFindDomain           domain, then parent domains: .parent (or parent,
//                                           with parent_matches_subdomains)
//   kFindLocalpartAt      user+ext@, user@
//   kFindAtDomain         @domain
//   kFindWildcard         *
// The first key tried is asked of every table; all later keys only of the
// fixed-string tables (maps.h IsFixedStringTable): regexp/pcre/cidr tables
// see the full address once, as the Postfix manuals say. Keys repeated by
// the steps (an address without extension) are tried once. The first value
// found ends the search; a temporary error ends it too and is the result
// (never "not found").
//
// The extension is not split off when the user part would be empty, for
// "postmaster", "MAILER-DAEMON" and the double-bounce sender, and (with
// owner_request_special and "-" a delimiter) for owner-* and *-request.
//
// WHO USES WHICH (the Postfix manuals):
//   virtual_alias_maps   virtual(5):  user@domain, user (local domains only),
//                                     @domain                -> kVirtualAliasSteps
//   canonical_maps,      canonical(5): the same                -> kCanonicalSteps
//   sender/recipient_canonical_maps, smtp_generic_maps (generic(5))
//   virtual_mailbox_maps, virtual_uid/gid_maps (virtual(8)):
//                        user@domain, @domain                  -> kVirtualMailboxSteps
//   smtpd access maps    access(5):   user@domain, domain (parents per
//     (check_sender_access, ...)      parent_domain_matches_subdomains
//                                     "smtpd_access_maps"), user@ -> kAccessSteps
//   transport_maps       transport(5): user@domain, domain, parents, * -> kTransportSteps
//   relocated_maps       relocated(5): user@domain, user, @domain  -> kCanonicalSteps
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "global/config.h"
#include "global/maps.h"
#include "tables/table.h"

namespace maps {

enum AddrFindStep : unsigned {
  kFindFull = 1u << 0,
  kFindNoExt = 1u << 1,
  kFindLocalpartIfLocal = 1u << 2,
  kFindDomain = 1u << 3,
  kFindLocalpartAt = 1u << 4,
  kFindAtDomain = 1u << 5,
  kFindWildcard = 1u << 6,
};

inline constexpr unsigned kVirtualAliasSteps =
    kFindFull | kFindNoExt | kFindLocalpartIfLocal | kFindAtDomain;
inline constexpr unsigned kCanonicalSteps = kVirtualAliasSteps;
inline constexpr unsigned kVirtualMailboxSteps = kFindFull | kFindNoExt | kFindAtDomain;
inline constexpr unsigned kAccessSteps = kFindFull | kFindNoExt | kFindDomain | kFindLocalpartAt;
inline constexpr unsigned kTransportSteps = kFindFull | kFindNoExt | kFindDomain | kFindWildcard;

struct AddrFindOptions {
  unsigned steps = kVirtualAliasSteps;
  std::string delimiters;  // recipient_delimiter: each character is a delimiter
  // Whether a domain is local (mydestination, ...); unset: never local.
  std::function<bool(std::string_view domain)> is_local;
  // kFindDomain parents as "parent" rather than ".parent".
  bool parent_matches_subdomains = false;
  bool owner_request_special = true;
  std::string double_bounce_sender = "double-bounce";

  // delimiters, owner_request_special and double_bounce_sender from `cfg`,
  // and parent_matches_subdomains when `param` (e.g. "transport_maps") is
  // listed in parent_domain_matches_subdomains.
  static AddrFindOptions ForConfig(const config::Config& cfg, std::string_view param);
};

struct AddrFindResult {
  tables::LookupResult result;
  std::string key;        // the key that was found, or that failed
  std::string extension;  // found under a key without the extension: the
                          // stripped extension (without delimiter), else ""
};

// Looks up `address` (internal form: unquoted local part) in `maps`.
AddrFindResult FindAddress(Maps& maps, std::string_view address, const AddrFindOptions& options);

// Looks up a bare domain (or host name): the domain itself (every table),
// then its parents (fixed-string tables), then "*" when kFindWildcard is in
// options.steps.
AddrFindResult FindDomain(Maps& maps, std::string_view domain, const AddrFindOptions& options);

// The parts of an address as the lookups see them: the last '@' separates
// the domain; the extension is split off as described above.
struct AddrParts {
  std::string user;       // local part without extension
  std::string extension;  // without its delimiter; empty when none
  char delimiter = 0;     // the delimiter found, 0 when none
  std::string domain;     // empty when the address has no '@'
  bool has_at = false;
};
AddrParts SplitAddress(std::string_view address, const AddrFindOptions& options);

}  // namespace maps
