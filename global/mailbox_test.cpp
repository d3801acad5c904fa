// Unit tests of the mailbox writers shared by virtual and local: message
// copy, Maildir and mbox delivery, Maildir++ quota, in a temporary
// directory as the current user.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <vector>

#include "global/mail_copy.h"
#include "global/mailbox_testing.h"
#include "global/maildir.h"
#include "global/maildir_quota.h"
#include "global/mbox.h"

#include "util/files.h"
#include "util/scratch_dir.h"

namespace mailbox {
namespace {

using util::testing::ScratchDir;

using testing::List;
using testing::Make;
using testing::Read;

TEST(CopyTest, StylesAndQuoting) {
  ScratchDir t;
  struct {
    const char* name;
    CopyStyle style;
    std::vector<std::string> lines;
    std::string want_suffix;
  } rows[] = {
      {"maildir",
       CopyStyle::kMaildir,
       {"Subject: x", "", "From me", "\xe6\x97\xa5"},
       "Delivered-To: bob@example.jp\nSubject: x\n\nFrom me\n\xe6\x97\xa5\n"},
      {"mbox quotes From and ends blank",
       CopyStyle::kMbox,
       {"Subject: x", "", "From me", ">From"},
       "Delivered-To: bob@example.jp\nSubject: x\n\n>From me\n>From\n\n"},
  };
  for (const auto& r : rows) {
    std::string path = t.path() + "/" + r.name;
    util::Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT, 0600));
    FileWriter w(fd.get(), 0);
    CopyResult c = CopyMessage(Make(r.lines), r.style, &w);
    EXPECT_FALSE(c.loop) << r.name;
    EXPECT_EQ(c.err, 0) << r.name;
    std::string got = Read(path);
    std::string head = "Return-Path: <alice@example.com>\nX-Original-To: bob@example.jp\n";
    if (r.style == CopyStyle::kMbox) {
      EXPECT_EQ(got.rfind("From alice@example.com  ", 0), 0u) << got;
      got = got.substr(got.find('\n') + 1);
    }
    EXPECT_EQ(got, head + r.want_suffix) << r.name;
  }
}

TEST(CopyTest, DeliveredToLoopOnlyInHeader) {
  ScratchDir t;
  struct {
    std::vector<std::string> lines;
    bool loop;
  } rows[] = {
      {{"Delivered-To: BOB@Example.JP", "Subject: x", "", "b"}, true},
      {{"delivered-to:   bob@example.jp  ", "", "b"}, true},
      {{"Delivered-To: other@example.jp", "", "b"}, false},
      {{"Subject: x", "", "Delivered-To: bob@example.jp"}, false},
  };
  for (const auto& r : rows) {
    util::Fd fd(::open((t.path() + "/f").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600));
    FileWriter w(fd.get(), 0);
    EXPECT_EQ(CopyMessage(Make(r.lines), CopyStyle::kMaildir, &w).loop, r.loop) << r.lines[0];
  }
}

TEST(CopyTest, SizeLimitIsEfbig) {
  ScratchDir t;
  util::Fd fd(::open((t.path() + "/f").c_str(), O_WRONLY | O_CREAT, 0600));
  FileWriter w(fd.get(), 100);
  CopyResult c =
      CopyMessage(Make({"Subject: x", "", std::string(200, 'a')}), CopyStyle::kMaildir, &w);
  EXPECT_EQ(c.err, EFBIG);
  EXPECT_EQ(c.what, "error writing message: File too large");
  EXPECT_EQ(MailboxDsn(EFBIG, "4.2.0"), "5.2.2");
  EXPECT_EQ(MailboxDsn(ENOSPC, "4.2.0"), "4.2.0");
}

