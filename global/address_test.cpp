#include "global/address.h"

#include <gtest/gtest.h>

namespace address {
namespace {

TEST(AddressTest, ParseAddressList) {
  struct {
    const char* in;
    std::vector<std::string> want;
  } rows[] = {
      {"bob@example.com", {"bob@example.com"}},
      {"Alice <alice@example.com>", {"alice@example.com"}},
      {"Alice <alice@example.com>, \"Bob, Jr.\" <bob@example.net>, carol@x (Carol)",
       {"alice@example.com", "bob@example.net", "carol@x"}},
      {"undisclosed-recipients:;", {}},
      {"friends: a@x, b@y;, c@z", {"a@x", "b@y", "c@z"}},
      {"\"john smith\"@example.com", {"john smith@example.com"}},
      {"<@relay.example:user@example.com>", {"user@example.com"}},
      {"(comment (nested)) user@example.com", {"user@example.com"}},
      {"user@[192.0.2.1]", {"user@[192.0.2.1]"}},
      {"first.last@example.com", {"first.last@example.com"}},
      {"\xe3\x81\xbb\xe3\x81\x92@example.jp", {"\xe3\x81\xbb\xe3\x81\x92@example.jp"}},
      {"", {}},
      {" , ,", {}},
      {"localuser", {"localuser"}},
      {"<>", {}},
  };
  for (const auto& r : rows) EXPECT_EQ(ParseAddressList(r.in), r.want) << r.in;
}

TEST(AddressTest, QuoteAndUnquote) {
  struct {
    const char* internal;
    const char* external;
  } rows[] = {
      {"bob@example.com", "bob@example.com"},
      {"john smith@example.com", "\"john smith\"@example.com"},
      {"a\"b@x", "\"a\\\"b\"@x"},
      {".start@x", "\".start\"@x"},
      {"a..b@x", "\"a..b\"@x"},
      {"user+ext@x", "user+ext@x"},
      {"", ""},
      {"\xe3\x81\xbb@example.jp", "\xe3\x81\xbb@example.jp"},
  };
  for (const auto& r : rows) {
    EXPECT_EQ(Quote(r.internal), r.external) << r.internal;
    EXPECT_EQ(Unquote(r.external), r.internal) << r.external;
  }
}

TEST(AddressTest, Split) {
  Parts p = Split("a@b@example.com");
  EXPECT_EQ(p.local, "a@b");
  EXPECT_EQ(p.domain, "example.com");
  EXPECT_TRUE(p.has_at);
  p = Split("postmaster");
  EXPECT_EQ(p.local, "postmaster");
  EXPECT_FALSE(p.has_at);
}

TEST(AddressTest, SplitHeader) {
  std::string_view n, v;
  ASSERT_TRUE(SplitHeader("To: a@b", &n, &v));
  EXPECT_EQ(n, "To");
  EXPECT_EQ(v, " a@b");
  ASSERT_TRUE(SplitHeader("X-Spam-Flag:YES", &n, &v));
  EXPECT_EQ(n, "X-Spam-Flag");
  EXPECT_FALSE(SplitHeader(": nothing", &n, &v));
  EXPECT_FALSE(SplitHeader("no colon here", &n, &v));
  EXPECT_FALSE(SplitHeader("bad name: x", &n, &v));
}

}  // namespace
}  // namespace address
