// config: the main.cf parameter space of one process: built-in defaults
// (global/params), then main.cf, then overrides (master.cf `-o`, command
// line), with Postfix's lazy `$name` expansion.
//
//   auto cfg = Config::Load(ConfigDirectory(cli_dir));  // reads main.cf, master.cf names
//   if (!cfg.ok()) msg::Fatal("%s", cfg.status().message().c_str());
//   std::string origin = cfg->Get("myorigin");          // expanded value
//   long long limit = cfg->GetInt("message_size_limit");
//
// Expansion (postconf(5)): `$name`, `${name}`, `$(name)`; `${name?value}`
// gives value when name is non-empty; `${name:value}` gives value when name
// is empty or undefined; `${name?{value1}:{value2}}` chooses one; `$$` is a
// literal `$`. The value parts are themselves expanded. An undefined name
// expands to nothing (with a warning through the warning hook). A reference
// loop (`a = $b`, `b = $a`) or a malformed reference (`${b`) is an error.
//
// Values are kept raw and expanded on use, so a later Set() of a parameter
// changes everything that refers to it.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "global/master_cf.h"
#include "global/params_table.h"
#include "util/cf_file.h"
#include "util/status.h"

namespace config {

// The configuration directory every command uses: `cli_dir` (-c DIR / -C
// DIR) if not empty, else $MAIL_CONFIG, else the compiled-in default.
std::string ConfigDirectory(const std::string& cli_dir = {});

// The name a getter reads. Written as a literal (cfg.GetTime("smtpd_timeout"))
// it is checked when the program is compiled: a name that is not a
// built-in parameter (global/params_table.h), or a getter that does not fit
// the parameter's type (GetBool of a number), does not build. Names made
// at run time (per-transport parameters such as docomo_destination_
// concurrency_limit, parameters of main.cf-embedded tables, a user's
// $name) go through Dynamic() and are checked when read.
template <params::Type... kAllowed>
class ParamName {
 public:
  // Only a literal converts implicitly, and only to a known name.
  template <size_t N>
  consteval ParamName(const char (&name)[N]) : name_(name, N - 1) {
    const size_t i = params::table::FindIndex(name_);
    if (i >= std::size(params::table::kParams)) UnknownParameterName();
    const params::Type type = params::table::kParams[i].type;
    if (sizeof...(kAllowed) > 0 && ((type != kAllowed) && ...)) GetterDoesNotFitType();
  }
  static ParamName Dynamic(std::string_view name) { return ParamName(name, 0); }
  std::string_view name() const { return name_; }

 private:
  ParamName(std::string_view name, int) : name_(name) {}
  // Not constexpr: reaching one of these in the constructor above is the
  // compile-time error.
  static void UnknownParameterName() {}
  static void GetterDoesNotFitType() {}
  std::string_view name_;
};
using AnyParam = ParamName<>;
using IntParam = ParamName<params::Type::kInt, params::Type::kLong>;
using TimeParam = ParamName<params::Type::kTime>;
using BoolParam = ParamName<params::Type::kBool>;

class Config {
 public:
  Config();

  // Reads DIR/main.cf (a missing file is an error, as in Postfix) and
  // DIR/master.cf, whose service names make per-transport parameters known.
  // A missing or broken master.cf is not an error here: master_cf_status()
  // tells, for the programs that need master.cf. Warnings (overriding
  // earlier entry, ...) go to msg::Warn.
  static util::StatusOr<Config> Load(const std::string& config_dir);

  // Where warnings go (default: msg::Warn). postconf collects them.
  using WarningHook = std::function<void(const std::string&)>;
  void set_warning_hook(WarningHook hook) { warn_ = std::move(hook); }
  // Whether expanding an undefined $name warns (postconf does; daemons don't).
  void set_warn_undefined(bool on) { warn_undefined_ = on; }

  // Adds main.cf definitions (used by Load and by tests).
  void SetMainCf(util::CfFile cf);
  // Declares the master.cf services (name -> command) whose per-service
  // parameters exist: NAME_destination_concurrency_limit ... for delivery
  // agents (smtp, virtual, error, ...), as params::ServiceParamSuffixes says.
  void SetServices(std::multimap<std::string, std::string> name_to_command);
  // Overrides a parameter (master.cf -o, postconf's own settings).
  void Set(std::string_view name, std::string_view value);