TEST(MaildirQuotaTest, Parse) {
  struct {
    const char* text;
    bool ok;
    int64_t bytes, count, limit;
  } rows[] = {
      {"1000S\n10 1\n20 2\n", true, 30, 3, 1000},
      {"1000S,5C\n10 1\n-5 -1\n", true, 5, 0, 1000},
      {"500S\n\n7 1\n", true, 7, 1, 500},
      // Corrupt: the caller recalculates instead of trusting the sums.
      {"500S\n  junk\n7 1\n", false, 0, 0, 0},
      {"500S\n9223372036854775807 1\n1 1\n", false, 0, 0, 0},
      {"500S\n-9223372036854775807 1\n-9 1\n", false, 0, 0, 0},
      {"500S\n100 1\n-200 -1\n", false, 0, 0, 0},
      {"500S\n99999999999999999999 1\n", false, 0, 0, 0},
      {"garbage\n1 1\n", false, 0, 0, 0},
      {"", false, 0, 0, 0},
  };
  for (const auto& r : rows) {
    auto q = ParseMaildirSize(r.text);
    ASSERT_EQ(q.has_value(), r.ok) << r.text;
    if (!q) continue;
    EXPECT_EQ(q->bytes, r.bytes) << r.text;
    EXPECT_EQ(q->count, r.count) << r.text;
    EXPECT_EQ(q->limit_bytes.value_or(-1), r.limit) << r.text;
  }
  EXPECT_EQ(QuotaDefinition(1000), "1000S");
  EXPECT_EQ(QuotaDefinition(1000, 5), "1000S,5C");
  EXPECT_EQ(SizeFromName("1.M2P3Q4.host,S=4051:2,S").value_or(-1), 4051);
  EXPECT_EQ(SizeFromName("1.M2P3Q4.host,S=12"), std::optional<int64_t>(12));
  EXPECT_FALSE(SizeFromName("1.M2P3Q4.host:2,S").has_value());
}

TEST(MaildirQuotaTest, RecalculateRules) {
  ScratchDir t;
  std::string md = t.path() + "/md";
  for (const char* d : {"", "/new", "/cur", "/tmp", "/.Sent", "/.Sent/cur"})
    ASSERT_EQ(mkdir((md + d).c_str(), 0700), 0);
  std::ofstream(md + "/new/1.M1P1Q1.h,S=100") << "x";          // counts 100 by name
  std::ofstream(md + "/cur/2.M1P1Q1.h:2,S") << "12345";        // counts 5 by size
  std::ofstream(md + "/.Sent/cur/3.M1P1Q1.h,S=50:2,S") << "";  // folder counted
  std::ofstream(md + "/tmp/4.M1P1Q1.h,S=999") << "";           // tmp not counted
  // Missing: recalculated and written.
  auto q = ReadOrRecalculate(md, 1000, 1700000000);
  ASSERT_TRUE(q.ok());
  EXPECT_TRUE(q->recalculated);
  EXPECT_EQ(q->bytes, 155);
  EXPECT_EQ(q->count, 3);
  EXPECT_EQ(Read(md + "/maildirsize"), "1000S\n155 3\n");
  // Present and current: read as is (lines appended count).
  ASSERT_TRUE(AppendDelivery(md, 45).ok());
  q = ReadOrRecalculate(md, 1000, 1700000000);
  ASSERT_TRUE(q.ok());
  EXPECT_FALSE(q->recalculated);
  EXPECT_EQ(q->bytes, 200);
  // Another limit: the definition is rewritten from a scan.
  q = ReadOrRecalculate(md, 2000, 1700000000);
  ASSERT_TRUE(q.ok());
  EXPECT_TRUE(q->recalculated);
  EXPECT_EQ(Read(md + "/maildirsize"), "2000S\n155 3\n");
  // Over quota and older than 15 minutes: recalculated.
  std::ofstream(md + "/maildirsize") << "2000S\n5000 1\n";
  q = ReadOrRecalculate(md, 2000, time(nullptr) + 16 * 60);
  ASSERT_TRUE(q.ok());
  EXPECT_TRUE(q->recalculated);
  EXPECT_EQ(q->bytes, 155);
  // Corrupt or overflowing sums: recalculated, never a wrong decision.
  for (const char* bad : {"2000S\n9223372036854775807 1\n9223372036854775807 1\n",
                          "2000S\n-100000 -1\n", "2000S\n10 x\n"}) {
    std::ofstream(md + "/maildirsize") << bad;
    q = ReadOrRecalculate(md, 2000, 1700000000);
    ASSERT_TRUE(q.ok());
    EXPECT_TRUE(q->recalculated) << bad;
    EXPECT_EQ(q->bytes, 155) << bad;
  }
  // 5120 bytes or more: recalculated.
  std::string big = "2000S\n";
  while (big.size() < 5200) big += "1 1\n";
  std::ofstream(md + "/maildirsize") << big;
  q = ReadOrRecalculate(md, 2000, 1700000000);
  ASSERT_TRUE(q.ok());
  EXPECT_TRUE(q->recalculated);
}

