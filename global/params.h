// params: the table of built-in main.cf parameters, declared once as data.
//
// Each ParamDef gives a parameter's name, its default value exactly as
// `postconf -d` prints it (unexpanded: "$myhostname" stays "$myhostname"),
// and its type, which postconf and the daemons use to validate values.
// Defaults that depend on the machine (myhostname, mydomain, mynetworks...)
// have kDynamic set and are computed once by DynamicDefault().
//
// Per-transport parameters (Postfix's "service_name_" parameters such as
// docomo_destination_concurrency_limit) are not in the table: they exist
// for every transport NAME defined in master.cf and default to
// "$default_<suffix>" — see TransportParamSuffixes() and
// TransportParamDefault().
//
// The table is Debian's Postfix 3.7 `postconf -d` (empty master.cf), with
// these deliberate differences (listed in params.cpp): directory defaults
// come from global/build_config.h; defaults that Postfix writes as
// compatibility_level conditionals (${{$compatibility_level} <level ...})
// hold their modern value, and compatibility_level defaults to "3.6".
//
// Usage:
//   const ParamDef* d = params::Find("myorigin");   // nullptr if unknown
//   for (const ParamDef& d : params::All()) ...      // sorted by name
#pragma once

#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace params {

enum class Type {
  kString,  // any text, possibly with $name references
  kInt,     // decimal integer (may have a min/max)
  kLong,    // a large integer (sizes in bytes)
  kTime,    // integer with optional unit s/m/h/d/w; `time_unit` is the default unit
  kBool,    // yes/no
};

enum Flags : unsigned {
  kNone = 0,
  kDynamic = 1u << 0,   // default computed at run time by DynamicDefault()
  kReadOnly = 1u << 1,  // set by the running program (process_id, process_name);
                        // a main.cf setting is not used (postconf -e still writes it)
};

// ParamDef::min value meaning "no lower bound" (negative values allowed).
inline constexpr long long kNoMin = std::numeric_limits<long long>::min();

struct ParamDef {
  std::string_view name;
  std::string_view default_value;  // as postconf -d prints it (ignored if kDynamic)
  Type type = Type::kString;
  char time_unit = 's';  // for kTime
  long long min = 0;     // for kInt/kLong/kTime: inclusive lower bound (kTime: in
                         // seconds); kNoMin = none
  long long max = 0;     // 0 = no upper bound (kTime: in seconds)
  unsigned flags = kNone;
};

// All built-in parameters, sorted by name.
std::span<const ParamDef> All();
// The definition of a built-in parameter, or nullptr.
const ParamDef* Find(std::string_view name);
// The default of a built-in parameter as postconf -d prints it (computing
// dynamic ones); nullopt if `name` is not built in.
std::optional<std::string> Default(std::string_view name);
// Machine-dependent defaults (myhostname, mydomain, mynetworks, mail_version,
// process_id, process_name); computed once per process except process_id.
// For any other name: its static default, or "" if not built in.
std::string DynamicDefault(std::string_view name);

// Postfix's derivations, for callers that know main.cf settings:
// myhostname from the system host name: "host" + "." + mydomain when the name
// has no dot (Postfix uses main.cf's mydomain there, else "localdomain").
std::string QualifyHostname(std::string_view host, std::string_view mydomain = "localdomain");
// mydomain from myhostname: everything after the first dot, or "localdomain"
// when there is no dot ("mail.example.com" -> "example.com").
std::string DomainOfHostname(std::string_view myhostname);
// mynetworks for a mynetworks_style ("host", "subnet" or "class",
// case-insensitive) from the addresses of all interfaces that are up, IPv4
// first ("127.0.0.1/32 192.0.2.2/32 [::1]/128 ..." for "host"); nullopt for
// an unknown style. Like Postfix with inet_interfaces = all.
std::optional<std::string> MynetworksForStyle(std::string_view style);

// compatibility_level (Postfix's COMPATIBILITY_README): the defaults in the
// table are those of level 3.6 and later; below a parameter's level its
// backwards-compatible default applies (append_dot_mydomain = yes below 1,
// relay_domains = $mydestination below 2, ...). nullopt: the table's
// default applies. A level is "N", "N.M" or "N.M.P"; a malformed one counts
// as the current level (the caller warns).
std::optional<std::string> CompatibilityDefault(std::string_view name, std::string_view level);
// The backwards-compatible defaults that differ from the table's at
// `level`, as (name, value) in Postfix's order.
std::vector<std::pair<std::string_view, std::string_view>> CompatibilityDefaults(
    std::string_view level);
// Whether `level` parses ("0", "1", "2", "3.6", "3.7.11").
bool ValidCompatibilityLevel(std::string_view level);

// Suffixes that form per-transport parameters, e.g.
// "_destination_concurrency_limit". For a master.cf transport NAME,
// NAME + suffix is a valid parameter whose default is
// TransportParamDefault(NAME + suffix).
// These are the 16 scheduling suffixes Postfix registers for delivery
// services (master.cf command local, error, virtual, smtp, lmtp or pipe).
std::span<const std::string_view> TransportParamSuffixes();
// The suffixes Postfix registers for a master.cf service running `program`:
// TransportParamSuffixes() plus "_time_limit" for pipe, only "_time_limit"
// for spawn, none for other programs.
std::span<const std::string_view> ServiceParamSuffixes(std::string_view program);
// If `name` is TRANSPORT + a known suffix (the longest that matches, so
// "foo_bar_destination_recipient_limit" is transport "foo_bar"; "_time_limit"
// counts too), returns the default as postconf -d prints it
// ("$default_destination_concurrency_limit", "$initial_destination_concurrency",
// "$command_time_limit", or the built-in default when the name is also a
// built-in parameter, e.g. local_destination_concurrency_limit = 2) and sets
// *transport; else nullopt. Whether TRANSPORT exists is the caller's check.
std::optional<std::string> TransportParamDefault(std::string_view name,
                                                 std::string* transport = nullptr);

// Checks a value against the parameter's type (after expansion); returns an
// error text in Postfix's words, or nullopt when the value is acceptable:
//   bad boolean configuration: NAME = VALUE          (kBool: yes/no, any case)
//   bad numerical configuration: NAME = VALUE        (kInt, kLong)
//   invalid NAME parameter value N < MIN  (or > MAX) (kInt, kLong)
//   parameter NAME: bad time value or unit: VALUE    (kTime)
//   invalid NAME: N (min MIN)  (or (max MAX))        (kTime, in seconds)
std::optional<std::string> CheckValue(const ParamDef& def, std::string_view expanded);

}  // namespace params
