// params: the built-in parameter table and the defaults that depend on the
// machine. See params.h.
//
// The table was generated from Debian's Postfix 3.7.11 `postconf -d` (run
// with an empty master.cf, so that no per-service parameters are included)
// and then reviewed; types, default time units and minimums follow
// postconf(5) and Postfix's parameter tables. Deliberate differences from
// Debian's output:
//
//  - Compiled-in directories come from global/build_config.h:
//    command_directory, config_directory, daemon_directory, data_directory,
//    queue_directory, and meta_directory and sample_directory (Postfix:
//    the configuration directory). shlib_directory, html_directory and
//    readme_directory are "no": we build no shared libraries and install no
//    HTML or README files. mail_version is MTA_MAIL_VERSION.
//  - Postfix 3.6+ writes defaults that depend on compatibility_level as
//    ${{$compatibility_level} <level {N} ? {old} : {new}}. We do not
//    implement that syntax: compatibility_level defaults to "3.6" and these
//    parameters hold the value Postfix uses at that level:
//      append_dot_mydomain = no
//      lmtp_tls_fingerprint_digest = sha256
//      mynetworks_style = host
//      relay_domains = (empty)
//      respectful_logging = yes
//      smtp_tls_fingerprint_digest = sha256
//      smtpd_relay_before_recipient_restrictions = yes
//      smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated,
//          defer_unauth_destination
//      smtpd_tls_fingerprint_digest = sha256
//      smtputf8_enable = yes
//    and smtp_tls_dane_insecure_mx_policy, which Postfix writes as
//    ${{$smtp_tls_security_level} == {dane} ? {dane} : {may}}, is "may"
//    (its value for the default, empty, smtp_tls_security_level).
//  - Machine-dependent defaults are kDynamic (see DynamicDefault()):
//    myhostname, mydomain, mynetworks (for mynetworks_style = host, as
//    Postfix computes it at compatibility level 2 and later; Debian's
//    `postconf -d` shows the "subnet" form because it runs at level 0),
//    mail_version, process_id, process_name.
//
// Types: yes/no defaults are kBool (also the *_per_request_deadline
// parameters, whose default is a ${name?...} expression); time parameters
// are those postconf(5) gives a time unit for, with that default unit (the
// unit letter of the default value, as Postfix derives it: 'd' for
// maximal_queue_lifetime, 'h' for delay_warning_time); message_size_limit,
// mailbox_size_limit, virtual_mailbox_limit, queue_minfree and
// lmdb_map_size are kLong; other plain numbers are kInt except
// compatibility_level, mail_release_date, milter_protocol, lmtp_tcp_port
// and the concurrency feedback parameters ("1" or "1/concurrency"), which
// are text. A time minimum of 1 marks postconf(5)'s "non-zero time value"
// (when the default itself is not zero); integer minimums follow Postfix's
// tables where known, else 0 (no negative values), except
// postscreen_dnsbl_allowlist_threshold, which may be negative.
#include "global/params.h"

#include "global/params_table.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <cstring>

#include "global/build_config.h"
#include "util/strings.h"

