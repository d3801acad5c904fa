// mailbox_testing: helpers for unit tests of mailbox delivery (global/
// mailbox_test.cpp and the agents' tests; header-only, tests only): a
// Message with fixed envelope and content lines, a file's bytes, and the
// names in a directory.
//
//   mailbox::Result r = mailbox::DeliverMaildir(mailbox::testing::Make({"Subject: x", "", "b"}),
//                                               dir, {});
//   EXPECT_EQ(mailbox::testing::List(dir + "/new").size(), 1u);
#pragma once

#include <dirent.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "global/mailbox_result.h"

namespace mailbox::testing {

inline Message Make(std::vector<std::string> lines, std::string rcpt = "bob@example.jp") {
  Message m;
  m.sender = "alice@example.com";
  m.recipient = rcpt;
  m.original = rcpt;
  m.now = 1700000000;
  m.content = [lines](const LineFn& fn) {
    for (const std::string& l : lines) fn(l);
    return util::OkStatus();
  };
  return m;
}

inline std::string Read(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

inline std::vector<std::string> List(const std::string& dir) {
  std::vector<std::string> out;
  if (DIR* d = opendir(dir.c_str())) {
    while (struct dirent* e = readdir(d))
      if (e->d_name[0] != '.') out.push_back(e->d_name);
    closedir(d);
  }
  return out;
}

}  // namespace mailbox::testing
