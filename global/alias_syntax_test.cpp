#include "global/alias_syntax.h"

#include <gtest/gtest.h>

namespace alias_syntax {
namespace {

TEST(AliasSyntaxTest, LinesAsPostaliasStoresThem) {
  // Expected values are what Debian's postalias 3.7 stores.
  struct {
    const char* line;
    const char* name;
    const char* value;
  } rows[] = {
      {"root: admin, \"|/bin/cat -n\"", "root", "admin, \"|/bin/cat -n\""},
      {"l2 : q", "l2", "q"},
      {"l3:a:b", "l3", "a:b"},
      {"\"a:b\": c", "a:b", "c"},
      {"\"quoted name\": x", "quoted name", "x"},
      {"list:    a,      b,c  ,   \"x  y\"", "list", "a, b, c, \"x  y\""},
      {"l4:  \t a (comment) ,   b", "l4", "a (comment), b"},
      {"k1: a . b", "k1", "a.b"},
      {"k2: Joe  User  < joe @ x.y >", "k2", "Joe User <joe@x.y>"},
      {"k3: x ; y:z", "k3", "x;y:z"},
      {"k4: |\"/bin/cmd\" arg1   arg2", "k4", "|\"/bin/cmd\" arg1 arg2"},
      {"k5: a,,b , ,c", "k5", "a, , b, , c"},
      {"k7:   \\\\root,  /var/x y", "k7", "\"\\\\root\", /var/x y"},
      {"k8: (c1)(c2) a [1.2.3.4] b", "k8", "(c1) (c2) a [1.2.3.4] b"},
      {"k9: :include: /etc/f", "k9", ":include:/etc/f"},
      {"k10: a\\\\, b", "k10", "\"a\\\\\", b"},
      {"k11: \"unterminated", "k11", "\"unterminated\""},
      {"k12: (unterminated", "k12", "(unterminated"},
      {"k13: \\root, \\bob@x.y", "k13", "root, bob@x.y"},
      {"k14: |/usr/bin/procmail -a x", "k14", "|/usr/bin/procmail -a x"},
      {"k15: a\\b", "k15", "ab"},
  };
  for (const auto& r : rows) {
    SCOPED_TRACE(r.line);
    auto e = ParseLine(r.line);
    ASSERT_TRUE(e.has_value());
    EXPECT_EQ(e->name, r.name);
    EXPECT_EQ(e->value, r.value);
  }
  EXPECT_FALSE(ParseLine("bad line here").has_value());
  EXPECT_FALSE(ParseLine("empty:").has_value());
  EXPECT_FALSE(ParseLine("empty:   ").has_value());
}

TEST(AliasSyntaxTest, SplitTargets) {
  EXPECT_EQ(SplitTargets("admin, \"|/bin/cat -n\", /var/x y, :include:/etc/f"),
            (std::vector<std::string>{"admin", "|/bin/cat -n", "/var/x y", ":include:/etc/f"}));
  EXPECT_EQ(SplitTargets("a, , b"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(SplitTargets("\"a,b\" (x, y), c"), (std::vector<std::string>{"\"a,b\" (x, y)", "c"}));
  EXPECT_EQ(SplitTargets("\\bob, bob@x"), (std::vector<std::string>{"\\bob", "bob@x"}));
}

}  // namespace
}  // namespace alias_syntax
