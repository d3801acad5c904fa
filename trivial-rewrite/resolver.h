// resolver: the "resolve" service of trivial-rewrite: a recipient address
// to (transport, nexthop, recipient) and its address class, as Postfix's
// trivial-rewrite(8), ADDRESS_CLASS_README and transport(5) define them.
//
//   auto r = Resolver::FromConfig(cfg);            // fatal config: r.status()
//   Resolution res = (*r)->Resolve("alice@example.com", "bob@example.net");
//   if (res.temp_fail) defer(res.reason);           // a table could not be searched
//
// ORDER, for an address in internal form (the empty address is
// $empty_address_recipient):
//  1. Local domains are stripped: while the domain (trailing dots removed)
//     is local (resolve_local.h: mydestination, [ip] of inet_interfaces or
//     proxy_interfaces), it is removed; then, and also for an address that
//     had no domain at all, when the local part routes ("user@host",
//     "user%host" with allow_percent_hack, "host!user" with swap_bangpath)
//     it is rewritten to user@host and resolved again. An
//     address that ends up without a domain is local; the recipient gets its
//     local domain back, or @$myhostname when it had none. "user@" is bad
//     syntax unless resolve_null_domain = yes (then local); "user@1.2.3.4"
//     is bad syntax unless resolve_numeric_domain = yes (then [1.2.3.4]).
//  2. The class, first match wins:
//       local    -> $local_transport (nexthop default: the recipient domain)
//       virtual_alias_domains   -> error:"5.1.1 User unknown in virtual alias
//                   table" (show_user_unknown_table_name = no drops
//                   " in virtual alias table"): an address still in such
//                   a domain was not expanded by virtual_alias_maps
//       virtual_mailbox_domains -> $virtual_transport
//       relay_domains           -> $relay_transport
//       anything else -> $default_transport, or the value of
//                   sender_dependent_default_transport_maps for the sender
//                   (key $empty_address_default_transport_maps_lookup_key
//                   for the null sender; DUNNO = use default_transport).
//     A transport value is "transport[:nexthop]"; an empty transport is a
//     configuration error ("null transport is not allowed"). Without a
//     nexthop, relay and default mail goes to the value of
//     sender_dependent_relayhost_maps for the sender (DUNNO = skip), else
//     $relayhost, else the recipient domain; local, virtual mail to the
//     recipient domain.
//     A malformed remote domain sets kFlagError (transport "error", nexthop
//     "5.1.3 bad address syntax"; clients check the flag); a remote address
//     with @ ! or % in its local part sets kFlagRouted; local, alias and
//     virtual classes set kFlagFinal.
//  3. transport_maps overrides (maps::kTransportSteps: user+ext@domain,
//     user@domain, domain, parent domains as ".parent" or, with
//     transport_maps in parent_domain_matches_subdomains, "parent", then
//     "*"). The value is "transport:nexthop": both empty = no change;
//     ":nexthop" keeps the transport; "transport:" resets the nexthop to
//     the recipient domain (for error/retry to "Address is undeliverable");
//     "error:text" bounces with text; "discard:" drops; "smtp:[host]:port".
//  4. relocated_maps: a match gives error:"5.1.6 User has moved to VALUE".
// A temporary error of any table (or domain list) at any step ends the
// request with temp_fail, the reason, and kFlagFail. The recipient keeps
// its case; only table keys and list matches fold case.
//
// WARNINGS (helpful_warnings = yes, as Postfix words them), once per domain
// and pair per process: "do not list domain D in BOTH mydestination and
// virtual_alias_domains" (likewise mydestination/virtual_mailbox_domains,
// virtual_alias_domains/virtual_mailbox_domains,
// virtual_alias_domains/relay_domains, virtual_mailbox_domains/relay_domains),
// logged when an address in such a domain is resolved.
#pragma once

#include <memory>
#include <set>
#include <string>
#include <string_view>

#include "global/addr_find.h"
#include "global/config.h"
#include "global/domain_list.h"
#include "global/maps.h"
#include "global/resolve_local.h"
#include "global/rewrite.h"
#include "util/status.h"

namespace trivial_rewrite {

struct Resolution {
  bool temp_fail = false;
  std::string reason;  // temp_fail: why
  std::string transport;
  std::string nexthop;
  std::string recipient;
  unsigned flags = 0;  // rewrite_proto::ResolveFlags
};

class Resolver {
 public:
  // Errors (kFailedPrecondition): a bad table list or domain list, a null
  // transport in local/virtual/relay/default_transport.
  static util::StatusOr<std::unique_ptr<Resolver>> FromConfig(const config::Config& cfg);
  // The same with explicit local domains (tests: interface addresses).
  static util::StatusOr<std::unique_ptr<Resolver>> FromConfig(const config::Config& cfg,
                                                              resolve_local::LocalDomains local);
  Resolver(const Resolver&) = delete;
  Resolver& operator=(const Resolver&) = delete;

  Resolution Resolve(std::string_view sender, std::string_view address);

  // Runs the change checks of every table this resolver uses.
  void CheckChanges();
  // Whether the sender takes part in the result (sender-dependent maps).
  bool sender_dependent() const {
    return !sender_relayhost_maps_.empty() || !sender_transport_maps_.empty();
  }

 private:
  Resolver() = default;
  // Resolves the class part (step 2) for a non-local domain.
  void Classify(std::string_view sender, std::string_view domain, Resolution* out);
  // Sets the nexthop of a relay/default class transport without one.
  void RelayNexthop(std::string_view sender, std::string_view domain, Resolution* out);
  void WarnBoth(std::string_view domain, std::string_view a, domain_list::DomainList* list_b,
                std::string_view b);
  bool Fail(Resolution* out, std::string_view what, const std::string& reason);

  rewrite::Rules routing_;  // source routing only: nothing appended
  resolve_local::LocalDomains local_;
  domain_list::DomainList alias_domains_, mailbox_domains_, relay_domains_;
  std::string local_transport_, virtual_transport_, relay_transport_, default_transport_;
  std::string relayhost_, myhostname_, empty_recipient_;
  std::string empty_relay_key_, empty_transport_key_;
  maps::Maps transport_maps_, sender_relayhost_maps_, sender_transport_maps_, relocated_maps_;
  maps::AddrFindOptions transport_opts_, sender_opts_, relocated_opts_;
  bool resolve_null_domain_ = false;
  bool resolve_numeric_domain_ = false;
  bool smtputf8_ = true;  // smtputf8_enable: UTF-8 domain labels are valid
  bool helpful_warnings_ = true;
  bool show_table_name_ = true;
  std::set<std::string> warned_;
};

}  // namespace trivial_rewrite
