#include "global/maildrop_stream.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace maildrop {
namespace {

// A stream written as "T1 2|Srewrite|..." : each record is its type byte
// followed by its data, records separated by '|'.
std::vector<util::Record> Parse(const std::string& text) {
  std::vector<util::Record> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t bar = text.find('|', start);
    if (bar == std::string::npos) bar = text.size();
    std::string item = text.substr(start, bar - start);
    if (!item.empty()) out.push_back({item[0], item.substr(1)});
    start = bar + 1;
  }
  return out;
}

// Runs the validator; returns "" when valid, else the first error.
std::string Validate(const std::string& text) {
  Validator v;
  for (const util::Record& rec : Parse(text)) {
    util::Status s = v.Next(rec);
    if (!s.ok()) return s.message();
  }
  util::Status s = v.Finish();
  return s.ok() ? "" : s.message();
}

TEST(ValidatorTest, Streams) {
  struct Case {
    std::string name, stream, want;
  };
  const std::vector<Case> cases = {
      {"minimal", "T1 2|Salice|Rbob@example.com|M|Nhi|X|E", ""},
      {"attributes and dsn",
       "T1 2|Arewrite_context=local|Afull_name=Alice Ä|Salice|n6|obob@x|Rbob@example.com|M|X|E",
       ""},
      {"null sender, extract only", "T1 2|Aextract_recipients=yes|S|M|NTo: bob|N|Nbody|X|E", ""},
      {"segments", "T1 2|Sa|Rb|M|Lpart|Nrest|X|E", ""},
      {"extra recipients", "T1 2|Sa|Rb|M|X|Rc|Aencoding=8bit|E", ""},
      {"no time first", "Sa|T1 2|Rb|M|X|E", "record 'S' before the time record"},
      {"bad time", "Tnow|Sa|Rb|M|X|E", "bad time value: now"},
      {"no sender", "T1 2|Rb|M|X|E", "missing sender record"},
      {"two senders", "T1 2|Sa|Sb|Rb|M|X|E", "duplicate sender record"},
      {"no recipients", "T1 2|Sa|M|X|E", "no recipients"},
      {"empty recipient", "T1 2|Sa|R|M|X|E", "bad recipient address: empty"},
      {"control char",
       "T1 2|Sa|Rb\x01"
       "c|M|X|E",
       "bad recipient address: b\\001c"},
      {"forged attribute", "T1 2|Aclient_address=1.2.3.4|Sa|Rb|M|X|E",
       "attribute not allowed: client_address"},
      {"duplicate attribute", "T1 2|Aencoding=7bit|Aencoding=8bit|Sa|Rb|M|X|E",
       "duplicate attribute: encoding"},
      {"bad attribute value", "T1 2|Arewrite_context=evil|Sa|Rb|M|X|E",
       "bad rewrite_context value: evil"},
      {"size record", "T1 2|C1 2 3 4|Sa|Rb|M|X|E", "unexpected record type 'C'"},
      {"dangling notify", "T1 2|Sa|n2|M|X|E", "recipient attributes without recipient"},
      {"dangling notify 2", "T1 2|Sa|Rb|n2|M|X|E", "recipient attributes without recipient"},
      {"bad notify", "T1 2|Sa|n3|Rb|M|X|E", "bad DSN NOTIFY value: 3"},
      {"sender after content", "T1 2|Sa|Rb|M|X|Sc|E", "record 'S' after content"},
      {"envelope in content", "T1 2|Sa|Rb|M|Rc|X|E", "unexpected record type 'R' in content"},
      {"incomplete line", "T1 2|Sa|Rb|M|Lpart|X|E", "incomplete content line"},
      {"no end", "T1 2|Sa|Rb|M|X", "missing end record"},
      {"after end", "T1 2|Sa|Rb|M|X|E|Nmore", "data after end record"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(Validate(c.stream), c.want) << c.name;
  }
}

TEST(ValidatorTest, ExtractFlagAndCounts) {
  Validator v;
  for (const util::Record& rec : Parse("T1 2|Aextract_recipients=yes|Sa|Rb|Rc|M|X|E"))
    ASSERT_TRUE(v.Next(rec).ok());
  EXPECT_TRUE(v.done());
  EXPECT_TRUE(v.extract());
  EXPECT_EQ(v.recipients(), 2u);
}

TEST(ValidatorTest, RecordSizeLimits) {
  Validator v;
  ASSERT_TRUE(v.Next({'T', "1 2"}).ok());
  util::Status s = v.Next({'S', std::string(kMaxEnvelopeRecord + 1, 'a')});
  EXPECT_EQ(s.message(), "record 'S' too long");
  Validator w;
  for (const util::Record& rec : Parse("T1 2|Sa|Rb|M")) ASSERT_TRUE(w.Next(rec).ok());
  EXPECT_TRUE(w.Next({'N', std::string(queue_file::kMaxSegment, 'x')}).ok());
  EXPECT_EQ(w.Next({'N', std::string(queue_file::kMaxSegment + 1, 'x')}).message(),
            "content record too long");
}

TEST(CheckEnvelopeTest, Envelopes) {
  queue_file::Envelope env;
  env.sender = "alice";
  EXPECT_EQ(CheckEnvelope(env).message(), "no recipients");
  env.attrs.emplace_back("extract_recipients", "yes");
  EXPECT_TRUE(CheckEnvelope(env).ok());
  queue_file::Recipient bob;
  bob.address = "bob@example.com";
  env.recipients.push_back(bob);
  env.attrs.emplace_back("sasl_username", "root");
  EXPECT_EQ(CheckEnvelope(env).message(), "attribute not allowed: sasl_username");
  env.attrs.pop_back();
  queue_file::Recipient bad;
  bad.address = "x\ny";
  env.recipients.push_back(bad);
  EXPECT_EQ(CheckEnvelope(env).message(), "bad recipient address: x\\012y");
}

}  // namespace
}  // namespace maildrop
