#include "cleanup/address_map.h"

#include <memory>
#include <set>

#include "global/address.h"
#include "global/resolve_local.h"
#include "util/msg.h"
#include "util/strings.h"

namespace cleanup {
namespace {

// Postfix's cleanup_map11 gives up after this many canonical rounds.
constexpr int kMaxCanonicalRounds = 10;

Verdict TempLookupFailure() { return Verdict::Fail(4, "4.3.0", "Temporary lookup failure"); }
Verdict AliasExpansionError() { return Verdict::Fail(4, "4.6.0", "Alias expansion error"); }

// Inserts "<delim>ext" before the domain of `address`.
std::string AddExtension(const std::string& address, char delimiter, const std::string& ext) {
  size_t at = address.rfind('@');
  std::string out = address.substr(0, at == std::string::npos ? address.size() : at);
  out += delimiter;
  out += ext;
  if (at != std::string::npos) out += address.substr(at);
  return out;
}

maps::Maps OpenMaps(const config::Config& cfg, config::AnyParam param) {
  auto m = maps::Maps::FromParameter(cfg, param);
  if (!m.ok()) msg::Fatal("%s", m.status().message().c_str());
  return std::move(*m);
}

}  // namespace

unsigned ParseClasses(std::string_view param, std::string_view list) {
  unsigned out = 0;
  for (const std::string& name : util::SplitList(list)) {
    if (name == "envelope_sender") {
      out |= kClassEnvelopeSender;
    } else if (name == "envelope_recipient") {
      out |= kClassEnvelopeRecipient;
    } else if (name == "header_sender") {
      out |= kClassHeaderSender;
    } else if (name == "header_recipient") {
      out |= kClassHeaderRecipient;
    } else {
      msg::Warn("unknown %s value \"%s\" ignored", std::string(param).c_str(), name.c_str());
    }
  }
  return out;
}

std::function<bool(std::string_view)> LocalDomainPredicate(const config::Config& cfg) {
  auto local = resolve_local::LocalDomains::FromConfig(cfg);
  if (!local.ok()) msg::Fatal("%s", local.status().message().c_str());
  auto domains = std::make_shared<resolve_local::LocalDomains>(std::move(*local));
  std::string myorigin = util::Lowercase(cfg.Get("myorigin"));
  return [domains, myorigin](std::string_view domain) {
    std::string d = util::Lowercase(domain);
    if (!d.empty() && d.back() == '.') d.pop_back();
    if (d == myorigin) return true;
    util::StatusOr<bool> mine = domains->IsLocal(d);
    if (!mine.ok()) {
      // The bool interface of addr_find cannot defer: the "user" form is
      // then not tried for this address (the full forms still are).
      msg::Warn("mydestination lookup for %s: %s", d.c_str(), mine.status().message().c_str());
      return false;
    }
    return *mine;
  };
}

AddressMapper AddressMapper::FromConfig(const config::Config& cfg) {
  Options o;
  o.rules = rewrite::Rules::FromConfig(cfg);
  o.find = maps::AddrFindOptions::ForConfig(cfg, "virtual_alias_maps");
  o.find.steps = maps::kCanonicalSteps;
  o.find.is_local = LocalDomainPredicate(cfg);
  o.canonical_classes = ParseClasses("canonical_classes", cfg.Get("canonical_classes"));
  o.sender_classes = ParseClasses("sender_canonical_classes", cfg.Get("sender_canonical_classes"));
  o.recipient_classes =
      ParseClasses("recipient_canonical_classes", cfg.Get("recipient_canonical_classes"));
  o.propagate_canonical = o.propagate_virtual = false;
  for (const std::string& p : util::SplitList(cfg.Get("propagate_unmatched_extensions"))) {
    if (p == "canonical") o.propagate_canonical = true;
    if (p == "virtual") o.propagate_virtual = true;
  }
  o.recursion_limit = cfg.GetInt("virtual_alias_recursion_limit");
  o.expansion_limit = cfg.GetInt("virtual_alias_expansion_limit");
  o.address_length_limit = cfg.GetInt("virtual_alias_address_length_limit");
  for (const std::string& d : util::SplitList(cfg.Get("masquerade_domains")))
    o.masquerade_domains.push_back(util::Lowercase(d));
  for (const std::string& u : util::SplitList(cfg.Get("masquerade_exceptions")))
    o.masquerade_exceptions.push_back(util::Lowercase(u));
  o.masquerade_classes = ParseClasses("masquerade_classes", cfg.Get("masquerade_classes"));
  AddressMapper m(std::move(o), OpenMaps(cfg, "canonical_maps"),
                  OpenMaps(cfg, "sender_canonical_maps"), OpenMaps(cfg, "recipient_canonical_maps"),
                  OpenMaps(cfg, "virtual_alias_maps"));
  m.SetBccMaps(OpenMaps(cfg, "sender_bcc_maps"), OpenMaps(cfg, "recipient_bcc_maps"));
  return m;
}

AddressMapper::Lookup AddressMapper::Map(maps::Maps& m, const std::string& address, bool propagate,
                                         std::vector<std::string>* out) {
  out->clear();
  maps::AddrFindResult r = maps::FindAddress(m, address, options_.find);
  if (r.result.temp_error()) return Lookup::kError;
  if (!r.result.found()) return Lookup::kNotFound;
  maps::AddrParts parts = maps::SplitAddress(address, options_.find);
  std::string value = r.result.value;
  if (!value.empty() && value[0] == '@') {
    // "@other" found for user@domain: user@other (without the extension
    // the lookup did not match; it is propagated below).
    std::string user = address::Split(address).local;
    if (!r.extension.empty()) {
      user = parts.user;
    }
    value = address::Quote(user) + value;
  }
  for (const std::string& a : address::ParseAddressList(value)) {
    std::string canon = options_.rules.Rewrite(rewrite::Context::kLocal, a);
    if (propagate && !r.extension.empty() && parts.delimiter != 0)
      canon = AddExtension(canon, parts.delimiter, r.extension);
    out->push_back(std::move(canon));
  }
  return Lookup::kFound;
}

Verdict AddressMapper::MapOne(maps::Maps& m, std::string* address, bool propagate,
                              std::string_view queue_id) {
  std::vector<std::string> result;
  for (int round = 0; round < kMaxCanonicalRounds; ++round) {
    switch (Map(m, *address, propagate, &result)) {
      case Lookup::kNotFound:
        return Verdict::Ok();
      case Lookup::kError:
        msg::Warn("%.*s: %s map lookup problem for %s -- message not accepted, try again later",
                  static_cast<int>(queue_id.size()), queue_id.data(), m.title().c_str(),
                  address->c_str());
        return TempLookupFailure();
      case Lookup::kFound:
        break;
    }
    if (result.empty()) return Verdict::Ok();
    if (result.size() > 1)
      msg::Warn("%.*s: multi-valued %s entry for %s", static_cast<int>(queue_id.size()),
                queue_id.data(), m.title().c_str(), address->c_str());
    bool to_self = util::EqualsIgnoreCase(result[0], *address);
    *address = result[0];
    if (to_self) return Verdict::Ok();
  }
  msg::Warn("%.*s: unreasonable %s map nesting for %s -- message not accepted, try again later",
            static_cast<int>(queue_id.size()), queue_id.data(), m.title().c_str(),
            address->c_str());
  return AliasExpansionError();
}

Verdict AddressMapper::Canonical(unsigned cls, std::string* address, std::string_view queue_id) {
  if (address->empty()) return Verdict::Ok();
  bool sender = cls & (kClassEnvelopeSender | kClassHeaderSender);
  maps::Maps& specific = sender ? sender_canonical_ : recipient_canonical_;
  unsigned specific_classes = sender ? options_.sender_classes : options_.recipient_classes;
  if (!specific.empty() && (specific_classes & cls)) {
    Verdict v = MapOne(specific, address, options_.propagate_canonical, queue_id);
    if (!v.ok()) return v;
  }
  if (!canonical_.empty() && (options_.canonical_classes & cls)) {
    Verdict v = MapOne(canonical_, address, options_.propagate_canonical, queue_id);
    if (!v.ok()) return v;
  }
  Masquerade(cls, address);
  return Verdict::Ok();
}

void AddressMapper::Masquerade(unsigned cls, std::string* address) const {
  if (options_.masquerade_domains.empty() || !(options_.masquerade_classes & cls)) return;
  size_t at = address->rfind('@');
  if (at == std::string::npos || at + 1 >= address->size()) return;
  std::string local = util::Lowercase(address->substr(0, at));
  for (const std::string& e : options_.masquerade_exceptions)
    if (e == local) return;
  std::string domain = util::Lowercase(address->substr(at + 1));
  for (const std::string& entry : options_.masquerade_domains) {
    bool keep = !entry.empty() && entry[0] == '!';
    std::string_view d = keep ? std::string_view(entry).substr(1) : std::string_view(entry);
    if (d.empty()) continue;
    bool match = domain == d || (domain.size() > d.size() &&
                                 domain.compare(domain.size() - d.size(), d.size(), d) == 0 &&
                                 domain[domain.size() - d.size() - 1] == '.');
    if (!match) continue;
    if (!keep && domain != d) *address = address->substr(0, at + 1) + std::string(d);
    return;
  }
}

Verdict AddressMapper::Bcc(maps::Maps& m, const std::string& address, std::string* bcc,
                           std::string_view queue_id) {
  bcc->clear();
  if (m.empty() || address.empty()) return Verdict::Ok();
  std::vector<std::string> result;
  switch (Map(m, address, false, &result)) {
    case Lookup::kNotFound:
      return Verdict::Ok();
    case Lookup::kError:
      msg::Warn("%.*s: %s map lookup problem for %s -- message not accepted, try again later",
                static_cast<int>(queue_id.size()), queue_id.data(), m.title().c_str(),
                address.c_str());
      return TempLookupFailure();
    case Lookup::kFound:
      break;
  }
  if (!result.empty()) *bcc = result[0];
  return Verdict::Ok();
}

Verdict AddressMapper::ExpandAliases(const std::string& address, std::vector<std::string>* out,
                                     std::string_view queue_id) {
  out->assign(1, address);
  if (virtual_alias_.empty()) return Verdict::Ok();
  const std::string& title = virtual_alias_.title();
  int qlen = static_cast<int>(queue_id.size());
  // Addresses that expanded into themselves: kept, never looked up again.
  std::set<std::string> self;
  std::vector<std::string> result;
  for (size_t arg = 0; arg < out->size(); ++arg) {
    if (static_cast<long long>(out->size()) > options_.expansion_limit) {
      msg::Warn(
          "%.*s: unreasonable %s map expansion size for %s -- message not accepted, try "
          "again later",
          qlen, queue_id.data(), title.c_str(), address.c_str());
      return AliasExpansionError();
    }
    for (long long count = 0;; ++count) {
      std::string current = (*out)[arg];
      if (self.count(util::Lowercase(current))) break;
      if (count >= options_.recursion_limit) {
        msg::Warn(
            "%.*s: unreasonable %s map nesting for %s -- message not accepted, try again "
            "later",
            qlen, queue_id.data(), title.c_str(), address.c_str());
        return AliasExpansionError();
      }
      Lookup l = Map(virtual_alias_, current, options_.propagate_virtual, &result);
      if (l == Lookup::kError) {
        msg::Warn("%.*s: %s map lookup problem for %s -- message not accepted, try again later",
                  qlen, queue_id.data(), title.c_str(), current.c_str());
        return TempLookupFailure();
      }
      if (l == Lookup::kNotFound || result.empty()) break;
      for (size_t i = 0; i < result.size(); ++i) {
        if (static_cast<long long>(result[i].size()) > options_.address_length_limit) {
          msg::Warn(
              "%.*s: unreasonable %s result %.300s... -- message not accepted, try again "
              "later",
              qlen, queue_id.data(), title.c_str(), result[i].c_str());
          return AliasExpansionError();
        }
        if (i == 0) {
          (*out)[arg] = result[i];
        } else {
          out->push_back(result[i]);
        }
        if (util::EqualsIgnoreCase(result[i], current)) self.insert(util::Lowercase(current));
      }
    }
  }
  if (static_cast<long long>(out->size()) > options_.expansion_limit) {
    msg::Warn(
        "%.*s: unreasonable %s map expansion size for %s -- message not accepted, try "
        "again later",
        qlen, queue_id.data(), title.c_str(), address.c_str());
    return AliasExpansionError();
  }
  return Verdict::Ok();
}

}  // namespace cleanup
