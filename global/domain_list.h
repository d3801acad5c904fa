// domain_list: the host/domain lists of main.cf (Postfix's string_list and
// domain_list): mydestination, virtual_alias_domains,
// virtual_mailbox_domains, relay_domains, ...
//
//   auto relay = domain_list::DomainList::FromParameter(cfg, "relay_domains",
//                                                       domain_list::Style::kDomain);
//   if (!relay.ok()) msg::Fatal("%s", relay.status().message().c_str());
//   util::StatusOr<bool> m = relay->Match("mail.example.com");
//   if (!m.ok()) defer();             // a table could not be searched
//   else if (*m) relay_it();
//
// A list is patterns separated by commas and/or white space ("{...}"
// groups a table spec with spaces, as in table lists), tried in order; the
// first pattern that matches decides. Patterns:
//   name          the name itself, case-insensitively
//   .name         (kDomain only) any subdomain of name
//   /file/name    replaced by the patterns in that file (white space or
//                 comma separated, '#' comment lines, continuation lines);
//                 an unreadable file is an error at Parse time
//   type:table    matches when the name is a key of the table (the value
//                 is ignored); tables are opened through maps.h (shared,
//                 reopened when they change)
//   !pattern      a match of pattern means "no match" (and ends the search)
//
// Styles. kString (Postfix's string_list: mydestination,
// virtual_alias_domains, virtual_mailbox_domains) compares the whole name
// only. kDomain (domain_list: relay_domains, ...) also matches parent
// domains: a table is asked for "name", then ".parent" for each parent
// domain (or "parent" without the dot when the list's parameter is named
// in parent_domain_matches_subdomains, e.g. relay_domains by default); a
// literal "example.com" then also matches "sub.example.com".
//
// A temporary table error stops the search: Match returns kUnavailable with
// the table's reason, never "no match".
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "global/config.h"
#include "global/maps.h"
#include "tables/table.h"
#include "util/status.h"

namespace domain_list {

enum class Style { kString, kDomain };

class DomainList {
 public:
  DomainList() = default;  // empty: matches nothing

  // Parses `value` (already expanded); `title` names the list in errors
  // (kFailedPrecondition "TITLE: ...": a bad table spec, an unreadable file).
  static util::StatusOr<DomainList> Parse(std::string_view title, std::string_view value,
                                          Style style, bool parent_matches_subdomains,
                                          const tables::OpenOptions& options);
  // The list is parameter `param`; parent_matches_subdomains from
  // parent_domain_matches_subdomains.
  static util::StatusOr<DomainList> FromParameter(const config::Config& cfg, config::AnyParam param,
                                                  Style style);

  // Whether `name` (a host or domain name, any case) is in the list.
  util::StatusOr<bool> Match(std::string_view name);

  // Runs the change check of every table (maps::Maps::CheckChanges).
  void CheckChanges();

  bool empty() const { return patterns_.empty(); }
  const std::string& title() const { return title_; }

 private:
  struct Pattern {
    bool negate = false;
    std::string text;                   // lower-cased literal
    std::shared_ptr<maps::Maps> table;  // set for type:table patterns
  };
  util::Status AddPatterns(std::string_view value, const tables::OpenOptions& options);
  util::StatusOr<bool> MatchOne(Pattern& p, const std::string& name);

  std::string title_;
  Style style_ = Style::kString;
  bool parent_ = false;
  std::vector<Pattern> patterns_;
};

}  // namespace domain_list
