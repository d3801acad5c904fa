// addr_list: host/address lists of main.cf (Postfix's namadr_list):
// mynetworks, debug_peer_list, smtpd_client_event_limit_exceptions,
// smtpd_forbid_bare_newline_exclusions, permit_mx_backup_networks ...
// A client matches by its (verified) host name or by its address.
//
//   auto nets = addr_list::AddrList::FromParameter(cfg, "mynetworks");
//   if (!nets.ok()) msg::Fatal("%s", nets.status().message().c_str());
//   util::StatusOr<bool> m = nets->Match("mail.example.com", "192.0.2.1");
//   if (!m.ok()) defer();            // a table could not be searched
//
// Patterns, separated by commas and/or white space ("{...}" groups), tried
// in order; the first that matches decides:
//   192.0.2.1  [192.0.2.1]  2001:db8::1  [2001:db8::1]    one address
//   192.0.2.0/24  [2001:db8::]/32  2001:db8::/32        a network (CIDR);
//                         host bits set under the mask are ignored
//   name          the host name itself (case-insensitively); with
//                 parent_matches_subdomains (the parameter is listed in
//                 parent_domain_matches_subdomains, as mynetworks and
//                 debug_peer_list are by default) also its subdomains
//   .name         any subdomain of name
//   /file/name    the patterns in that file (an unreadable file is an
//                 error at Parse time)
//   type:table    matches when the host name, one of its parent domains
//                 (".parent" or "parent" as above; fixed-string tables
//                 only) or the address is a key of the table; the value is
//                 ignored (cidr: tables work for networks)
//   !pattern      a match means "no match" and ends the search
// A client whose name is "unknown" (or empty) is matched by address only.
// An IPv4-mapped IPv6 address (::ffff:192.0.2.1) is matched as IPv4.
// A temporary table error stops the search: Match returns kUnavailable.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "global/config.h"
#include "global/maps.h"
#include "tables/table.h"
#include "util/status.h"

namespace addr_list {

class AddrList {
 public:
  AddrList() = default;  // empty: matches nothing

  // Parses `value` (already expanded). Errors (kFailedPrecondition
  // "TITLE: ..."): a bad table spec, an unreadable file, unbalanced braces,
  // a malformed network ("192.0.2.0/33").
  static util::StatusOr<AddrList> Parse(std::string_view title, std::string_view value,
                                        bool parent_matches_subdomains,
                                        const tables::OpenOptions& options);
  // The list is parameter `param`; parent_matches_subdomains when `param`
  // is listed in parent_domain_matches_subdomains.
  static util::StatusOr<AddrList> FromParameter(const config::Config& cfg, config::AnyParam param);

  // Whether a client with host name `name` ("unknown" or "" when none) and
  // address `addr` ("192.0.2.1", "2001:db8::1", brackets allowed) matches.
  util::StatusOr<bool> Match(std::string_view name, std::string_view addr);

  bool empty() const { return patterns_.empty(); }
  const std::string& title() const { return title_; }

  // An address in binary form (helper, also for smtpd's access lookups).
  struct Net {
    int family = 0;  // AF_INET or AF_INET6; 0 when not set
    unsigned char bytes[16] = {};
    int prefix = 0;  // bits
  };
  // Parses "192.0.2.1", "[2001:db8::1]", "::ffff:192.0.2.1" (-> IPv4).
  static bool ParseAddress(std::string_view text, Net* out);

 private:
  struct Pattern {
    bool negate = false;
    enum class Kind { kNet, kName, kTable } kind = Kind::kName;
    Net net;
    std::string name;  // lower-cased host/domain pattern
    std::shared_ptr<maps::Maps> table;
  };
  util::Status AddPatterns(std::string_view value, const tables::OpenOptions& options);
  util::StatusOr<bool> MatchOne(Pattern& p, const std::string& name, const Net& addr,
                                const std::string& addr_text);

  std::string title_;
  bool parent_ = false;
  std::vector<Pattern> patterns_;
};

}  // namespace addr_list
