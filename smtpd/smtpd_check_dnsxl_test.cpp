#include "smtpd/smtpd_check_dnsxl.h"

#include <gtest/gtest.h>

#include <map>

namespace smtpd_dnsxl {
namespace {

class TableDns : public util::dns::Resolver {
 public:
  std::map<std::string, std::vector<std::string>> a, txt;
  int lookups = 0;
  util::dns::Answer Lookup(std::string_view name, util::dns::Type type) override {
    lookups++;
    auto& table = type == util::dns::Type::kTxt ? txt : a;
    util::dns::Answer ans;
    auto it = table.find(std::string(name));
    ans.status = it == table.end() ? util::dns::Result::kNxDomain : util::dns::Result::kFound;
    if (it != table.end())
      for (const std::string& v : it->second) ans.records.push_back({std::string(name), v, 0, 1});
    return ans;
  }
};

Listing Listed(std::vector<std::string> addrs) {
  Listing l;
  l.status = Status::kListed;
  l.addresses = std::move(addrs);
  return l;
}

TEST(DnsxlTest, SpecsAndReplyPatterns) {
  Spec any = ParseSpec("zen.example");
  EXPECT_EQ(any.domain, "zen.example");
  EXPECT_TRUE(any.error.empty());
  EXPECT_TRUE(any.Matches(Listed({"127.0.0.9"})));
  EXPECT_FALSE(any.Matches(Listing{}));

  Spec exact = ParseSpec("zen.example=127.0.0.2");
  EXPECT_EQ(exact.domain, "zen.example");
  EXPECT_TRUE(exact.Matches(Listed({"127.0.0.4", "127.0.0.2"})));
  EXPECT_FALSE(exact.Matches(Listed({"127.0.0.3"})));

  Spec ranges = ParseSpec("zen.example=127.0.[0;2].[2..4;10..11]");
  EXPECT_TRUE(ranges.error.empty()) << ranges.error;
  EXPECT_TRUE(ranges.Matches(Listed({"127.0.2.11"})));
  EXPECT_TRUE(ranges.Matches(Listed({"127.0.0.3"})));
  EXPECT_FALSE(ranges.Matches(Listed({"127.0.1.3"})));
  EXPECT_FALSE(ranges.Matches(Listed({"127.0.0.5"})));

  for (const char* bad : {"x=127.0.0", "x=127.0.0.256", "x=127.0.0.[4..2]", "x=127.0.0.[]",
                          "x=127.0.0.2.1", "x=127.0.0.a", "x="}) {
    EXPECT_FALSE(ParseSpec(bad).error.empty()) << bad;
  }
}

TEST(DnsxlTest, QueryNames) {
  EXPECT_EQ(AddressQuery("192.0.2.1", "rbl.example"), "1.2.0.192.rbl.example");
  EXPECT_EQ(AddressQuery("2001:db8::1", "rbl.example"),
            "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.rbl.example");
  EXPECT_EQ(AddressQuery("not-an-address", "rbl.example"), "");

  EXPECT_EQ(DomainQuery("bad@Spam.Example", "dbl.example"), "Spam.Example.dbl.example");
  EXPECT_EQ(DomainQuery("host.example", "dbl.example"), "host.example.dbl.example");
  EXPECT_EQ(DomainQuery("a@b@c.example", "dbl.example"), "c.example.dbl.example");
  for (const char* skip : {"", "bob@", "bob@[192.0.2.1]", "192.0.2.1", "host.123", "bad_name!",
                           "caf\xc3\xa9.example", "a..b"}) {
    EXPECT_FALSE(DomainQuery(skip, "dbl.example")) << skip;
  }
}

TEST(DnsxlTest, ReasonsAreJoinedAndBounded) {
  TableDns dns;
  dns.a["q1"] = {"127.0.0.2"};
  dns.txt["q1"] = {"one", "two"};
  dns.a["q2"] = {"127.0.0.2"};
  dns.txt["q2"] = {std::string(400, 'a'), std::string(400, 'b'), "c"};
  Cache cache(dns);
  EXPECT_EQ(cache.Lookup("q1").txt, "one / two");
  const Listing& l = cache.Lookup("q2");
  EXPECT_EQ(l.txt.size(), 500u);
  EXPECT_EQ(l.txt.substr(398, 7), "aa / bb");
  EXPECT_EQ(cache.Lookup("nothing").status, Status::kNotListed);
}

TEST(DnsxlTest, CacheKeepsAtMostAHundredQueries) {
  TableDns dns;
  Cache cache(dns);
  for (int i = 0; i < 150; i++) cache.Lookup("q" + std::to_string(i));
  EXPECT_EQ(dns.lookups, 150);  // not listed: no TXT lookup
  cache.Lookup("q149");         // still cached
  EXPECT_EQ(dns.lookups, 150);
  cache.Lookup("q0");  // gone: looked up again
  EXPECT_EQ(dns.lookups, 151);
}

}  // namespace
}  // namespace smtpd_dnsxl
