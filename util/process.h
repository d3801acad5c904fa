// process: what a program does to its own process before it trusts it,
// as Postfix's set-gid commands and master do at start-up.
//
//   util::OpenStandardFds();                 // first thing in main()
//   ... read main.cf ...
//   util::CleanEnvironment(cfg.GetList("import_environment"));
//
// OpenStandardFds: a program started with descriptor 0, 1 or 2 closed
// would otherwise open its queue file or a socket there, and the next
// "write to stderr" would land in it. Each closed one is opened on
// /dev/null; failing that the process exits (EX_OSERR).
//
// CleanEnvironment: keeps only the variables `import` names (NAME), sets
// the NAME=VALUE ones, drops everything else (LD_*, IFS, TZ games), as
// Postfix's clean_env().
#pragma once

#include <string>
#include <vector>

namespace util {

void OpenStandardFds();
void CleanEnvironment(const std::vector<std::string>& import);

}  // namespace util