TEST(MaildirTest, DeliversIntoNewWithUniqueNames) {
  ScratchDir t;
  std::string md = t.path() + "/example.jp/bob/";
  MaildirOptions o;
  o.hostname = SafeHostname("mx/1:2");
  EXPECT_EQ(o.hostname, "mx\\0571\\0722");
  o.extended_names = true;
  Result r = DeliverMaildir(Make({"Subject: hi", "", "body"}), md, o);
  EXPECT_EQ(r.outcome, Outcome::kSent);
  EXPECT_EQ(r.text, "delivered to maildir");
  Result r2 = DeliverMaildir(Make({"Subject: hi", "", "body"}), md, o);
  EXPECT_EQ(r2.outcome, Outcome::kSent);
  struct stat st;
  ASSERT_EQ(stat((md + "tmp").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  EXPECT_TRUE(List(md + "tmp").empty());
  auto names = List(md + "new");
  ASSERT_EQ(names.size(), 2u);
  EXPECT_NE(names[0], names[1]);
  for (const std::string& n : names) {
    std::string content = Read(md + "new/" + n);
    EXPECT_EQ(SizeFromName(n).value_or(-1), static_cast<int64_t>(content.size())) << n;
    EXPECT_NE(n.find(".M"), std::string::npos);
    EXPECT_NE(n.find("P" + std::to_string(getpid()) + "Q"), std::string::npos);
    EXPECT_NE(n.find(".mx\\0571\\0722,S="), std::string::npos) << n;
  }
}

TEST(MaildirTest, QuotaBounceDeferAndMaildirsize) {
  ScratchDir t;
  std::string md = t.path() + "/q/";
  MaildirOptions o;
  o.hostname = "h";
  o.quota_limit = 500;
  o.create_maildirsize = true;
  o.extended_names = true;
  o.limit_message = "over quota text";
  Message m = Make({"Subject: hi", "", std::string(100, 'x')});
  EXPECT_EQ(DeliverMaildir(m, md, o).outcome, Outcome::kSent);
  std::string ms = Read(md + "maildirsize");
  auto q = ParseMaildirSize(ms);
  ASSERT_TRUE(q.has_value()) << ms;
  EXPECT_EQ(q->count, 1);
  int64_t one = q->bytes;
  ASSERT_GT(one, 167);  // three do not fit in 500
  ASSERT_LE(one, 250);  // two do
  EXPECT_EQ(DeliverMaildir(m, md, o).outcome, Outcome::kSent);
  Result r = DeliverMaildir(m, md, o);
  EXPECT_EQ(r.outcome, Outcome::kDeferred);
  EXPECT_EQ(r.dsn, "4.2.2");
  EXPECT_EQ(r.text, "over quota text");
  o.overquota_bounce = true;
  r = DeliverMaildir(m, md, o);
  EXPECT_EQ(r.outcome, Outcome::kBounced);
  EXPECT_EQ(r.dsn, "5.2.2");
  EXPECT_EQ(List(md + "new").size(), 2u);
  EXPECT_TRUE(List(md + "tmp").empty());
}

TEST(MaildirTest, LoopAndPermissionErrors) {
  ScratchDir t;
  MaildirOptions o;
  o.hostname = "h";
  Result r = DeliverMaildir(Make({"Delivered-To: bob@example.jp", "", "b"}), t.path() + "/l/", o);
  EXPECT_EQ(r.outcome, Outcome::kBounced);
  EXPECT_EQ(r.dsn, "5.4.6");
  EXPECT_EQ(r.text, "mail forwarding loop for bob@example.jp");
  EXPECT_TRUE(List(t.path() + "/l/tmp").empty());
  EXPECT_TRUE(List(t.path() + "/l/new").empty());
  if (geteuid() == 0) return;  // root ignores permissions
  ASSERT_EQ(mkdir((t.path() + "/ro").c_str(), 0500), 0);
  r = DeliverMaildir(Make({"", "b"}), t.path() + "/ro/bob/", o);
  EXPECT_EQ(r.outcome, Outcome::kDeferred);
  EXPECT_EQ(r.dsn, "4.2.0");
  EXPECT_EQ(
      r.text.rfind("maildir delivery failed: create maildir file " + t.path() + "/ro/bob/tmp/", 0),
      0u)
      << r.text;
}

TEST(MboxTest, AppendsLocksAndTruncatesOnError) {
  ScratchDir t;
  std::string mbox = t.path() + "/bob";
  MboxOptions o;
  o.lock_attempts = 2;
  o.lock_delay_ms = 10;
  Result r = DeliverMbox(Make({"Subject: one", "", "From here"}), mbox, o);
  EXPECT_EQ(r.outcome, Outcome::kSent);
  EXPECT_EQ(r.text, "delivered to mailbox");
  r = DeliverMbox(Make({"Subject: two", "", "b"}), mbox, o);
  EXPECT_EQ(r.outcome, Outcome::kSent);
  std::string got = Read(mbox);
  EXPECT_NE(got.find("\n>From here\n\nFrom alice@example.com  "), std::string::npos) << got;
  EXPECT_FALSE(util::FileExists(mbox + ".lock"));
  // Size limit: bounced 5.2.2, the file is left as it was.
  o.size_limit = got.size() + 10;
  r = DeliverMbox(Make({"Subject: three", "", "b"}), mbox, o);
  EXPECT_EQ(r.outcome, Outcome::kBounced);
  EXPECT_EQ(r.dsn, "5.2.2");
  EXPECT_EQ(r.text, "cannot update mailbox " + mbox +
                        " for user bob@example.jp. error writing message: File too large");
  EXPECT_EQ(Read(mbox), got);
  // A fresh lock file held by someone else: deferred.
  o.size_limit = 0;
  std::ofstream(mbox + ".lock") << "";
  r = DeliverMbox(Make({"", "b"}), mbox, o);
  EXPECT_EQ(r.outcome, Outcome::kDeferred);
  EXPECT_EQ(r.text, "cannot update mailbox " + mbox +
                        " for user bob@example.jp. unable to "
                        "create lock file " +
                        mbox + ".lock: File exists");
  // A stale one is taken over.
  o.stale_lock_seconds = -1;
  EXPECT_EQ(DeliverMbox(Make({"", "b"}), mbox, o).outcome, Outcome::kSent);
  // Loop: bounced, truncated back.
  got = Read(mbox);
  r = DeliverMbox(Make({"Delivered-To: bob@example.jp", "", "b"}), mbox, o);
  EXPECT_EQ(r.dsn, "5.4.6");
  EXPECT_EQ(Read(mbox), got);
  auto locks = ParseLockMethods("fcntl, dotlock flock");
  ASSERT_TRUE(locks.has_value());
  EXPECT_EQ(locks->size(), 3u);
  std::string bad;
  EXPECT_FALSE(ParseLockMethods("fcntl, bogus", &bad).has_value());
  EXPECT_EQ(bad, "bogus");
}

}  // namespace
}  // namespace mailbox
