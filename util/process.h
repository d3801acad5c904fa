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
// RaiseOpenLimit: qmgr holds each in-memory message's queue file open, so
// its in-memory limit depends on this (Deps::max_open_files).
//
// CleanEnvironment: keeps only the variables `import` names (NAME), sets
// the NAME=VALUE ones, drops everything else (LD_*, IFS, TZ games), as
// Postfix's clean_env().
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace util {

void OpenStandardFds();
void CleanEnvironment(const std::vector<std::string>& import);
// Raises the soft limit on open files to the hard one (Postfix's daemons do
// the same when their event loop starts); returns the soft limit now in
// force, SIZE_MAX when unlimited.
size_t RaiseOpenLimit();

}  // namespace util