namespace params {
namespace {

using table::kParams;

// Per-service parameter suffixes. The first 16 are registered for delivery
// services; "_time_limit" (last) for pipe and spawn services.
constexpr std::string_view kSuffixes[] = {
    "_delivery_slot_cost",
    "_delivery_slot_discount",
    "_delivery_slot_loan",
    "_destination_concurrency_failed_cohort_limit",
    "_destination_concurrency_limit",
    "_destination_concurrency_negative_feedback",
    "_destination_concurrency_positive_feedback",
    "_destination_rate_delay",
    "_destination_recipient_limit",
    "_extra_recipient_limit",
    "_initial_destination_concurrency",
    "_minimum_delivery_slots",
    "_recipient_limit",
    "_recipient_refill_delay",
    "_recipient_refill_limit",
    "_transport_rate_delay",
    "_time_limit",
};
constexpr size_t kDeliverySuffixCount = std::size(kSuffixes) - 1;

// The built-in parameter that supplies the default of NAME + suffix.
std::string SuffixDefaultParam(std::string_view suffix) {
  if (suffix == "_initial_destination_concurrency") return "initial_destination_concurrency";
  if (suffix == "_time_limit") return "command_time_limit";
  return "default" + std::string(suffix);
}

std::string HostName() {
  char buf[HOST_NAME_MAX + 1] = {};
  if (gethostname(buf, sizeof(buf) - 1) != 0 || buf[0] == 0) return "localhost";
  return buf;
}

enum class MaskStyle { kHost, kSubnet, kClass };

int PrefixLength(const unsigned char* mask, size_t len) {
  int bits = 0;
  for (size_t i = 0; i < len; ++i) {
    for (int b = 7; b >= 0 && (mask[i] >> b) & 1; --b) ++bits;
    if (mask[i] != 0xff) break;
  }
  return bits;
}

// Clears the bits after the first `prefix` bits of `addr`.
void ApplyPrefix(unsigned char* addr, size_t len, int prefix) {
  for (size_t i = 0; i < len; ++i) {
    int keep = std::clamp(prefix - static_cast<int>(i) * 8, 0, 8);
    addr[i] &= static_cast<unsigned char>(0xff00 >> keep);
  }
}

// One mynetworks entry for an interface address, or "" to skip it.
std::string NetworkOf(const ifaddrs* ifa, MaskStyle style) {
  char text[INET6_ADDRSTRLEN] = {};
  if (ifa->ifa_addr->sa_family == AF_INET) {
    in_addr addr = reinterpret_cast<const sockaddr_in*>(ifa->ifa_addr)->sin_addr;
    if (addr.s_addr == htonl(INADDR_ANY) || ifa->ifa_netmask == nullptr) return "";
    auto* bytes = reinterpret_cast<unsigned char*>(&addr.s_addr);
    int prefix = 32;
    if (style == MaskStyle::kSubnet || style == MaskStyle::kClass) {
      prefix = PrefixLength(reinterpret_cast<const unsigned char*>(
                                &reinterpret_cast<const sockaddr_in*>(ifa->ifa_netmask)->sin_addr),
                            4);
    }
    if (style == MaskStyle::kClass) {
      // Natural class A/B/C/D networks; class E keeps its subnet.
      if (bytes[0] < 128) {
        prefix = 8;
      } else if (bytes[0] < 192) {
        prefix = 16;
      } else if (bytes[0] < 224) {
        prefix = 24;
      } else if (bytes[0] < 240) {
        prefix = 4;
      }
    }
    ApplyPrefix(bytes, 4, prefix);
    inet_ntop(AF_INET, &addr, text, sizeof(text));
    return util::StrFormat("%s/%d", text, prefix);
  }
  if (ifa->ifa_addr->sa_family == AF_INET6) {
    in6_addr addr = reinterpret_cast<const sockaddr_in6*>(ifa->ifa_addr)->sin6_addr;
    if (IN6_IS_ADDR_UNSPECIFIED(&addr)) return "";
    int prefix = 128;
    if (style != MaskStyle::kHost && ifa->ifa_netmask != nullptr) {
      // IPv6 has no address classes: "class" works like "subnet".
      prefix = PrefixLength(
          reinterpret_cast<const sockaddr_in6*>(ifa->ifa_netmask)->sin6_addr.s6_addr, 16);
    }
    ApplyPrefix(addr.s6_addr, 16, prefix);
    inet_ntop(AF_INET6, &addr, text, sizeof(text));
    return util::StrFormat("[%s]/%d", text, prefix);
  }
  return "";
}

}  // namespace

std::span<const ParamDef> All() { return kParams; }

const ParamDef* Find(std::string_view name) {
  auto it = std::lower_bound(std::begin(kParams), std::end(kParams), name,
                             [](const ParamDef& d, std::string_view n) { return d.name < n; });
  if (it == std::end(kParams) || it->name != name) return nullptr;
  return &*it;
}

std::optional<std::string> Default(std::string_view name) {
  const ParamDef* def = Find(name);
  if (def == nullptr) return std::nullopt;
  if (def->flags & kDynamic) return DynamicDefault(name);
  return std::string(def->default_value);
}

std::string DynamicDefault(std::string_view name) {
  if (name == "myhostname") {
    static const std::string value = QualifyHostname(HostName());
    return value;
  }
  if (name == "mydomain") {
    static const std::string value = DomainOfHostname(DynamicDefault("myhostname"));
    return value;
  }
  if (name == "mynetworks") {
    static const std::string value = MynetworksForStyle("host").value_or("");
    return value;
  }
  if (name == "mail_version") return MTA_MAIL_VERSION;
  if (name == "process_id") return std::to_string(getpid());
  if (name == "process_name") return program_invocation_short_name;
  const ParamDef* def = Find(name);
  return def ? std::string(def->default_value) : std::string();
}

std::string QualifyHostname(std::string_view host, std::string_view mydomain) {
  if (host.find('.') != std::string_view::npos) return std::string(host);
  return std::string(host) + "." + std::string(mydomain);
}

std::string DomainOfHostname(std::string_view myhostname) {
  size_t dot = myhostname.find('.');
  if (dot == std::string_view::npos) return "localdomain";
  return std::string(myhostname.substr(dot + 1));
}

std::optional<std::string> MynetworksForStyle(std::string_view style) {
  MaskStyle mask_style;
  std::string_view s = util::Trim(style);
  if (util::EqualsIgnoreCase(s, "host")) {
    mask_style = MaskStyle::kHost;
  } else if (util::EqualsIgnoreCase(s, "subnet")) {
    mask_style = MaskStyle::kSubnet;
  } else if (util::EqualsIgnoreCase(s, "class")) {
    mask_style = MaskStyle::kClass;
  } else {
    return std::nullopt;
  }
  std::vector<std::string> nets;
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) == 0) {
    for (int family : {AF_INET, AF_INET6}) {
      for (const ifaddrs* ifa = list; ifa != nullptr; ifa = ifa->ifa_next) {
        if (ifa->ifa_addr == nullptr || ifa->ifa_addr->sa_family != family ||
            !(ifa->ifa_flags & IFF_UP))
          continue;
        std::string net = NetworkOf(ifa, mask_style);
        if (!net.empty()) nets.push_back(std::move(net));
      }
    }
    freeifaddrs(list);
  }
  if (nets.empty()) {
    // No interface list (e.g. a sandbox without /proc): the loopback host.
    nets = {mask_style == MaskStyle::kHost ? "127.0.0.1/32" : "127.0.0.0/8", "[::1]/128"};
  }
  return util::Join(nets, " ");
}

