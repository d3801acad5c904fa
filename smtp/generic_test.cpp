#include "smtp/generic.h"

#include <gtest/gtest.h>

#include <string>

namespace smtp {
namespace {

Generic Make(const config::Config& cfg) {
  auto m = maps::Maps::Open("smtp_generic_maps",
                            "inline:{his@localdomain.local=hisaccount@hisisp.example, "
                            "her@localdomain.local=heraccount@herisp.example, "
                            "@localdomain.local=hisaccount+local@hisisp.example, "
                            "root=admin@isp.example}",
                            maps::TableOptions(cfg));
  EXPECT_TRUE(m.ok()) << m.status().message();
  maps::AddrFindOptions o;
  o.steps = maps::kCanonicalSteps;
  o.delimiters = "+";
  o.is_local = [](std::string_view d) { return d == "myhost.example"; };
  return Generic(std::move(*m), o);
}

TEST(GenericTest, Map) {
  config::Config cfg;
  Generic g = Make(cfg);
  struct Case {
    const char* in;
    const char* want;
  } cases[] = {
      {"his@localdomain.local", "hisaccount@hisisp.example"},
      {"HER@localdomain.local", "heraccount@herisp.example"},
      {"other@localdomain.local", "hisaccount+local@hisisp.example"},
      {"root@myhost.example", "admin@isp.example"},          // user form: local domain
      {"root@elsewhere.example", "root@elsewhere.example"},  // not local: unchanged
      {"bob@remote.example", "bob@remote.example"},
      {"", ""},
  };
  for (const Case& c : cases) {
    auto r = g.Map(c.in);
    ASSERT_TRUE(r.ok()) << c.in;
    EXPECT_EQ(*r, c.want) << c.in;
  }
}

TEST(GenericTest, RewriteHeader) {
  config::Config cfg;
  Generic g = Make(cfg);
  struct Case {
    const char* in;
    const char* want;
  } cases[] = {
      {"From: Him <his@localdomain.local>", "From: Him <hisaccount@hisisp.example>"},
      {"To: bob@remote.example,\n her@localdomain.local (Her)",
       "To: bob@remote.example,\n heraccount@herisp.example (Her)"},
      {"cc: \"his@localdomain.local\" <his@localdomain.local>",
       "cc: \"his@localdomain.local\" <hisaccount@hisisp.example>"},  // display name kept
      {"Subject: his@localdomain.local", "Subject: his@localdomain.local"},
      {"Reply-To: xhis@localdomain.local", "Reply-To: hisaccount+local@hisisp.example"},
      {"Resent-From: root@myhost.example", "Resent-From: admin@isp.example"},
  };
  for (const Case& c : cases) {
    std::string out;
    ASSERT_TRUE(g.RewriteHeader(c.in, &out).ok()) << c.in;
    EXPECT_EQ(out, c.want) << c.in;
  }
}

}  // namespace
}  // namespace smtp
