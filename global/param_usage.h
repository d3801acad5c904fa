// param_usage: which main.cf parameters this mail system implements, which
// it does not, and which settings it must refuse rather than ignore.
//
// DECLARATIONS. Every program declares the parameters it reads: its own
// list plus the lists of the shared modules it uses (the tables layer,
// maps, logging, the daemon skeleton, ...), all in param_usage.cpp. The
// lists live here, below the programs, because postconf, `postfix check`
// and master need the union of them all. Types, defaults and ranges come
// from the one parameter table (global/params.h), so a declaration is a
// name; a name that is not in the table fails the unit test
// (param_usage_test.cpp), as does a table entry that is neither declared by
// some program nor in Unimplemented() (so that list only shrinks honestly).
// config::Config::Declare() makes a process check its reads against its
// declaration (with MTA_STRICT_PARAMS, the build `make test` uses, an
// undeclared read of a built-in parameter is a panic; otherwise a warning).
//
// UNIMPLEMENTED. A parameter Postfix has and this system does not is
// warned about wherever it is set (main.cf, master.cf -o): postconf,
// `postfix check`, master at start and reload, and each daemon for its own
// -o settings:
//   warning: /etc/postfix/main.cf: parameter smtpd_milters is not
//   implemented by this mail system; its setting is ignored
// A few settings say what this system does anyway (biff = no,
// smtp_tls_security_level = none, ...): those are honoured, not warned
// about. Parameters that only describe a Postfix installation
// (html_directory, sendmail_path, ...) have no run-time effect in Postfix
// either and are accepted silently.
//
// FAIL CLOSED. Where ignoring a setting would lower security or lose mail
// (TLS or SASL asked for, a milter, a before-queue content filter)
// Refusal() says why the affected program must not serve: smtpd and
// cleanup refuse to start (master logs it and throttles only that
// service), the smtp client defers each delivery with the reason.
//
//   for (const std::string& w : param_usage::UnimplementedSettings(cfg, true)) msg::Warn(...);
//   if (auto why = param_usage::Refusal(cfg, "smtpd")) msg::Fatal("%s", why->c_str());
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "global/config.h"

namespace param_usage {

struct Program {
  std::string_view name;                                       // argv[0] basename
  std::span<const std::string_view> params;                    // its own reads
  std::span<const std::span<const std::string_view>> modules;  // modules it uses
  // Another program whose whole declaration this one reads too (lmtp is
  // the smtp program under another name); "" for none.
  std::string_view reads_as = {};
};

// Every program of the system, sorted by name.
std::span<const Program> Programs();
// The declaration of `program` ("mailq" is sendmail), or nullptr.
const Program* FindProgram(std::string_view program);
// Every name `program` declares (own and modules'), sorted, no duplicates.
std::vector<std::string_view> Declared(std::string_view program);

// Declared by some program.
bool Implemented(std::string_view name);
// Built-in parameters no program implements, sorted.
std::span<const std::string_view> Unimplemented();
bool IsUnimplemented(std::string_view name);
// Parameters that only describe a Postfix installation (no run-time effect).
bool InstallationOnly(std::string_view name);
// An unimplemented parameter whose value `expanded` is what this system
// does anyway (biff = no, smtp_use_tls = no, ...).
bool HonouredAs(std::string_view name, std::string_view expanded);

// The warnings for settings of unimplemented parameters in main.cf and, if
// `master_cf`, in master.cf -o options (each "FILE: parameter NAME is not
// implemented by this mail system; its setting is ignored").
std::vector<std::string> UnimplementedSettings(const config::Config& cfg, bool master_cf);
// The same for the overrides of one process (a daemon's -o NAME=VALUE).
std::vector<std::string> UnimplementedOverrides(const config::Config& cfg,
                                                const std::vector<std::string>& names);

// Whether master.cf entry `e` asks for a chroot jail: "y", or "-" below
// compatibility_level 1 (where Postfix's default was y).
bool ChrootWanted(const config::Config& cfg, const config::MasterEntry& e);
// Log lines for master's start and reload: "using backwards-compatible
// default setting NAME=VALUE" for each compatibility_level default in
// effect (not set explicitly), and a warning for a malformed level.
std::vector<std::string> CompatibilityNotes(const config::Config& cfg,
                                            std::vector<std::string>* warnings);

// Why `program` ("smtpd", "cleanup") must not start with the settings in
// effect, or nullopt.
std::optional<std::string> Refusal(const config::Config& cfg, std::string_view program);
// Why the smtp client ("smtp", or "lmtp" for its lmtp_* settings) must not
// deliver with the settings in effect (each delivery is deferred with this
// reason), or nullopt.
std::optional<std::string> ClientRefusal(const config::Config& cfg,
                                         std::string_view program = "smtp");

}  // namespace param_usage
