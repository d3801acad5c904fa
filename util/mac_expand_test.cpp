#include "util/mac_expand.h"

#include <gtest/gtest.h>

namespace util {
namespace {

std::optional<std::string> Vars(std::string_view n) {
  if (n == "home") return "/srv/u/bob";
  if (n == "user") return "bob";
  if (n == "extension") return "lists";
  if (n == "recipient_delimiter") return "+";
  if (n == "domain" || n == "nosuch_but_empty") return "";
  if (n == "txt") return "bad\r\nRCPT TO:<x>\x01";
  return std::nullopt;
}

TEST(MacExpandTest, NamesAndConditionals) {
  EXPECT_EQ(MacExpand("$home/.forward${recipient_delimiter}${extension}", Vars),
            "/srv/u/bob/.forward+lists");
  EXPECT_EQ(MacExpand("${extension?x-$user}${domain:none}$(user)", Vars), "x-bobnonebob");
  EXPECT_EQ(MacExpand("${domain?never}$nosuch_but_empty.", Vars), ".");
  EXPECT_EQ(MacExpand("cost $$5, $ alone, $", Vars), "cost $5, $ alone, $");
}

TEST(MacExpandTest, UnknownNamesAreReported) {
  std::string unknown;
  EXPECT_EQ(MacExpand("a${nosuch}b$user", Vars, std::nullopt, &unknown), "abbob");
  EXPECT_EQ(unknown, "nosuch");
}

TEST(MacExpandTest, FilterReplacesValueCharactersNotTheTemplate) {
  std::string printable;
  for (char c = ' '; c <= '~'; c++) printable += c;
  EXPECT_EQ(MacExpand("x\ty; $txt", Vars, printable), "x\ty; bad__RCPT TO:<x>_");
}

}  // namespace
}  // namespace util