  // The raw (unexpanded) value in effect: override, main.cf, then default.
  std::optional<std::string> Raw(std::string_view name) const;
  // The built-in default (postconf -d), including per-transport parameters.
  std::optional<std::string> Default(std::string_view name) const;
  bool IsBuiltin(std::string_view name) const;   // built-in or per-transport
  bool IsExplicit(std::string_view name) const;  // in main.cf or overridden

  // Declares the built-in parameters this process reads (its
  // param_usage::Declared list) and checks each declared value once, now:
  // a value that does not fit its type or range is an error naming the
  // file that set it ("/etc/postfix/main.cf: bad numerical configuration:
  // smtpd_timeout = 5x"). From then on a read of a built-in parameter that
  // is not declared is a programming error: a panic in builds with
  // MTA_STRICT_PARAMS (the one `make test` uses), else a warning, once.
  util::Status Declare(std::vector<std::string_view> names, std::string owner);

  // Expands `text`. Errors: a loop or a malformed reference
  // (kFailedPrecondition, naming the parameter chain).
  util::StatusOr<std::string> Expand(std::string_view text) const;
  // Expanded value of a parameter (undefined: empty); a broken
  // configuration is fatal, as for a Postfix daemon.
  std::string Get(AnyParam name) const;
  // Typed getters: expand, then validate against the type; a bad value is
  // fatal ("bad numerical configuration: NAME = VALUE").
  long long GetInt(IntParam name) const;
  long long GetTime(TimeParam name) const;  // seconds
  bool GetBool(BoolParam name) const;
  std::vector<std::string> GetList(AnyParam name) const;

  const util::CfFile& main_cf() const { return main_cf_; }
  const std::string& config_dir() const { return config_dir_; }
  const MasterCf& master_cf() const { return master_cf_; }
  const util::Status& master_cf_status() const { return master_cf_status_; }
  // Per-service parameter names of the declared services, sorted.
  std::vector<std::string> ServiceParameterNames() const;

  // Every parameter name in effect: built-in (including per-transport
  // parameters of known transports) plus user-defined names that are used.
  std::vector<std::string> AllNames() const;

  // main.cf definitions that nothing uses: not built in, not a transport
  // parameter, not referenced as $name by any value, not a parameter of a
  // main.cf-embedded table (mysql:name -> name_hosts ...), not a restriction
  // class. `extra_values` are further texts whose $names count as used
  // (master.cf -o values).
  std::vector<const util::CfEntry*> UnusedParameters(
      const std::vector<std::string>& extra_values = {}) const;

  // Names referenced as $name/${name}/$(name) in `text`.
  static std::set<std::string> References(std::string_view text);

 private:
  util::Status ExpandInto(std::string_view text, std::vector<std::string>* stack,
                          std::string* out) const;
  util::Status ExpandName(std::string_view name, std::vector<std::string>* stack,
                          std::string* out) const;

  void CheckDeclared(std::string_view name) const;
  std::string GetExpanded(std::string_view name) const;

  struct Declaration {
    std::vector<std::string_view> names;  // sorted
    std::string owner;
    std::set<std::string, std::less<>> warned;
  };
  std::shared_ptr<Declaration> declared_;
  std::string config_dir_;
  util::CfFile main_cf_;
  MasterCf master_cf_;
  util::Status master_cf_status_;
  std::map<std::string, std::string, std::less<>> overrides_;
  // GetExpanded's results, cleared by every setter: a daemon reads some
  // parameters per request (timeouts, service names), and expanding one
  // walks -o overrides, main.cf, compatibility defaults and $references.
  mutable std::map<std::string, std::string, std::less<>> expanded_;
  // master.cf service name -> command; "smtp" is both smtpd (inet) and smtp (unix).
  std::multimap<std::string, std::string, std::less<>> services_;
  WarningHook warn_;
  bool warn_undefined_ = false;
};

}  // namespace config
