#include "cleanup/message.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "global/cleanup_client.h"

namespace cleanup {
namespace {

using cleanup_client::kFlagExtract;
using cleanup_client::kFlagLocal;
using cleanup_client::kFlagNoAddressMaps;

// Records what the message writes, one string per record.
class RecordingOutput : public Output {
 public:
  std::vector<std::string> records;
  void SetArrival(long sec, long usec) override {
    records.push_back("T " + std::to_string(sec) + " " + std::to_string(usec));
  }
  void AddAttr(std::string_view n, std::string_view v) override {
    records.push_back("A " + std::string(n) + "=" + std::string(v));
  }
  void SetSender(std::string_view s) override { records.push_back("S " + std::string(s)); }
  void AddRecipient(const queue_file::Recipient& r) override {
    std::string s = "R " + r.address;
    if (!r.original.empty()) s += " orig=" + r.original;
    if (!r.dsn_orcpt.empty()) s += " orcpt=" + r.dsn_orcpt;
    if (r.dsn_notify) s += " notify=" + std::to_string(r.dsn_notify);
    records.push_back(s);
  }
  void BeginContent() override { records.push_back("M"); }
  void AddLine(std::string_view line) override { records.push_back("N " + std::string(line)); }
  void AddSegment(std::string_view part) override { records.push_back("L " + std::string(part)); }
  void CancelRecipients() override { records.push_back("cancel"); }

  // The content lines only (without "N ").
  std::vector<std::string> Lines() const {
    std::vector<std::string> out;
    for (const std::string& r : records)
      if (r.rfind("N ", 0) == 0) out.push_back(r.substr(2));
    return out;
  }
  std::vector<std::string> Recipients() const {
    std::vector<std::string> out;
    for (const std::string& r : records)
      if (r.rfind("R ", 0) == 0) out.push_back(r.substr(2));
    return out;
  }
  bool Has(const std::string& rec) const {
    return std::find(records.begin(), records.end(), rec) != records.end();
  }
  bool HasLinePrefix(const std::string& prefix) const {
    for (const std::string& l : Lines())
      if (l.rfind(prefix, 0) == 0) return true;
    return false;
  }
};

struct Outcome {
  Verdict verdict;
  RecordingOutput out;
  bool done = false;
};

maps::Maps MustOpen(const std::string& title, const std::string& list) {
  if (list.empty()) return maps::Maps();
  auto m = maps::Maps::Open(title, list, tables::OpenOptions{});
  EXPECT_TRUE(m.ok()) << m.status().message();
  return m.ok() ? *m : maps::Maps();
}

class MessageTest : public ::testing::Test {
 public:
  MessageTest() {
    setenv("TZ", "UTC", 1);
    tzset();
    maps::SetChangeCheckInterval(std::chrono::milliseconds(0));
    settings.myhostname = "mail.origin.example";
  }
  ~MessageTest() override { maps::ClearTableCache(); }

  // Runs the records; the alias and canonical tables are inline/static/fail specs.
  Outcome Process(const std::vector<util::Record>& records, unsigned flags = 0,
                  const std::string& aliases = "", const std::string& canonical = "") {
    AddressMapper::Options o;
    o.rules.myorigin = "origin.example";
    o.rules.mydomain = "origin.example";
    o.find.steps = maps::kCanonicalSteps;
    o.find.is_local = [](std::string_view d) { return d == "origin.example"; };
    AddressMapper mapper(o, MustOpen("canonical_maps", canonical), maps::Maps(), maps::Maps(),
                         MustOpen("virtual_alias_maps", aliases));
    Outcome run;
    Message m(settings, mapper, run.out, flags, "4A5B6C7D");
    for (const util::Record& r : records) m.Add(r);
    run.done = m.done();
    run.verdict = m.verdict();
    return run;
  }

