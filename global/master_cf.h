// master_cf: the master.cf file (master(5)), parsed into service entries.
//
// Each entry is one logical line (continuation lines begin with white
// space; `#` lines are comments) of 8 fields and the command's arguments:
//   service type private unpriv chroot wakeup maxproc command [args...]
// Fields keep their text ("-" means the default); the typed accessors apply
// Postfix's defaults. Arguments may be grouped with `{ ... }` so they can
// contain spaces; `-o name=value` and `-o { name = value }` become
// overrides, in order. Errors carry the file and line:
//   "/etc/postfix/master.cf, line 12: bad transport type: inet6".
//
//   std::vector<std::string> warnings;
//   auto m = MasterCf::Load(dir + "/master.cf", &warnings);
//   for (const MasterEntry& e : m->entries()) ... e.name, e.type, e.overrides
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/status.h"

namespace config {

struct MasterEntry {
  std::string name;  // service name: "smtp", "127.0.0.1:2525", "submission"
  std::string type;  // inet unix unix-dgram fifo pass
  std::string private_field = "-";
  std::string unpriv_field = "-";
  std::string chroot_field = "-";
  std::string wakeup_field = "-";
  std::string maxproc_field = "-";
  std::string command;            // program name, e.g. "smtpd"
  std::vector<std::string> args;  // arguments other than -o, braces removed
  std::vector<std::pair<std::string, std::string>> overrides;  // -o name=value
  std::vector<std::string> words;  // all arguments in order, normalized for -M
  int line = 0;

  // Typed fields with Postfix's defaults ('-': private yes, unpriv yes,
  // chroot no, wakeup 0, maxproc = default_process_limit).
  bool is_private() const { return private_field != "n"; }
  bool unprivileged() const { return unpriv_field != "n"; }
  bool chroot() const { return chroot_field == "y"; }
  // Wake-up interval in seconds (0: none); *only_if_used set for "N?".
  int wakeup(bool* only_if_used = nullptr) const;
  // Process limit; -1 means "-" (use default_process_limit), 0 unlimited.
  int maxproc() const;
  // "name/type", the key postconf -M and -P use.
  std::string key() const { return name + "/" + type; }
};

class MasterCf {
 public:
  static util::StatusOr<MasterCf> Parse(std::string_view text, const std::string& filename,
                                        std::vector<std::string>* warnings);
  static util::StatusOr<MasterCf> Load(const std::string& path, std::vector<std::string>* warnings);

  const std::vector<MasterEntry>& entries() const { return entries_; }
  const MasterEntry* Find(std::string_view name, std::string_view type) const;

 private:
  std::vector<MasterEntry> entries_;
};

// Splits a master.cf command line into words; a word may be `{ ... }`
// (kept with its braces). Returns an error for an unbalanced brace.
util::StatusOr<std::vector<std::string>> SplitMasterArgs(std::string_view text);

// Formats an entry as `postconf -M` does: fields at fixed columns, then the
// command, then the arguments in their order (overrides as "-o name=value",
// or "-o {name=value}" when the value has spaces).
std::string FormatMasterEntry(const MasterEntry& e);

}  // namespace config
