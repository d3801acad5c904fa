#include "global/addr_find.h"

#include <set>

#include "util/strings.h"

namespace maps {

AddrFindOptions AddrFindOptions::ForConfig(const config::Config& cfg, std::string_view param) {
  AddrFindOptions o;
  o.delimiters = cfg.Get("recipient_delimiter");
  o.owner_request_special =
      cfg.Raw("owner_request_special") ? cfg.GetBool("owner_request_special") : true;
  if (cfg.Raw("double_bounce_sender")) o.double_bounce_sender = cfg.Get("double_bounce_sender");
  for (const std::string& p : cfg.GetList("parent_domain_matches_subdomains")) {
    if (p == param) o.parent_matches_subdomains = true;
  }
  return o;
}

AddrParts SplitAddress(std::string_view address, const AddrFindOptions& options) {
  AddrParts parts;
  size_t at = address.rfind('@');
  std::string_view local = address;
  if (at != std::string_view::npos) {
    parts.has_at = true;
    parts.domain = std::string(address.substr(at + 1));
    local = address.substr(0, at);
  }
  parts.user = std::string(local);
  if (options.delimiters.empty()) return parts;
  size_t d = local.find_first_of(options.delimiters);
  if (d == std::string_view::npos || d == 0) return parts;
  if (util::EqualsIgnoreCase(local, "postmaster") ||
      util::EqualsIgnoreCase(local, "MAILER-DAEMON") ||
      util::EqualsIgnoreCase(local, options.double_bounce_sender))
    return parts;
  if (local[d] == '-' && options.owner_request_special) {
    std::string lower = util::Lowercase(local);
    if (lower.rfind("owner-", 0) == 0) return parts;
    if (lower.size() > 8 && lower.compare(lower.size() - 8, 8, "-request") == 0) return parts;
  }
  parts.user = std::string(local.substr(0, d));
  parts.extension = std::string(local.substr(d + 1));
  parts.delimiter = local[d];
  return parts;
}

namespace {

// Runs the keys in order: the first against every table, the rest against
// fixed-string tables; `ext_of` says which keys lack the extension.
class Search {
 public:
  Search(Maps& maps, std::string extension) : maps_(maps), extension_(std::move(extension)) {}

  // True when the search is over (found or error): *out holds the result.
  bool Try(const std::string& key, bool stripped, AddrFindResult* out) {
    if (!tried_.insert(key).second) return false;
    tables::LookupResult r = maps_.Find(key, first_ ? Maps::Which::kAll : Maps::Which::kFixedOnly);
    first_ = false;
    if (r.not_found()) return false;
    out->result = std::move(r);
    out->key = key;
    out->extension = stripped && out->result.found() ? extension_ : "";
    return true;
  }

 private:
  Maps& maps_;
  std::string extension_;
  std::set<std::string> tried_;
  bool first_ = true;
};

// domain, then its parents, in the style the options ask for.
bool TryDomains(Search& s, std::string_view domain, const AddrFindOptions& o, AddrFindResult* out) {
  if (domain.empty()) return false;
  if (s.Try(std::string(domain), false, out)) return true;
  for (size_t dot = domain.find('.', 1); dot != std::string_view::npos;
       dot = domain.find('.', dot + 1)) {
    std::string_view parent =
        o.parent_matches_subdomains ? domain.substr(dot + 1) : domain.substr(dot);
    if (parent.empty() || parent == ".") break;
    if (s.Try(std::string(parent), false, out)) return true;
  }
  return false;
}

}  // namespace

AddrFindResult FindAddress(Maps& maps, std::string_view address, const AddrFindOptions& o) {
  AddrFindResult out;
  out.result = tables::LookupResult::NotFound();
  AddrParts p = SplitAddress(address, o);
  const bool has_ext = p.delimiter != 0;
  std::string local_full = has_ext ? p.user + p.delimiter + p.extension : p.user;
  std::string at_domain = p.has_at ? "@" + p.domain : "";
  Search s(maps, p.extension);

  if ((o.steps & kFindFull) && s.Try(std::string(address), false, &out)) return out;
  if ((o.steps & kFindNoExt) && has_ext && s.Try(p.user + at_domain, true, &out)) return out;
  if (o.steps & kFindLocalpartIfLocal) {
    bool local = !p.has_at || p.domain.empty() || (o.is_local && o.is_local(p.domain));
    if (local) {
      if (s.Try(local_full, false, &out)) return out;
      if (has_ext && s.Try(p.user, true, &out)) return out;
    }
  }
  if ((o.steps & kFindDomain) && TryDomains(s, p.domain, o, &out)) return out;
  if ((o.steps & kFindLocalpartAt) && p.has_at) {
    if (s.Try(local_full + "@", false, &out)) return out;
    if (has_ext && s.Try(p.user + "@", true, &out)) return out;
  }
  if ((o.steps & kFindAtDomain) && p.has_at && !p.domain.empty() &&
      s.Try("@" + p.domain, false, &out))
    return out;
  if ((o.steps & kFindWildcard) && s.Try("*", false, &out)) return out;
  return out;
}

AddrFindResult FindDomain(Maps& maps, std::string_view domain, const AddrFindOptions& o) {
  AddrFindResult out;
  out.result = tables::LookupResult::NotFound();
  Search s(maps, "");
  if (TryDomains(s, domain, o, &out)) return out;
  if ((o.steps & kFindWildcard) && s.Try("*", false, &out)) return out;
  return out;
}

}  // namespace maps
