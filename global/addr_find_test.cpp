#include "global/addr_find.h"

#include <gtest/gtest.h>

#include "tables/table_testing.h"
#include "util/scratch_dir.h"

namespace maps {
namespace {

using tables::LookupResult;
using tables::testing::WarningCapture;
using util::testing::ScratchDir;

AddrFindOptions Options(unsigned steps, std::string delimiters = "+") {
  AddrFindOptions o;
  o.steps = steps;
  o.delimiters = std::move(delimiters);
  o.is_local = [](std::string_view d) { return d == "local.example"; };
  return o;
}

TEST(SplitAddressTest, Extensions) {
  struct Row {
    const char* address;
    const char* delimiters;
    const char* user;
    const char* ext;
    const char* domain;
  } rows[] = {
      {"user+ext@example.com", "+", "user", "ext", "example.com"},
      {"user+a+b@example.com", "+", "user", "a+b", "example.com"},
      {"user-ext@example.com", "+-", "user", "ext", "example.com"},
      {"us-er+ext@example.com", "+-", "us", "er+ext", "example.com"},
      {"user@example.com", "+", "user", "", "example.com"},
      {"user+ext@example.com", "", "user+ext", "", "example.com"},
      {"+ext@example.com", "+", "+ext", "", "example.com"},
      {"owner-list@example.com", "-", "owner-list", "", "example.com"},
      {"list-request@example.com", "-", "list-request", "", "example.com"},
      {"owner+x@example.com", "+", "owner", "x", "example.com"},
      {"MAILER-DAEMON@example.com", "-", "MAILER-DAEMON", "", "example.com"},
      {"double-bounce", "-", "double-bounce", "", ""},
      {"a\"@\"b@example.com", "+", "a\"@\"b", "", "example.com"},
      {"user+ext", "+", "user", "ext", ""},
  };
  for (const Row& r : rows) {
    AddrParts p = SplitAddress(r.address, Options(0, r.delimiters));
    EXPECT_EQ(p.user, r.user) << r.address;
    EXPECT_EQ(p.extension, r.ext) << r.address;
    EXPECT_EQ(p.domain, r.domain) << r.address;
  }
}

class AddrFindTest : public ::testing::Test {
 public:
  AddrFindTest() { SetChangeCheckInterval(std::chrono::milliseconds(0)); }
  ~AddrFindTest() override { ClearTableCache(); }
  Maps MustOpen(const std::string& list) {
    auto m = Maps::Open("test_maps", list, tables::OpenOptions{});
    EXPECT_TRUE(m.ok()) << m.status().message();
    return m.ok() ? *m : Maps();
  }
  ScratchDir dir_;
};

// Every key form in one table, valued by its form, so each row shows which
// key the order reached first.
constexpr char kAllForms[] =
    "inline:{user+ext@example.com=full, user@example.com=noext, user+ext=local-ext, user=local, "
    "example.com=domain, .example.com=dot-parent, @example.com=at-domain, user+ext@=at-ext, "
    "user@=at, *=wildcard}";

struct Row {
  const char* name;
  std::string list;
  unsigned steps;
  const char* address;
  LookupResult want;
  const char* key;
  const char* ext;
};

void RunRows(AddrFindTest* t, const std::vector<Row>& rows,
             Maps (AddrFindTest::*open)(const std::string&)) {
  for (const Row& r : rows) {
    Maps m = (t->*open)(r.list);
    AddrFindResult got = FindAddress(m, r.address, Options(r.steps));
    EXPECT_EQ(got.result.kind, r.want.kind) << r.name;
    EXPECT_EQ(got.result.value, r.want.value) << r.name;
    EXPECT_EQ(got.key, r.key) << r.name;
    EXPECT_EQ(got.extension, r.ext) << r.name;
  }
}

TEST_F(AddrFindTest, VirtualAliasOrder) {
  const std::string strip =
      "inline:{user@example.com=noext, user@local.example=noext-local, "
      "user=local, @example.com=at-domain, @other.example=at-other}";
  RunRows(this,
          {
              {"full first", kAllForms, kVirtualAliasSteps, "user+ext@example.com",
               LookupResult::Found("full"), "user+ext@example.com", ""},
              {"without extension", strip, kVirtualAliasSteps, "user+ext@example.com",
               LookupResult::Found("noext"), "user@example.com", "ext"},
              {"local part only for local domains", strip, kVirtualAliasSteps,
               "user+ext@other.example", LookupResult::Found("at-other"), "@other.example", ""},
              {"local domain: user", "inline:{user=local, @local.example=at}", kVirtualAliasSteps,
               "user+ext@local.example", LookupResult::Found("local"), "user", "ext"},
              {"local domain: user+ext first", "inline:{user=local, user+ext=local-ext}",
               kVirtualAliasSteps, "user+ext@local.example", LookupResult::Found("local-ext"),
               "user+ext", ""},
              {"@domain last", "inline:{@example.com=at-domain}", kVirtualAliasSteps,
               "bob@example.com", LookupResult::Found("at-domain"), "@example.com", ""},
              {"no domain means local", "inline:{user=local}", kVirtualAliasSteps, "user+ext",
               LookupResult::Found("local"), "user", "ext"},
              {"not found", "inline:{x=y}", kVirtualAliasSteps, "user+ext@example.com",
               LookupResult::NotFound(), "", ""},
              {"virtual mailbox: no local part", "inline:{user=local, @local.example=at}",
               kVirtualMailboxSteps, "user@local.example", LookupResult::Found("at"),
               "@local.example", ""},
          },
          &AddrFindTest::MustOpen);
}

TEST_F(AddrFindTest, AccessAndTransportOrder) {
  RunRows(this,
          {
              {"access: domain before user@", "inline:{example.com=domain, user@=at}", kAccessSteps,
               "user+ext@example.com", LookupResult::Found("domain"), "example.com", ""},
              {"access: parent domain", "inline:{.example.com=parent, user@=at}", kAccessSteps,
               "user@mail.example.com", LookupResult::Found("parent"), ".example.com", ""},
              {"access: user+ext@ then user@", "inline:{user@=at, user+ext@=at-ext}", kAccessSteps,
               "user+ext@example.com", LookupResult::Found("at-ext"), "user+ext@", ""},
              {"access: user@", "inline:{user@=at}", kAccessSteps, "user+ext@example.com",
               LookupResult::Found("at"), "user@", "ext"},
              {"access: no @domain", "inline:{@example.com=at-domain}", kAccessSteps,
               "user@example.com", LookupResult::NotFound(), "", ""},
              {"transport: wildcard last", "inline:{*=wildcard, com=tld}", kTransportSteps,
               "user@mail.example.com", LookupResult::Found("wildcard"), "*", ""},
              {"transport: .tld parent", "inline:{*=wildcard, .com=tld}", kTransportSteps,
               "user@mail.example.com", LookupResult::Found("tld"), ".com", ""},
          },
          &AddrFindTest::MustOpen);
}

TEST_F(AddrFindTest, PatternTablesSeeOnlyTheFullAddress) {
  std::string re = dir_.Write("re",
                              "/^user@example\\.com$/ re-noext\n"
                              "/^example\\.com$/ re-domain\n"
                              "/^user\\+ext@example\\.com$/ re-full\n");
  Maps m = MustOpen("regexp:" + re);
  struct Row {
    const char* address;
    unsigned steps;
    LookupResult want;
  } rows[] = {
      {"user+ext@example.com", kVirtualAliasSteps, LookupResult::Found("re-full")},
      {"user+other@example.com", kVirtualAliasSteps, LookupResult::NotFound()},
      {"user+other@example.com", kTransportSteps, LookupResult::NotFound()},
      {"user@example.com", kVirtualAliasSteps, LookupResult::Found("re-noext")},
  };
  for (const Row& r : rows) {
    AddrFindResult got = FindAddress(m, r.address, Options(r.steps));
    EXPECT_EQ(got.result.kind, r.want.kind) << r.address;
    EXPECT_EQ(got.result.value, r.want.value) << r.address;
  }
  // A bare domain is the first key, so pattern tables see it.
  EXPECT_EQ(FindDomain(m, "example.com", Options(kTransportSteps)).result.value, "re-domain");
  EXPECT_TRUE(FindDomain(m, "sub.example.com", Options(kTransportSteps)).result.not_found());
}

TEST_F(AddrFindTest, TemporaryErrorsStopEveryStep) {
  WarningCapture warnings;
  struct Row {
    const char* name;
    std::string list;
    unsigned steps;
    const char* address;
  } rows[] = {
      {"at full", "fail:t, inline:{user@example.com=x}", kVirtualAliasSteps,
       "user+ext@example.com"},
      {"at noext", "pipemap:{inline:{user@example.com=k}, fail:t}, inline:{@example.com=z}",
       kVirtualAliasSteps, "user+ext@example.com"},
      {"at local part", "pipemap:{inline:{user=a}, fail:t}, inline:{@local.example=z}",
       kVirtualAliasSteps, "user+e@local.example"},
      {"at parent", "pipemap:{inline:{.example.com=a}, fail:t}, inline:{*=w}", kTransportSteps,
       "user@mail.example.com"},
  };
  for (const Row& r : rows) {
    Maps m = MustOpen(r.list);
    AddrFindResult got = FindAddress(m, r.address, Options(r.steps));
    EXPECT_TRUE(got.result.temp_error()) << r.name << " " << got.result.value;
    EXPECT_EQ(got.result.value, "fail:t") << r.name;
  }
}

TEST_F(AddrFindTest, ParentMatchesSubdomains) {
  Maps m = MustOpen("inline:{example.com=bare, .example.com=dotted}");
  AddrFindOptions o = Options(kTransportSteps);
  EXPECT_EQ(FindDomain(m, "mail.example.com", o).result.value, "dotted");
  o.parent_matches_subdomains = true;
  EXPECT_EQ(FindDomain(m, "mail.example.com", o).result.value, "bare");
  EXPECT_EQ(FindAddress(m, "u@mail.example.com", o).result.value, "bare");
}

TEST_F(AddrFindTest, OptionsFromConfig) {
  config::Config cfg;
  cfg.Set("recipient_delimiter", "+-");
  AddrFindOptions o = AddrFindOptions::ForConfig(cfg, "smtpd_access_maps");
  EXPECT_EQ(o.delimiters, "+-");
  EXPECT_TRUE(o.parent_matches_subdomains);  // in the default list
  EXPECT_TRUE(o.owner_request_special);
  EXPECT_FALSE(AddrFindOptions::ForConfig(cfg, "transport_maps").parent_matches_subdomains);
  cfg.Set("parent_domain_matches_subdomains", "transport_maps");
  EXPECT_TRUE(AddrFindOptions::ForConfig(cfg, "transport_maps").parent_matches_subdomains);
}

}  // namespace
}  // namespace maps
