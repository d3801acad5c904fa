#include "global/config.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "global/build_config.h"
#include "global/master_cf.h"
#include "global/params.h"
#include "util/msg.h"
#include "util/strings.h"

namespace config {
namespace {

constexpr size_t kMaxNesting = 100;

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// Parameters of main.cf-embedded tables ("mysql:name" reads name_hosts ...).
// Every table type that has this form, with the suffixes it reads.
struct EmbeddedTable {
  std::string_view type;
  std::vector<std::string_view> suffixes;  // empty: any suffix
};

const std::vector<EmbeddedTable>& EmbeddedTables() {
  static const std::vector<EmbeddedTable> kTables = {
      {"mysql",
       {"hosts",
        "user",
        "password",
        "dbname",
        "query",
        "result_format",
        "domain",
        "expansion_limit",
        "select_field",
        "table",
        "where_field",
        "additional_conditions",
        "option_file",
        "option_group",
        "require_result_set",
        "tls_cert_file",
        "tls_key_file",
        "tls_CAfile",
        "tls_CApath",
        "tls_ciphers",
        "tls_verify_cert",
        "idle_interval",
        "retry_interval"}},
      {"pgsql", {}},
      {"ldap", {}},
      {"sqlite", {}},
      {"memcache", {}},
      {"mongodb", {}},
  };
  return kTables;
}

// Given "a ${b?{x}:{y}} c" at position of '{' or '(', finds the matching close.
size_t MatchingClose(std::string_view text, size_t open) {
  char o = text[open];
  char c = o == '{' ? '}' : ')';
  int depth = 0;
  for (size_t i = open; i < text.size(); ++i) {
    if (text[i] == o) ++depth;
    if (text[i] == c && --depth == 0) return i;
  }
  return std::string_view::npos;
}

// Parses "{text}" at the start of s (after blanks); sets *inner and returns
// the rest after the closing brace, or nullopt.
std::optional<std::string_view> ParseBraced(std::string_view s, std::string_view* inner) {
  s = util::TrimLeft(s);
  if (s.empty() || s.front() != '{') return std::nullopt;
  size_t close = MatchingClose(s, 0);
  if (close == std::string_view::npos) return std::nullopt;
  *inner = s.substr(1, close - 1);
  return s.substr(close + 1);
}

}  // namespace

std::string ConfigDirectory(const std::string& cli_dir) {
  if (!cli_dir.empty()) return cli_dir;
  if (const char* env = getenv("MAIL_CONFIG"); env && *env) return env;
  return MTA_CONFIG_DIR;
}

Config::Config() {
  warn_ = [](const std::string& text) { msg::Warn("%s", text.c_str()); };
}

util::StatusOr<Config> Config::Load(const std::string& config_dir) {
  Config cfg;
  cfg.config_dir_ = config_dir;
  std::vector<std::string> warnings;
  auto cf = util::CfFile::Load(config_dir + "/main.cf", &warnings);
  if (!cf.ok()) return cf.status();
  for (const std::string& w : warnings) cfg.warn_(w);
  warnings.clear();
  cfg.SetMainCf(std::move(cf).value());
  // Transport names for per-transport parameters. master.cf errors are
  // reported by the programs that use master.cf (master, postconf -M).
  auto master = MasterCf::Load(config_dir + "/master.cf", &warnings);
  if (master.ok()) {
    cfg.master_cf_ = std::move(master).value();
    std::multimap<std::string, std::string> services;
    for (const MasterEntry& e : cfg.master_cf_.entries()) services.emplace(e.name, e.command);
    cfg.SetServices(std::move(services));
  } else {
    cfg.master_cf_status_ = master.status();
  }
  if (config_dir != MTA_CONFIG_DIR && !cfg.main_cf_.Find("config_directory"))
    cfg.Set("config_directory", config_dir);
  return cfg;
}

void Config::SetMainCf(util::CfFile cf) {
  main_cf_ = std::move(cf);
  expanded_.clear();
}

void Config::SetServices(std::multimap<std::string, std::string> name_to_command) {
  expanded_.clear();
  services_.clear();
  services_.insert(name_to_command.begin(), name_to_command.end());
}

std::vector<std::string> Config::ServiceParameterNames() const {
  std::vector<std::string> names;
  for (const auto& [name, command] : services_) {
    for (std::string_view suffix : params::ServiceParamSuffixes(command))
      names.push_back(name + std::string(suffix));
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

void Config::Set(std::string_view name, std::string_view value) {
  overrides_[std::string(name)] = std::string(value);
  expanded_.clear();
}

std::optional<std::string> Config::Default(std::string_view name) const {
  if (name != "compatibility_level") {
    if (auto level = Raw("compatibility_level")) {
      if (auto old = params::CompatibilityDefault(name, *level)) return old;
    }
  }
  if (auto d = params::Default(name)) return d;
  std::string service;
  auto d = params::TransportParamDefault(name, &service);
  if (!d) return std::nullopt;
  auto [first, last] = services_.equal_range(service);
  for (auto it = first; it != last; ++it) {
    for (std::string_view suffix : params::ServiceParamSuffixes(it->second)) {
      if (name.size() == service.size() + suffix.size() && name.ends_with(suffix)) return d;
    }
  }
  return std::nullopt;
}

bool Config::IsBuiltin(std::string_view name) const { return Default(name).has_value(); }

bool Config::IsExplicit(std::string_view name) const {
  return overrides_.count(name) || main_cf_.Find(name);
}

std::optional<std::string> Config::Raw(std::string_view name) const {
  if (auto it = overrides_.find(name); it != overrides_.end()) return it->second;
  if (const util::CfEntry* e = main_cf_.Find(name)) return e->value;
  // Defaults Postfix derives from other settings at run time (postconf -d
  // shows the machine's values; postconf shows these).
  if (name == "mydomain" && IsExplicit("myhostname")) {
    auto host = Raw("myhostname");
    if (host && !References(*host).count("mydomain")) {
      auto expanded = Expand(*host);
      if (expanded.ok()) return params::DomainOfHostname(*expanded);
    }
  }
  if (name == "mynetworks" && (IsExplicit("mynetworks_style") ||
                               Raw("mynetworks_style") != params::Default("mynetworks_style"))) {
    auto style = Expand(*Raw("mynetworks_style"));
    if (style.ok()) {
      if (auto nets = params::MynetworksForStyle(*style)) return nets;
    }
  }
  return Default(name);
}

util::StatusOr<std::string> Config::Expand(std::string_view text) const {
  std::vector<std::string> stack;
  std::string out;
  util::Status s = ExpandInto(text, &stack, &out);
  if (!s.ok()) return s;
  return out;
}

util::Status Config::ExpandName(std::string_view name, std::vector<std::string>* stack,
                                std::string* out) const {
  if (std::find(stack->begin(), stack->end(), name) != stack->end()) {
    std::string chain;
    for (const std::string& n : *stack) chain += "$" + n + " -> ";
    chain += "$" + std::string(name);
    return util::FailedPrecondition("parameter reference loop: " + chain);
  }
  if (stack->size() >= kMaxNesting)
    return util::FailedPrecondition("unreasonable macro call nesting: \"" + std::string(name) +
                                    "\"");
  auto raw = Raw(name);
  if (!raw) {
    if (warn_undefined_) warn_("undefined parameter: " + std::string(name));
    return util::OkStatus();
  }
  stack->emplace_back(name);
  util::Status s = ExpandInto(*raw, stack, out);
  stack->pop_back();
  return s;
}

util::Status Config::ExpandInto(std::string_view text, std::vector<std::string>* stack,
                                std::string* out) const {
  size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (c != '$' || i + 1 >= text.size()) {
      *out += c;
      ++i;
      continue;
    }
    char n = text[i + 1];
    if (n == '$') {
      *out += '$';
      i += 2;
      continue;
    }
    if (IsNameChar(n)) {
      size_t end = i + 1;
      while (end < text.size() && IsNameChar(text[end])) ++end;
      util::Status s = ExpandName(text.substr(i + 1, end - i - 1), stack, out);
      if (!s.ok()) return s;
      i = end;
      continue;
    }
    if (n != '{' && n != '(') {
      *out += c;
      ++i;
      continue;
    }
    size_t close = MatchingClose(text, i + 1);
    if (close == std::string_view::npos)
      return util::FailedPrecondition("truncated macro reference: \"" +
                                      std::string(text.substr(i)) + "\"");
    std::string_view inner = text.substr(i + 2, close - i - 2);
    i = close + 1;
    size_t name_end = 0;
    while (name_end < inner.size() && IsNameChar(inner[name_end])) ++name_end;
    std::string_view name = inner.substr(0, name_end);
    std::string_view rest = inner.substr(name_end);
    if (name.empty())
      return util::FailedPrecondition("bad macro name syntax: \"" + std::string(inner) + "\"");
    if (rest.empty()) {
      util::Status s = ExpandName(name, stack, out);
      if (!s.ok()) return s;
      continue;
    }
    char op = rest.front();
    if (op != '?' && op != ':')
      return util::FailedPrecondition("bad macro syntax: \"" + std::string(inner) + "\"");
    rest.remove_prefix(1);
    auto raw = Raw(name);
    bool non_empty = raw && !raw->empty();
    std::string_view when_true, when_false;
    bool have_false = false;
    std::string_view braced;
    if (auto after = ParseBraced(rest, &braced)) {
      // ${name?{a}:{b}} or ${name?{a}} or ${name:{b}}
      std::string_view tail = util::TrimLeft(*after);
      if (op == '?') {
        when_true = braced;
        if (!tail.empty()) {
          std::string_view second;
          auto end = tail.front() == ':' ? ParseBraced(tail.substr(1), &second) : std::nullopt;
          if (!end || !util::Trim(*end).empty())
            return util::FailedPrecondition("bad macro syntax: \"" + std::string(inner) + "\"");
          when_false = second;
          have_false = true;
        }
      } else {
        if (!tail.empty())
          return util::FailedPrecondition("bad macro syntax: \"" + std::string(inner) + "\"");
        when_false = braced;
        have_false = true;
      }
    } else if (op == '?') {
      when_true = rest;
    } else {
      when_false = rest;
      have_false = true;
    }
    std::string_view chosen;
    if (op == '?' && non_empty) {
      chosen = when_true;
    } else if (!non_empty && have_false) {
      chosen = when_false;
    } else if (op == ':' || !non_empty) {
      continue;
    }
    util::Status s = ExpandInto(chosen, stack, out);
    if (!s.ok()) return s;
  }
  return util::OkStatus();
}

util::Status Config::Declare(std::vector<std::string_view> names, std::string owner) {
  std::sort(names.begin(), names.end());
  auto d = std::make_shared<Declaration>();
  d->names = std::move(names);
  d->owner = std::move(owner);
  for (std::string_view name : d->names) {
    const params::ParamDef* def = params::Find(name);
    if (def == nullptr) {
      return util::FailedPrecondition(d->owner +
                                      " declares an unknown parameter: " + std::string(name));
    }
    auto raw = Raw(name);
    if (!raw) continue;
    std::vector<std::string> stack{std::string(name)};
    std::string value;
    util::Status s = ExpandInto(*raw, &stack, &value);
    std::optional<std::string> err;
    if (!s.ok()) {
      err = std::string(name) + ": " + s.message();
    } else {
      err = params::CheckValue(*def, value);
    }
    if (!err) continue;
    std::string where = overrides_.count(name)           ? "-o " + std::string(name)
                        : main_cf_.Find(name) != nullptr ? config_dir_ + "/main.cf"
                                                         : "default";
    return util::FailedPrecondition(where + ": " + *err);
  }
  declared_ = std::move(d);
  return util::OkStatus();
}

void Config::CheckDeclared(std::string_view name) const {
  if (!declared_ || std::binary_search(declared_->names.begin(), declared_->names.end(), name))
    return;
  if (params::Find(name) == nullptr) return;  // user-defined names are not declared
#ifdef MTA_STRICT_PARAMS
  msg::Panic("%s reads parameter %.*s, which it does not declare (global/param_usage.cpp)",
             declared_->owner.c_str(), static_cast<int>(name.size()), name.data());
#else
  if (declared_->warned.emplace(name).second)
    msg::Warn("internal: %s reads parameter %.*s, which it does not declare",
              declared_->owner.c_str(), static_cast<int>(name.size()), name.data());
#endif
}

std::string Config::Get(AnyParam param) const { return GetExpanded(param.name()); }

std::string Config::GetExpanded(std::string_view name) const {
  CheckDeclared(name);
  if (auto it = expanded_.find(name); it != expanded_.end()) return it->second;
  auto raw = Raw(name);
  if (!raw) return {};
  std::vector<std::string> stack{std::string(name)};
  std::string out;
  util::Status s = ExpandInto(*raw, &stack, &out);
  if (!s.ok()) msg::Fatal("%s: %s", std::string(name).c_str(), s.message().c_str());
  expanded_.emplace(std::string(name), out);
  return out;
}

namespace {

[[noreturn]] void BadValue(const char* what, std::string_view name, const std::string& value) {
  msg::Fatal("bad %s configuration: %s = %s", what, std::string(name).c_str(), value.c_str());
}

}  // namespace

long long Config::GetInt(IntParam param) const {
  std::string_view name = param.name();
  std::string v = GetExpanded(name);
  const params::ParamDef* def = params::Find(name);
  if (def) {
    if (auto err = params::CheckValue(*def, v)) msg::Fatal("%s", err->c_str());
  }
  auto n = util::ParseInt(v);
  if (!n) BadValue("numerical", name, v);
  return *n;
}

long long Config::GetTime(TimeParam param) const {
  std::string_view name = param.name();
  std::string v = GetExpanded(name);
  const params::ParamDef* def = params::Find(name);
  char unit = def ? def->time_unit : 's';
  if (def) {
    if (auto err = params::CheckValue(*def, v)) msg::Fatal("%s", err->c_str());
  }
  auto n = util::ParseTime(v, unit);
  if (!n) BadValue("time", name, v);
  return *n;
}

bool Config::GetBool(BoolParam param) const {
  std::string_view name = param.name();
  std::string v = GetExpanded(name);
  auto b = util::ParseBool(v);
  if (!b) BadValue("boolean", name, v);
  return *b;
}

std::vector<std::string> Config::GetList(AnyParam param) const {
  return util::SplitList(GetExpanded(param.name()));
}

std::set<std::string> Config::References(std::string_view text) {
  std::set<std::string> names;
  for (size_t i = 0; i + 1 < text.size(); ++i) {
    if (text[i] != '$') continue;
    char n = text[i + 1];
    if (n == '$') {
      ++i;
      continue;
    }
    size_t start = (n == '{' || n == '(') ? i + 2 : i + 1;
    size_t end = start;
    while (end < text.size() && IsNameChar(text[end])) ++end;
    if (end > start) names.emplace(text.substr(start, end - start));
  }
  return names;
}

std::vector<const util::CfEntry*> Config::UnusedParameters(
    const std::vector<std::string>& extra_values) const {
  std::set<std::string> used;
  std::vector<std::string_view> texts;
  for (const util::CfEntry& e : main_cf_.entries()) texts.push_back(e.value);
  for (const auto& [name, value] : overrides_) texts.push_back(value);
  for (const std::string& v : extra_values) texts.push_back(v);
  for (std::string_view t : texts) {
    for (const std::string& n : References(t)) used.insert(n);
    // "mysql:name" and "proxy:mysql:name" make name_* parameters used.
    for (const std::string& word : util::SplitAny(t, ", \t\r\n")) {
      auto parts = util::Split(word, ':');
      for (size_t k = 0; k + 1 < parts.size(); ++k) {
        for (const EmbeddedTable& et : EmbeddedTables()) {
          if (parts[k] != et.type || parts[k + 1].empty() || parts[k + 1][0] == '/') continue;
          const std::string& prefix = parts[k + 1];
          for (const util::CfEntry& e : main_cf_.entries()) {
            if (e.name.size() <= prefix.size() + 1 || e.name.compare(0, prefix.size(), prefix) ||
                e.name[prefix.size()] != '_')
              continue;
            std::string_view suffix = std::string_view(e.name).substr(prefix.size() + 1);
            if (et.suffixes.empty() ||
                std::find(et.suffixes.begin(), et.suffixes.end(), suffix) != et.suffixes.end())
              used.insert(e.name);
          }
        }
      }
    }
  }
  // Restriction classes named in smtpd_restriction_classes are parameters.
  if (auto classes = Raw("smtpd_restriction_classes")) {
    for (const std::string& n : util::SplitList(*classes)) used.insert(n);
  }
  std::vector<const util::CfEntry*> unused;
  for (const util::CfEntry& e : main_cf_.entries()) {
    if (!IsBuiltin(e.name) && !used.count(e.name)) unused.push_back(&e);
  }
  return unused;
}

std::vector<std::string> Config::AllNames() const {
  std::set<std::string> names;
  for (const params::ParamDef& d : params::All()) names.emplace(d.name);
  for (const std::string& n : ServiceParameterNames()) names.insert(n);
  std::set<const util::CfEntry*> unused;
  for (const util::CfEntry* e : UnusedParameters()) unused.insert(e);
  for (const util::CfEntry& e : main_cf_.entries()) {
    if (!unused.count(&e)) names.insert(e.name);
  }
  for (const auto& [name, value] : overrides_) names.insert(name);
  return {names.begin(), names.end()};
}

}  // namespace config
