// generic: see generic.h.
#include "smtp/generic.h"

#include <cctype>
#include <set>

#include "global/address.h"
#include "util/strings.h"

namespace smtp {
namespace {

bool AddrChar(char c) {
  unsigned char u = static_cast<unsigned char>(c);
  return std::isalnum(u) || u >= 0x80 ||
         std::string_view("!#$%&'*+-/=?^_`{|}~.@\"[]").find(c) != std::string_view::npos;
}

// Replaces whole-address occurrences of `from` (case-insensitive) by `to`.
std::string ReplaceAddress(std::string_view text, std::string_view from, std::string_view to) {
  std::string lower = util::Lowercase(text);
  std::string needle = util::Lowercase(from);
  std::string out;
  size_t pos = 0;
  while (true) {
    size_t hit = lower.find(needle, pos);
    if (hit == std::string::npos || needle.empty()) break;
    size_t end = hit + needle.size();
    bool left_ok = hit == 0 || !AddrChar(text[hit - 1]);
    bool right_ok = end == text.size() || !AddrChar(text[end]);
    out.append(text.substr(pos, hit - pos));
    if (left_ok && right_ok) {
      out.append(to);
    } else {
      out.append(text.substr(hit, needle.size()));
    }
    pos = end;
  }
  out.append(text.substr(pos));
  return out;
}

}  // namespace

util::StatusOr<Generic> Generic::FromConfig(const config::Config& cfg, config::AnyParam param) {
  Generic g;
  if (util::Trim(cfg.Get(param)).empty()) return g;
  auto m = maps::Maps::FromParameter(cfg, param);
  if (!m.ok()) return m.status();
  g.maps_ = std::move(*m);
  g.options_ = maps::AddrFindOptions::ForConfig(cfg, param.name());
  g.options_.steps = maps::kCanonicalSteps;
  auto local = std::make_shared<resolve_local::LocalDomains>();
  if (auto l = resolve_local::LocalDomains::FromConfig(cfg); l.ok()) *local = std::move(*l);
  std::string myorigin = util::Lowercase(cfg.Get("myorigin"));
  g.options_.is_local = [local, myorigin](std::string_view domain) {
    if (util::Lowercase(domain) == myorigin) return true;
    auto r = local->IsLocal(domain);
    return r.ok() && *r;
  };
  g.enabled_ = true;
  return g;
}

util::StatusOr<std::string> Generic::Map(std::string_view address) {
  if (!enabled_ || address.empty()) return std::string(address);
  maps::AddrFindResult r = maps::FindAddress(maps_, address, options_);
  if (r.result.temp_error())
    return util::Unavailable("smtp_generic_maps lookup error for \"" + std::string(address) +
                             "\": " + r.result.value);
  if (!r.result.found()) return std::string(address);
  return std::string(util::Trim(r.result.value));
}

bool Generic::IsAddressHeader(std::string_view name) {
  static const std::set<std::string> kNames = {"from",
                                               "sender",
                                               "reply-to",
                                               "to",
                                               "cc",
                                               "bcc",
                                               "resent-from",
                                               "resent-sender",
                                               "resent-reply-to",
                                               "resent-to",
                                               "resent-cc",
                                               "resent-bcc",
                                               "return-receipt-to",
                                               "errors-to",
                                               "disposition-notification-to",
                                               "mail-followup-to",
                                               "mail-reply-to"};
  return kNames.count(util::Lowercase(name)) > 0;
}

util::Status Generic::RewriteHeader(std::string_view header, std::string* out) {
  *out = std::string(header);
  std::string_view name, value;
  if (!enabled_ || !address::SplitHeader(header, &name, &value) || !IsAddressHeader(name))
    return util::OkStatus();
  std::string unfolded(value);
  for (char& c : unfolded)
    if (c == '\n' || c == '\r') c = ' ';
  std::string new_value(value);
  for (const std::string& a : address::ParseAddressList(unfolded)) {
    auto mapped = Map(a);
    if (!mapped.ok()) return mapped.status();
    if (*mapped == a) continue;
    new_value = ReplaceAddress(new_value, address::Quote(a), address::Quote(*mapped));
  }
  *out = std::string(header.substr(0, header.size() - value.size())) + new_value;
  return util::OkStatus();
}

}  // namespace smtp