  // A message: envelope, then each content line, then E. It comes from a
  // remote client (no header rewriting, no added headers) unless the test
  // passes kFlagLocal.
  static std::vector<util::Record> Msg(const std::string& sender,
                                       const std::vector<std::string>& rcpts,
                                       const std::vector<std::string>& lines) {
    std::vector<util::Record> r = {
        {'T', "1700000000 5"}, {'A', "rewrite_context=remote"}, {'S', sender}};
    for (const std::string& a : rcpts) r.push_back({'R', a});
    r.push_back({'M', ""});
    for (const std::string& l : lines) r.push_back({'N', l});
    r.push_back({'E', ""});
    return r;
  }

  Settings settings;
};

TEST_F(MessageTest, LocalSubmissionGetsCanonicalAddressesAndMissingHeaders) {
  Outcome run = Process(Msg("alice", {"bob"}, {"Subject: hi", "To: bob", "", "body"}), kFlagLocal);
  ASSERT_TRUE(run.done);
  EXPECT_TRUE(run.verdict.ok()) << run.verdict.reason;
  std::vector<std::string> want = {
      "T 1700000000 5",
      "A rewrite_context=remote",  // stored: the smtp client's XFORWARD SOURCE
      "S alice@origin.example",
      "R bob@origin.example orig=bob",
      "M",
      "N Subject: hi",
      "N To: bob@origin.example",
      "N Message-Id: <20231114221320.4A5B6C7D@mail.origin.example>",
      "N Date: Tue, 14 Nov 2023 22:13:20 +0000 (UTC)",
      "N From: alice@origin.example",
      "N ",
      "N body",
  };
  EXPECT_EQ(run.out.records, want);
}

TEST_F(MessageTest, FullNameAndExistingHeaders) {
  auto recs = Msg("alice@x", {"bob@y"},
                  {"From: Someone <s@x>", "Date: today", "Message-Id: <a@b>", "", "b"});
  Outcome run = Process(recs, kFlagLocal);
  EXPECT_EQ(run.out.Lines(), std::vector<std::string>({"From: Someone <s@x>", "Date: today",
                                                       "Message-Id: <a@b>", "", "b"}));
  recs = Msg("alice@x", {"bob@y"}, {"", "b"});
  recs.insert(recs.begin() + 1, {'A', "full_name=Alice Doe"});
  run = Process(recs, kFlagLocal);
  EXPECT_TRUE(run.out.Has("N From: Alice Doe <alice@x>"));
  EXPECT_FALSE(run.out.Has("A full_name=Alice Doe")) << "consumed, not stored";
}

TEST_F(MessageTest, RemoteMailHeadersUntouched) {
  auto recs = Msg("a@x", {"b@y"}, {"To: bob", "Return-Path: <x@y>", "", "body"});
  recs.insert(recs.begin() + 1, {'A', "rewrite_context=remote"});
  recs.insert(recs.begin() + 1, {'A', "client_name=mail.example"});
  Outcome run = Process(recs);
  EXPECT_TRUE(run.verdict.ok());
  EXPECT_EQ(run.out.Lines(), std::vector<std::string>({"To: bob", "", "body"}));
  EXPECT_TRUE(run.out.Has("A client_name=mail.example"));
}

TEST_F(MessageTest, ExtractRecipientsAndDropBcc) {
  Outcome run = Process(
      Msg("a@x", {},
          {"To: one@x, \"Two\" <two@y>", "Cc: three@z", "Bcc: secret@w", "Subject: s", "", "body"}),
      kFlagLocal | kFlagExtract);
  EXPECT_TRUE(run.verdict.ok()) << run.verdict.reason;
  EXPECT_EQ(run.out.Recipients(),
            std::vector<std::string>({"one@x orig=one@x", "two@y orig=two@y",
                                      "three@z orig=three@z", "secret@w orig=secret@w"}));
  EXPECT_FALSE(run.out.HasLinePrefix("Bcc:"));
  // The extracted recipients follow the content.
  EXPECT_EQ(run.out.records.back(), "R secret@w orig=secret@w");
}

TEST_F(MessageTest, ExtractResentRecipientsWhenPresent) {
  Outcome run =
      Process(Msg("a@x", {}, {"To: one@x", "Resent-To: again@x", "Resent-Bcc: hidden@x", "", "b"}),
              kFlagLocal | kFlagExtract);
  EXPECT_EQ(run.out.Recipients(),
            std::vector<std::string>({"again@x orig=again@x", "hidden@x orig=hidden@x"}));
  EXPECT_FALSE(run.out.HasLinePrefix("Resent-Bcc:"));
  EXPECT_TRUE(run.out.HasLinePrefix("Resent-Message-Id: <"));
  EXPECT_TRUE(run.out.HasLinePrefix("Resent-From: a@x"));
}

TEST_F(MessageTest, WithoutExtractHeadersAreNotRecipients) {
  Outcome run = Process(Msg("a@x", {}, {"To: one@x", "", "b"}));
  EXPECT_EQ(run.verdict.status, 5);
  EXPECT_EQ(run.verdict.dsn, "5.1.0");
  EXPECT_EQ(run.verdict.reason, "No recipients specified");
}

TEST_F(MessageTest, AliasesOriginalRecipientsAndDuplicates) {
  std::vector<util::Record> recs = {{'T', "1 0"},  {'S', "a@x"},  {'O', "first@x"}, {'R', "list@x"},
                                    {'R', "me@x"}, {'R', "me@x"}, {'R', "c@x"},     {'M', ""},
                                    {'N', ""},     {'E', ""}};
  Outcome run = Process(recs, 0, "inline:{{list@x = me@x, you@y}, c@x=me@x}");
  EXPECT_TRUE(run.verdict.ok());
  EXPECT_EQ(run.out.Recipients(),
            std::vector<std::string>(
                {"me@x orig=first@x", "you@y orig=first@x", "me@x orig=me@x", "me@x orig=c@x"}));
  settings.enable_original_recipient = false;
  run = Process(recs, 0, "inline:{{list@x = me@x, you@y}, c@x=me@x}");
  // Still written (as Postfix 3.7), but not part of the duplicate test.
  EXPECT_EQ(run.out.Recipients(),
            std::vector<std::string>({"me@x orig=first@x", "you@y orig=first@x"}));
}

TEST_F(MessageTest, NoAddressMaps) {
  Outcome run =
      Process(Msg("a@x", {"list@x"}, {""}), kFlagNoAddressMaps, "static:other@y", "static:z@z");
  EXPECT_EQ(run.out.Recipients(), std::vector<std::string>({"list@x orig=list@x"}));
  EXPECT_TRUE(run.out.Has("S a@x"));
}

TEST_F(MessageTest, HeaderCanonicalMapping) {
  Outcome run = Process(Msg("alice", {"b@y"}, {"From: Alice <alice>", "To: bob@y", "", "x"}),
                        kFlagLocal, "", "inline:{alice@origin.example=Alice.Smith@origin.example}");
  EXPECT_TRUE(run.out.Has("S Alice.Smith@origin.example"));
  EXPECT_TRUE(run.out.Has("N From: Alice <Alice.Smith@origin.example>"));
  EXPECT_TRUE(run.out.Has("N To: bob@y"));
}

TEST_F(MessageTest, TemporaryTableErrorRejects) {
  Outcome run = Process(Msg("a@x", {"b@y", "c@y"}, {"Subject: x", "", "body"}), 0, "fail:aliases");
  EXPECT_TRUE(run.done);
  EXPECT_EQ(run.verdict.status, 4);
  EXPECT_EQ(run.verdict.dsn, "4.3.0");
  EXPECT_EQ(run.verdict.reason, "Temporary lookup failure");
  EXPECT_TRUE(run.out.Recipients().empty());
  EXPECT_FALSE(run.out.Has("M")) << "nothing is written after the rejection";
  // In a header address too.
  run = Process(Msg("a@x", {"b@y"}, {"From: c@x", "", "body"}), 0, "", "fail:canon");
  EXPECT_EQ(run.verdict.dsn, "4.3.0");
}

TEST_F(MessageTest, MessageSizeLimit) {
  settings.message_size_limit = 20;
  Outcome run = Process(Msg("a@x", {"b@y"}, {"", "0123456789", "0123456789", "more"}));
  EXPECT_TRUE(run.done);
  EXPECT_EQ(run.verdict.status, 5);
  EXPECT_EQ(run.verdict.dsn, "5.3.4");
  EXPECT_EQ(run.verdict.reason, "Message size exceeds fixed limit");
  EXPECT_FALSE(run.out.Has("N more"));
  run = Process(Msg("a@x", {"b@y"}, {"", "0123456789", "0123456"}));  // exactly 20
  EXPECT_TRUE(run.verdict.ok());
  // A long line in L segments counts before it is complete.
  std::vector<util::Record> recs = {{'T', "1 0"},
                                    {'S', ""},
                                    {'R', "b@y"},
                                    {'M', ""},
                                    {'L', std::string(15, 'x')},
                                    {'L', std::string(15, 'x')},
                                    {'N', "y"},
                                    {'E', ""}};
  run = Process(recs);
  EXPECT_EQ(run.verdict.dsn, "5.3.4");
}

// message_size_limit = 0: a line of any length is passed on in pieces,
// never assembled whole (cleanup's memory stays bounded).
TEST_F(MessageTest, UnlimitedSizeKeepsLineAssemblyBounded) {
  settings.message_size_limit = 0;
  settings.header_size_limit = 1000;
  const size_t kPiece = 4096, kPieces = 2048;  // an 8 MB line
  auto long_line = [&](const std::string& first, std::vector<util::Record>* recs) {
    recs->push_back({'L', first});
    for (size_t i = 0; i < kPieces; i++) recs->push_back({'L', std::string(kPiece, 'x')});
    recs->push_back({'N', "end"});
  };
  std::vector<util::Record> recs = {
      {'T', "1 0"}, {'S', "a@x"}, {'R', "b@y"}, {'M', ""}, {'N', "To: b@y"}};
  long_line("Subject: ", &recs);  // a header: truncated at header_size_limit
  recs.push_back({'N', ""});
  long_line("body ", &recs);  // a body line: passed on whole, in pieces
  recs.push_back({'E', ""});
  Outcome run = Process(recs);
  ASSERT_TRUE(run.verdict.ok()) << run.verdict.reason;
  std::string body;
  bool in_body = false;
  for (const std::string& r : run.out.records) {
    EXPECT_LE(r.size(), queue_file::kMaxSegment + kPiece + 2);
    if (r.rfind("N Subject: ", 0) == 0) {
      EXPECT_LE(r.size() - 2, 1000u);
    }
    if (r == "N ") in_body = true;
    if (in_body && (r[0] == 'L' || r[0] == 'N')) body += r.substr(2);
  }
  EXPECT_EQ(body, "body " + std::string(kPiece * kPieces, 'x') + "end");
  // A long first line that is no header ends the header section.
  recs = {{'T', "1 0"}, {'S', "a@x"}, {'R', "b@y"}, {'M', ""}};
  long_line("no header here ", &recs);
  recs.push_back({'E', ""});
  run = Process(recs);
  ASSERT_TRUE(run.verdict.ok()) << run.verdict.reason;
  EXPECT_TRUE(run.out.Has("N ")) << "the header section ends before it";
  EXPECT_TRUE(run.out.Has("N end"));
}

TEST_F(MessageTest, SegmentsMakeOneLine) {
  std::vector<util::Record> recs = {{'T', "1 0"}, {'A', "rewrite_context=remote"},
                                    {'S', ""},    {'R', "b@y"},
                                    {'M', ""},    {'N', ""},
                                    {'L', "abc"}, {'L', "def"},
                                    {'N', "g"},   {'E', ""}};
  Outcome run = Process(recs);
  EXPECT_EQ(run.out.Lines(), std::vector<std::string>({"", "abcdefg"}));
}

TEST_F(MessageTest, HeaderSizeLimitTruncates) {
  settings.header_size_limit = 30;
  Outcome run = Process(Msg(
      "a@x", {"b@y"},
      {"Subject: 0123456789", "\tabcdefghij", "\tklmnopqrst", "\tmore", "X-Next: ok", "", "body"}));
  EXPECT_TRUE(run.verdict.ok());
  EXPECT_EQ(run.out.Lines(), std::vector<std::string>(
                                 {"Subject: 0123456789", "\tabcdefghi", "X-Next: ok", "", "body"}));
}

TEST_F(MessageTest, HopCount) {
  settings.hopcount_limit = 2;
  Outcome run =
      Process(Msg("a@x", {"b@y"}, {"Received: 1", "Received: 2", "Received: 3", "", "body"}));
  EXPECT_EQ(run.verdict.status, 5);
  EXPECT_EQ(run.verdict.dsn, "5.4.0");
  run = Process(Msg("a@x", {"b@y"}, {"Received: 1", "Received: 2", "", "body"}));
  EXPECT_TRUE(run.verdict.ok());
}

TEST_F(MessageTest, BodyWithoutSeparatorGetsOne) {
  Outcome run = Process(Msg("a@x", {"b@y"}, {"Subject: s", "no header here", "x"}));
  EXPECT_EQ(run.out.Lines(), std::vector<std::string>({"Subject: s", "", "no header here", "x"}));
  run = Process(Msg("a@x", {"b@y"}, {}));
  EXPECT_TRUE(run.verdict.ok());
  EXPECT_TRUE(run.out.Lines().empty());
}

TEST_F(MessageTest, ProtocolErrors) {
  struct Row {
    const char* name;
    std::vector<util::Record> records;
  } rows[] = {
      {"recipient before sender", {{'T', "1 0"}, {'R', "b@y"}, {'S', ""}, {'M', ""}, {'E', ""}}},
      {"missing time", {{'S', ""}, {'R', "b@y"}, {'M', ""}, {'E', ""}}},
      {"missing sender", {{'T', "1 0"}, {'M', ""}, {'E', ""}}},
      {"two senders", {{'T', "1 0"}, {'S', ""}, {'S', "x"}, {'M', ""}, {'E', ""}}},
      {"bad time", {{'T', "soon"}, {'S', ""}, {'M', ""}, {'E', ""}}},
      {"bad attribute", {{'T', "1 0"}, {'A', "Bad Name=x"}, {'S', ""}, {'M', ""}, {'E', ""}}},
      {"bad rewrite context",
       {{'T', "1 0"}, {'A', "rewrite_context=x"}, {'S', ""}, {'M', ""}, {'E', ""}}},
      {"sender in content",
       {{'T', "1 0"}, {'S', ""}, {'R', "b@y"}, {'M', ""}, {'S', "x"}, {'E', ""}}},
      {"unknown type", {{'T', "1 0"}, {'Z', ""}, {'E', ""}}},
      {"no content", {{'T', "1 0"}, {'S', ""}, {'R', "b@y"}, {'E', ""}}},
      {"bad notify", {{'T', "1 0"}, {'S', ""}, {'n', "99"}, {'R', "b@y"}, {'M', ""}, {'E', ""}}},
  };
  for (const Row& r : rows) {
    Outcome run = Process(r.records);
    EXPECT_TRUE(run.done) << r.name;
    EXPECT_EQ(run.verdict.status, 4) << r.name;
    EXPECT_EQ(run.verdict.dsn, "4.3.0") << r.name;
    EXPECT_EQ(run.verdict.reason, "Internal protocol error") << r.name;
  }
}

TEST_F(MessageTest, ExtraSection) {
  std::vector<util::Record> recs = {{'T', "1 0"}, {'S', "a@x"}, {'M', ""},           {'N', ""},
                                    {'X', ""},    {'A', "k=v"}, {'o', "rfc822;b@y"}, {'n', "6"},
                                    {'R', "b@y"}, {'E', ""}};
  Outcome run = Process(recs);
  EXPECT_TRUE(run.verdict.ok()) << run.verdict.reason;
  EXPECT_EQ(run.out.records.back(), "R b@y orig=b@y orcpt=rfc822;b@y notify=6");
  EXPECT_TRUE(run.out.Has("A k=v"));
}

}  // namespace
}  // namespace cleanup