std::span<const std::string_view> TransportParamSuffixes() {
  return std::span<const std::string_view>(kSuffixes, kDeliverySuffixCount);
}

std::span<const std::string_view> ServiceParamSuffixes(std::string_view program) {
  if (program == "local" || program == "error" || program == "virtual" || program == "smtp" ||
      program == "lmtp")
    return TransportParamSuffixes();
  if (program == "pipe") return kSuffixes;
  if (program == "spawn") return std::span<const std::string_view>(kSuffixes).last(1);
  return {};
}

std::optional<std::string> TransportParamDefault(std::string_view name, std::string* transport) {
  std::string_view best;
  for (std::string_view suffix : kSuffixes) {
    if (name.size() > suffix.size() && name.ends_with(suffix) && suffix.size() > best.size())
      best = suffix;
  }
  if (best.empty()) return std::nullopt;
  if (transport != nullptr) *transport = std::string(name.substr(0, name.size() - best.size()));
  if (auto builtin = Default(name)) return builtin;
  return "$" + SuffixDefaultParam(best);
}

std::optional<std::string> CheckValue(const ParamDef& def, std::string_view expanded) {
  std::string name(def.name);
  std::string value(expanded);
  switch (def.type) {
    case Type::kString:
      return std::nullopt;
    case Type::kBool:
      // Postfix accepts exactly "yes" or "no", in any case.
      if (util::EqualsIgnoreCase(expanded, "yes") || util::EqualsIgnoreCase(expanded, "no"))
        return std::nullopt;
      return util::StrFormat("bad boolean configuration: %s = %s", name.c_str(), value.c_str());
    case Type::kInt:
    case Type::kLong: {
      std::optional<long long> n = util::ParseInt(expanded);
      if (!n || (def.type == Type::kInt && (*n < INT_MIN || *n > INT_MAX)))
        return util::StrFormat("bad numerical configuration: %s = %s", name.c_str(), value.c_str());
      if (def.min != kNoMin && *n < def.min)
        return util::StrFormat("invalid %s parameter value %lld < %lld", name.c_str(), *n, def.min);
      if (def.max != 0 && *n > def.max)
        return util::StrFormat("invalid %s parameter value %lld > %lld", name.c_str(), *n, def.max);
      return std::nullopt;
    }
    case Type::kTime: {
      std::optional<long long> n = util::ParseTime(expanded, def.time_unit);
      if (!n || *n > INT_MAX)
        return util::StrFormat("parameter %s: bad time value or unit: %s", name.c_str(),
                               value.c_str());
      if (def.min != kNoMin && *n < def.min)
        return util::StrFormat("invalid %s: %lld (min %lld)", name.c_str(), *n, def.min);
      if (def.max != 0 && *n > def.max)
        return util::StrFormat("invalid %s: %lld (max %lld)", name.c_str(), *n, def.max);
      return std::nullopt;
    }
  }
  return std::nullopt;
}

