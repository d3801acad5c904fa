#include "tables/mysql_expand.h"

#include <gtest/gtest.h>
#include <mysql.h>

#include <optional>
#include <string>

namespace tables {
namespace {

// The client library's escaping without a connection (same rules as
// mysql_real_escape_string for UTF-8 / latin1 connections).
std::string LibraryEscape(std::string_view s) {
  static bool initialized = mysql_library_init(0, nullptr, nullptr) == 0;
  EXPECT_TRUE(initialized);
  std::string out(2 * s.size() + 1, '\0');
  unsigned long n = mysql_escape_string(out.data(), s.data(), s.size());
  out.resize(n);
  return out;
}

// Marks every substituted piece so tests see exactly what was escaped.
std::string Bracket(std::string_view s) { return "<" + std::string(s) + ">"; }

struct QueryCase {
  std::string name;
  std::string query;
  std::string result_format;
  std::string key;
  std::optional<std::string> want;  // nullopt: suppressed
};

TEST(SqlExpanderTest, Query) {
  const QueryCase cases[] = {
      {"key", "a='%s'", "%s", "bob@example.jp", "a='<bob@example.jp>'"},
      {"percent", "LIKE 'x%%' AND a='%s'", "%s", "k", "LIKE 'x%' AND a='<k>'"},
      {"user", "%u", "%s", "bob@example.jp", "<bob>"},
      {"domain", "%d", "%s", "bob@example.jp", "<example.jp>"},
      {"upper forms", "%S|%U|%D", "%s", "bob@example.jp", "<bob@example.jp>|<bob>|<example.jp>"},
      {"labels", "%1.%2.%3", "%s", "u@mail.example.com", "<com>.<example>.<mail>"},
      {"label 9 of 9", "%9", "%s", "u@a.b.c.d.e.f.g.h.i", "<a>"},
      {"user of unqualified key is the key", "%u", "%s", "bob", "<bob>"},
      {"last @ splits", "%u|%d", "%s", "a@b@c.example", "<a@b>|<c.example>"},
      {"catch-all key with %s", "%s", "%s", "@example.net", "<@example.net>"},
      {"catch-all key with %d", "%d", "%s", "@example.net", "<example.net>"},
      {"key not rescanned", "%s", "%s", "a%s%%b", "<a%s%%b>"},
      {"empty key", "%s", "%s", "", std::nullopt},
      {"empty local part with %u", "%u", "%s", "@example.net", std::nullopt},
      {"empty local part with %U", "%U", "%s", "@example.net", std::nullopt},
      {"unqualified with %d", "%d", "%s", "bob", std::nullopt},
      {"unqualified with %D", "%D", "%s", "bob", std::nullopt},
      {"empty domain with %d", "%d", "%s", "bob@", std::nullopt},
      {"unqualified with %1", "%1", "%s", "bob", std::nullopt},
      {"too few labels", "%3", "%s", "u@example.com", std::nullopt},
      {"result_format %D suppresses", "%s", "%D", "bob", std::nullopt},
      {"result_format %U suppresses", "%s", "%U", "@example.jp", std::nullopt},
      {"result_format %2 suppresses", "%s", "%2", "u@localhost", std::nullopt},
      {"result_format %u does not", "%s", "%u", "@example.jp", "<@example.jp>"},
      {"result_format %d does not", "%s", "%d", "bob", "<bob>"},
  };
  for (const QueryCase& c : cases) {
    SCOPED_TRACE(c.name);
    auto x = SqlExpander::Create(c.query, c.result_format);
    ASSERT_TRUE(x.ok()) << x.status().message();
    if (!c.want) {
      EXPECT_TRUE(x->Suppressed(c.key));
      continue;
    }
    ASSERT_FALSE(x->Suppressed(c.key));
    EXPECT_EQ(x->ExpandQuery(c.key, Bracket), *c.want);
  }
}

TEST(SqlExpanderTest, QuotingWithTheClientLibrary) {
  struct Case {
    std::string name, query, key, want;
  };
  const Case cases[] = {
      {"quote", "a='%s'", "o'brien@example.jp", "a='o\\'brien@example.jp'"},
      {"backslash", "a='%s'", "a\\b", "a='a\\\\b'"},
      {"percent is not special", "a='%s'", "100%", "a='100%'"},
      {"NUL", "a='%s'", std::string("a\0b", 3), "a='a\\0b'"},
      {"newline and CR", "a='%s'", "a\nb\rc", "a='a\\nb\\rc'"},
      {"double quote", "a=\"%s\"", "a\"b", "a=\"a\\\"b\""},
      {"ctrl-Z", "a='%s'", "a\x1a", "a='a\\Z'"},
      {"injection", "SELECT goto FROM alias WHERE address='%s'", "x' OR '1'='1",
       "SELECT goto FROM alias WHERE address='x\\' OR \\'1\\'=\\'1'"},
      {"injection via local part", "a='%u' AND d='%d'", "x'--@example.jp",
       "a='x\\'--' AND d='example.jp'"},
      {"utf-8 passes through", "a='%s'", "ほげ@example.jp", "a='ほげ@example.jp'"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto x = SqlExpander::Create(c.query, "%s");
    ASSERT_TRUE(x.ok());
    EXPECT_EQ(x->ExpandQuery(c.key, LibraryEscape), c.want);
  }
}

struct ResultCase {
  std::string name;
  std::string format;
  std::string value;
  std::string key;
  std::optional<std::string> want;  // nullopt: value skipped
};

TEST(SqlExpanderTest, ResultFormat) {
  const ResultCase cases[] = {
      {"plain", "%s", "bob@example.jp", "k@x.y", "bob@example.jp"},
      {"empty value skipped", "%s", "", "k@x.y", std::nullopt},
      {"transport", "smtp:[%s]", "mx.example.com", "k@x.y", "smtp:[mx.example.com]"},
      {"value user", "%u", "bob@example.jp", "k@x.y", "bob"},
      {"value user of unqualified value", "%u", "bob", "k@x.y", "bob"},
      {"value with empty user skipped", "%u", "@example.jp", "k@x.y", std::nullopt},
      {"value domain", "%d", "bob@example.jp", "k@x.y", "example.jp"},
      {"unqualified value skipped by %d", "%d", "bob", "k@x.y", std::nullopt},
      {"key forms", "%S %U %D", "v", "k@mail.example.com", "k@mail.example.com k mail.example.com"},
      {"key labels", "%1-%2-%3", "v", "k@mail.example.com", "com-example-mail"},
      {"percent", "100%% %s", "v", "k", "100% v"},
      {"not escaped", "%s", "o'brien", "k", "o'brien"},
      {"value with percent not rescanned", "%s", "a%sb", "k", "a%sb"},
  };
  for (const ResultCase& c : cases) {
    SCOPED_TRACE(c.name);
    auto x = SqlExpander::Create("%s", c.format);
    ASSERT_TRUE(x.ok()) << x.status().message();
    std::string out;
    bool kept = x->AppendResult(c.value, c.key, &out);
    EXPECT_EQ(kept, c.want.has_value());
    EXPECT_EQ(out, c.want.value_or(""));
  }
}

TEST(SqlExpanderTest, ResultsJoinedWithCommas) {
  auto x = SqlExpander::Create("%s", "<%s>");
  ASSERT_TRUE(x.ok());
  std::string out;
  EXPECT_TRUE(x->AppendResult("a", "k", &out));
  EXPECT_FALSE(x->AppendResult("", "k", &out));
  EXPECT_TRUE(x->AppendResult("b", "k", &out));
  EXPECT_EQ(out, "<a>,<b>");
}

TEST(SqlExpanderTest, BadTemplates) {
  struct Case {
    std::string query, result_format, want;
  };
  const Case cases[] = {
      {"a='%x'", "%s", "invalid query template: %x in \"a='%x'\""},
      {"a='%0'", "%s", "invalid query template: %0 in \"a='%0'\""},
      {"a=%", "%s", "invalid query template: '%' at the end in \"a=%\""},
      {"%s", "%q", "invalid result_format template: %q in \"%q\""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.query + " / " + c.result_format);
    auto x = SqlExpander::Create(c.query, c.result_format);
    ASSERT_FALSE(x.ok());
    EXPECT_EQ(x.status().code(), util::Code::kInvalidArgument);
    EXPECT_EQ(x.status().message(), c.want);
  }
}

TEST(SqlExpanderTest, LegacyQuery) {
  EXPECT_EQ(LegacySqlQuery("forw_addr", "mxaliases", "alias", "and status = 'paid'"),
            "SELECT forw_addr FROM mxaliases WHERE alias='%s' and status = 'paid'");
  EXPECT_EQ(LegacySqlQuery("goto", "alias", "address", ""),
            "SELECT goto FROM alias WHERE address='%s' ");
}

}  // namespace
}  // namespace tables
