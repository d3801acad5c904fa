#include "util/valid_hostname.h"

#include <gtest/gtest.h>

#include <string>

namespace util {
namespace {

TEST(ValidHostnameTest, PostfixRules) {
  struct {
    std::string name;
    bool ascii, utf8;
  } rows[] = {
      {"mail.example.com", true, true},
      {"localhost", true, true},
      {"under_score.example", true, true},  // Postfix allows '_'
      {"-x.example", false, false},
      {"x-.example", false, false},
      {"a..b", false, false},
      {".example", false, false},
      {"example.", false, false},  // callers strip one trailing dot first
      {"123.456", false, false},   // all numeric
      {"1x.example", true, true},
      {"bad_name!", false, false},
      {"sp ace.example", false, false},
      {std::string(63, 'a') + ".example", true, true},
      {std::string(64, 'a') + ".example", false, false},
      {std::string(260, 'a').insert(60, ".").insert(120, ".").insert(180, ".").insert(240, "."),
       false, false},                                // over 255 bytes
      {"\xe4\xbe\x8b\xe3\x81\x88.jp", false, true},  // UTF-8 labels only with SMTPUTF8
      {"\xff\xfe.jp", false, false},                 // not UTF-8 at all
      {"", false, false},
  };
  for (const auto& r : rows) {
    EXPECT_EQ(ValidHostname(r.name, false), r.ascii) << r.name;
    EXPECT_EQ(ValidHostname(r.name, true), r.utf8) << r.name;
  }
}

}  // namespace
}  // namespace util
