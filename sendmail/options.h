// options: sendmail's command line, parsed as Postfix's sendmail(1) does.
//
// Options end at the first argument that is not an option or at "--"
// (Postfix never permutes arguments: `sendmail -- -user` is safe); the
// rest are recipients. Option letters that take a value accept it attached
// (-fsender) or as the next argument (-f sender).
//
// Recognized: -bm -bs -bp -bd -bl -bi -bv -bh -bH, -t, -i, -oi, -f/-r
// sender, -F name, -C/-c config (a directory or its main.cf), -G, -B
// 7BIT|8BITMIME, -N never|success,delay,failure, -R full|hdrs, -V envid,
// -XV (VERP: accepted, not supported, warned), -q, -qIid, -qRsite, -I, -v.
// Silently ignored, as in Postfix: -Am -Ac -h N -L label -m -n -O x=y -U
// -p protocol -o7 -o8 -om -oAfile -oX... -X logfile -qINTERVAL.
// The program name selects the initial mode: "mailq" is -bp, "newaliases"
// is -bi.
//
//   util::StatusOr<Options> o = ParseOptions(args);   // args[0] = argv[0]
//   Errors (kInvalidArgument, shown after "sendmail: fatal: ", EX_USAGE):
//     "invalid option -- 'z'", "option requires an argument -- 'f'",
//     "-B option needs 8BITMIME or 7BIT", "bad -N option value: X",
//     "-R option needs FULL or HDRS", "bad -V option value: X",
//     "unsupported: -bv", "-qS option is not implemented"
#pragma once

#include <string>
#include <vector>

#include "util/status.h"

namespace sendmail {

struct Options {
  enum class Mode { kEnqueue, kSmtp, kMailq, kFlush, kDaemon, kNewAliases };
  Mode mode = Mode::kEnqueue;
  std::string config_dir;    // -C/-c, "" = default
  bool have_sender = false;  // -f/-r given
  std::string sender;        // as given (external form)
  bool have_full_name = false;
  std::string full_name;                  // -F
  bool extract = false;                   // -t
  bool dot = true;                        // false with -i / -oi
  std::string rewrite_context = "local";  // "remote" with -G
  std::string encoding;                   // -B: "7bit" / "8bit"
  std::string dsn_envid;                  // -V
  std::string dsn_ret;                    // -R: "FULL" / "HDRS"
  int dsn_notify = 0;                     // -N: queue_file::DsnNotify bits
  bool verp = false;                      // -XV (warned about, not supported)
  std::string flush_id;                   // -qIid
  std::string flush_site;                 // -qRsite
  int verbose = 0;                        // -v
  std::vector<std::string> recipients;
};

util::StatusOr<Options> ParseOptions(const std::vector<std::string>& args);

}  // namespace sendmail