namespace {

struct CompatDefault {
  std::string_view name;
  std::string_view below;  // the level from which the table's default applies
  std::string_view value;  // the default below that level
};
constexpr CompatDefault kCompat[] = {
    {"append_dot_mydomain", "1", "yes"},
    {"smtpd_relay_restrictions", "1", ""},
    {"smtputf8_enable", "1", "no"},
    {"mynetworks_style", "2", "subnet"},
    {"relay_domains", "2", "$mydestination"},
    {"lmtp_tls_fingerprint_digest", "3.6", "md5"},
    {"respectful_logging", "3.6", "no"},
    {"smtp_tls_fingerprint_digest", "3.6", "md5"},
    {"smtpd_relay_before_recipient_restrictions", "3.6", "no"},
    {"smtpd_tls_fingerprint_digest", "3.6", "md5"},
};

// "3.6" -> {3, 6, 0}; nullopt when malformed.
std::optional<std::array<long long, 3>> ParseLevel(std::string_view level) {
  std::array<long long, 3> out = {0, 0, 0};
  std::vector<std::string> parts = util::Split(util::Trim(level), '.');
  if (parts.empty() || parts.size() > 3) return std::nullopt;
  for (size_t i = 0; i < parts.size(); i++) {
    if (parts[i].empty() || parts[i].find_first_not_of("0123456789") != std::string::npos)
      return std::nullopt;
    auto n = util::ParseInt(parts[i]);
    if (!n) return std::nullopt;
    out[i] = *n;
  }
  return out;
}

bool Below(std::string_view level, std::string_view threshold) {
  auto l = ParseLevel(level);
  auto t = ParseLevel(threshold);
  return l && t && *l < *t;
}

}  // namespace

bool ValidCompatibilityLevel(std::string_view level) { return ParseLevel(level).has_value(); }

std::optional<std::string> CompatibilityDefault(std::string_view name, std::string_view level) {
  for (const CompatDefault& c : kCompat)
    if (c.name == name && Below(level, c.below)) return std::string(c.value);
  return std::nullopt;
}

std::vector<std::pair<std::string_view, std::string_view>> CompatibilityDefaults(
    std::string_view level) {
  std::vector<std::pair<std::string_view, std::string_view>> out;
  for (const CompatDefault& c : kCompat)
    if (Below(level, c.below)) out.emplace_back(c.name, c.value);
  return out;
}

}  // namespace params
