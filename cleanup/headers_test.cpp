#include "cleanup/headers.h"

#include <gtest/gtest.h>

#include <cstdlib>

namespace cleanup {
namespace {

TEST(FindHeaderTest, Classes) {
  struct Row {
    const char* name;
    HeaderId id;
    unsigned flags;
  } rows[] = {
      {"To", HeaderId::kTo, kHdrRecipient | kHdrExtract},
      {"cc", HeaderId::kCc, kHdrRecipient | kHdrExtract},
      {"BCC", HeaderId::kBcc, kHdrRecipient | kHdrExtract},
      {"From", HeaderId::kFrom, kHdrSender},
      {"reply-to", HeaderId::kOther, kHdrSender},
      {"Resent-To", HeaderId::kResentTo, kHdrRecipient | kHdrExtract | kHdrResent},
      {"Resent-From", HeaderId::kResentFrom, kHdrSender | kHdrResent},
      {"Resent-X-Whatever", HeaderId::kOther, kHdrResent},
      {"Message-ID", HeaderId::kMessageId, 0},
      {"Subject", HeaderId::kOther, 0},
  };
  for (const Row& r : rows) {
    HeaderInfo h = FindHeader(r.name);
    EXPECT_EQ(h.id, r.id) << r.name;
    EXPECT_EQ(h.flags, r.flags) << r.name;
  }
}

std::string Upper(const std::string& a) {
  std::string out = a;
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

TEST(RewriteAddressesTest, KeepsEverythingButTheAddresses) {
  struct Row {
    const char* name;
    const char* in;
    const char* want;
  } rows[] = {
      {"bare", " bob@x", " BOB@X"},
      {"display name", " Bob Smith <bob@x>", " Bob Smith <BOB@X>"},
      {"quoted name with comma", " \"Smith, Bob\" <bob@x>, carol@y",
       " \"Smith, Bob\" <BOB@X>, CAROL@Y"},
      {"comment after", " carol@y (Carol)", " CAROL@Y (Carol)"},
      {"comment with at", " carol@y (c@z, x)", " CAROL@Y (c@z, x)"},
      {"group", " friends: a@x, b@y;, c@z", " friends: A@X, B@Y;, C@Z"},
      {"empty group", " undisclosed-recipients:;", " undisclosed-recipients:;"},
      {"null address", " <>", " <>"},
      {"folded", " a@x,\n\tb@y", " A@X,\n\tB@Y"},
      {"bare user", " alice", " ALICE"},
  };
  for (const Row& r : rows) {
    EXPECT_EQ(RewriteAddresses(r.in, Upper), r.want) << r.name;
  }
}

TEST(RewriteAddressesTest, QuotesLocalPartsAndAppends) {
  auto add = [](const std::string& a) {
    return a.find('@') == std::string::npos ? a + "@example.com" : a;
  };
  EXPECT_EQ(RewriteAddresses(" Bob <bob>, \"john smith\"", add),
            " Bob <bob@example.com>, \"john smith\"@example.com");
  // Unchanged addresses keep their exact spelling.
  EXPECT_EQ(RewriteAddresses(" <\"x\"@y>", add), " <\"x\"@y>");
}

TEST(MessageIdTest, Format) {
  EXPECT_EQ(MessageIdText(1700000000, "3F2A1B", "mail.example"),
            "20231114221320.3F2A1B@mail.example");
}

TEST(FromHeaderValueTest, Formats) {
  struct Row {
    const char* addr;
    const char* name;
    bool obsolete;
    const char* want;
  } rows[] = {
      {"a@x", "", false, "a@x"},
      {"a@x", "Alice Doe", false, "Alice Doe <a@x>"},
      {"a@x", "Doe, Alice", false, "\"Doe, Alice\" <a@x>"},
      {"a@x", "Al \"the\" D", false, "\"Al \\\"the\\\" D\" <a@x>"},
      {"a@x", "Alice Doe", true, "a@x (Alice Doe)"},
      {"a@x", "A (x)", true, "a@x (A \\(x\\))"},
  };
  for (const Row& r : rows) EXPECT_EQ(FromHeaderValue(r.addr, r.name, r.obsolete), r.want);
}

TEST(SplitLinesTest, Lines) {
  EXPECT_EQ(SplitLines("a"), std::vector<std::string>({"a"}));
  EXPECT_EQ(SplitLines("a\n b\n\tc"), std::vector<std::string>({"a", " b", "\tc"}));
}

}  // namespace
}  // namespace cleanup
