#include "cleanup/address_map.h"

#include <gtest/gtest.h>

namespace cleanup {
namespace {

maps::Maps MustOpen(const std::string& title, const std::string& list) {
  if (list.empty()) return maps::Maps();
  auto m = maps::Maps::Open(title, list, tables::OpenOptions{});
  EXPECT_TRUE(m.ok()) << m.status().message();
  return m.ok() ? *m : maps::Maps();
}

struct Tables {
  std::string canonical;
  std::string sender;
  std::string recipient;
  std::string alias;
};

AddressMapper Mapper(const Tables& t, AddressMapper::Options o = {}) {
  o.rules.myorigin = "origin.example";
  o.rules.mydomain = "origin.example";
  o.find.steps = maps::kCanonicalSteps;
  o.find.delimiters = "+";
  o.find.is_local = [](std::string_view d) {
    return d == "origin.example" || d == "local.example";
  };
  return AddressMapper(
      o, MustOpen("canonical_maps", t.canonical), MustOpen("sender_canonical_maps", t.sender),
      MustOpen("recipient_canonical_maps", t.recipient), MustOpen("virtual_alias_maps", t.alias));
}

class AddressMapTest : public ::testing::Test {
 public:
  AddressMapTest() { maps::SetChangeCheckInterval(std::chrono::milliseconds(0)); }
  ~AddressMapTest() override { maps::ClearTableCache(); }
};

// The alias cases of examples/virtual-hash, and the limits.
TEST_F(AddressMapTest, ExpandAliases) {
  const std::string example =
      "inline:{ALIASE.mitty.jp=accept, webmaster@ALIASE.mitty.jp=USER1@SOMEHOST.mitty.jp, "
      "admin@ALIASE.mitty.jp=mitty@SOMEHOST.mitty.jp, "
      "{noppi@SOMEHOST.mitty.jp = noppi@SOMEHOST.mitty.jp, keitai@example.ne.jp}, "
      "@ALIASE.example.jp=@ALIASE.mitty.jp}";
  struct Row {
    const char* name;
    std::string table;
    const char* address;
    std::vector<std::string> want;
    int status = 0;
    const char* dsn = "";
    long long recursion_limit = 1000;
    long long expansion_limit = 1000;
  } rows[] = {
      {"not found", example, "nobody@example.com", {"nobody@example.com"}},
      {"one target", example, "webmaster@aliase.mitty.jp", {"USER1@SOMEHOST.mitty.jp"}},
      {"copy kept, no loop",
       example,
       "noppi@SOMEHOST.mitty.jp",
       {"noppi@SOMEHOST.mitty.jp", "keitai@example.ne.jp"}},
      {"domain-wide alias, then the user's alias",
       example,
       "webmaster@ALIASE.example.jp",
       {"USER1@SOMEHOST.mitty.jp"}},
      {"domain-wide alias, no further alias",
       example,
       "joe@aliase.example.jp",
       {"joe@ALIASE.mitty.jp"}},
      {"loop", "inline:{a@x=b@x, b@x=a@x}", "a@x", {}, 4, "4.6.0"},
      {"nesting limit", "inline:{a@x=b@x, b@x=c@x, c@x=d@x}", "a@x", {}, 4, "4.6.0", 2},
      {"nesting within limit", "inline:{a@x=b@x, b@x=c@x}", "a@x", {"c@x"}, 0, "", 3},
      {"expansion limit", "inline:{{a@x=b@x,c@x,d@x}}", "a@x", {}, 4, "4.6.0", 1000, 2},
      {"table failure", "fail:broken", "a@x", {}, 4, "4.3.0"},
      {"static", "static:all@example.net", "a@x", {"all@example.net"}},
      {"bare user gets myorigin", "inline:{a@x=bob}", "a@x", {"bob@origin.example"}},
      {"extension propagated", "inline:{a@x=b@y}", "a+news@x", {"b+news@y"}},
      {"extension matched", "inline:{a+news@x=n@y, a@x=b@y}", "a+news@x", {"n@y"}},
      {"user form for local domains", "inline:{alice=al@y}", "alice@local.example", {"al@y"}},
      {"no user form for remote domains",
       "inline:{alice=al@y}",
       "alice@remote.example",
       {"alice@remote.example"}},
      {"catch-all to one address", "inline:{@x=all@y}", "whoever@x", {"all@y"}},
  };
  for (const Row& r : rows) {
    AddressMapper::Options o;
    o.recursion_limit = r.recursion_limit;
    o.expansion_limit = r.expansion_limit;
    AddressMapper m = Mapper({"", "", "", r.table}, o);
    std::vector<std::string> got;
    Verdict v = m.ExpandAliases(r.address, &got, "TESTID");
    EXPECT_EQ(v.status, r.status) << r.name;
    EXPECT_EQ(v.dsn, r.dsn) << r.name;
    if (r.status == 0) {
      EXPECT_EQ(got, r.want) << r.name;
    }
    maps::ClearTableCache();
  }
}

TEST_F(AddressMapTest, Canonical) {
  struct Row {
    const char* name;
    Tables tables;
    unsigned cls;
    const char* address;
    const char* want;
    int status = 0;
    const char* dsn = "";
    unsigned canonical_classes = 0xf;
  } rows[] = {
      {"sender map for a sender",
       {"", "inline:{alice@x=Alice.Smith@x}", "", ""},
       kClassEnvelopeSender,
       "alice@x",
       "Alice.Smith@x"},
      {"sender map not for a recipient",
       {"", "inline:{alice@x=Alice.Smith@x}", "", ""},
       kClassEnvelopeRecipient,
       "alice@x",
       "alice@x"},
      {"recipient map for a header recipient",
       {"", "", "inline:{bob@x=robert@x}", ""},
       kClassHeaderRecipient,
       "bob@x",
       "robert@x"},
      {"sender map first, then canonical",
       {"inline:{b@x=c@x}", "inline:{a@x=b@x}", "", ""},
       kClassEnvelopeSender,
       "a@x",
       "c@x"},
      {"canonical is recursive",
       {"inline:{a@x=b@x, b@x=c@x}", "", "", ""},
       kClassEnvelopeRecipient,
       "a@x",
       "c@x"},
      {"maps to itself", {"static:same@x", "", "", ""}, kClassEnvelopeRecipient, "a@x", "same@x"},
      {"canonical_classes leaves headers alone",
       {"inline:{a@x=b@x}", "", "", ""},
       kClassHeaderSender,
       "a@x",
       "a@x",
       0,
       "",
       kClassEnvelopeSender | kClassEnvelopeRecipient},
      {"domain rename keeps the user",
       {"inline:{@old.example=@new.example}", "", "", ""},
       kClassEnvelopeRecipient,
       "joe@old.example",
       "joe@new.example"},
      {"first of several values",
       {"inline:{{a@x=b@x, c@x}}", "", "", ""},
       kClassEnvelopeRecipient,
       "a@x",
       "b@x"},
      {"loop",
       {"inline:{a@x=b@x, b@x=a@x}", "", "", ""},
       kClassEnvelopeRecipient,
       "a@x",
       "",
       4,
       "4.6.0"},
      {"table failure", {"fail:x", "", "", ""}, kClassEnvelopeSender, "a@x", "", 4, "4.3.0"},
      {"null sender untouched", {"static:x@y", "", "", ""}, kClassEnvelopeSender, "", ""},
  };
  for (const Row& r : rows) {
    AddressMapper::Options o;
    o.canonical_classes = r.canonical_classes;
    AddressMapper m = Mapper(r.tables, o);
    std::string a = r.address;
    Verdict v = m.Canonical(r.cls, &a, "TESTID");
    EXPECT_EQ(v.status, r.status) << r.name;
    EXPECT_EQ(v.dsn, r.dsn) << r.name;
    if (r.status == 0) {
      EXPECT_EQ(a, r.want) << r.name;
    }
    maps::ClearTableCache();
  }
}

TEST(ParseClassesTest, Names) {
  EXPECT_EQ(ParseClasses("x", "envelope_sender, header_recipient"),
            kClassEnvelopeSender | kClassHeaderRecipient);
  EXPECT_EQ(ParseClasses("x", "bogus"), 0u);
}

}  // namespace
}  // namespace cleanup
