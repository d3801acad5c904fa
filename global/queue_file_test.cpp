#include "global/queue_file.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/fd.h"
#include "util/files.h"
#include "util/scratch_dir.h"
#include "util/strings.h"

namespace queue_file {
namespace {

Recipient Rcpt(std::string address) {
  Recipient r;
  r.address = std::move(address);
  return r;
}

class QueueFileTest : public testing::Test {
 protected:
  void SetUp() override {
    layout_.queue_directory = dir_.path();
    for (auto q : mail_queue::MessageQueues())
      ASSERT_TRUE(util::MakeDirs(layout_.QueueDir(q), 0700).ok());
  }

  std::string WriteSample(bool with_extra) {
    auto w = Writer::Create(layout_, mail_queue::kIncoming);
    EXPECT_TRUE(w.ok()) << w.status().message();
    w->SetArrival(1763719963, 42);
    w->AddAttr("client_name", "localhost");
    w->AddAttr("client_address", "127.0.0.1");
    w->SetSender("alice@example.com");
    Recipient bob = Rcpt("bob@example.net");
    bob.original = "Bob@Example.NET";
    bob.dsn_orcpt = "rfc822;Bob@Example.NET";
    bob.dsn_notify = kNotifySuccess | kNotifyFailure;
    w->AddRecipient(bob);
    w->AddRecipient(Rcpt("carol@example.net"));
    w->BeginContent();
    w->AddLine("Subject: hello");
    w->AddLine("");
    w->AddLine("body with \xe3\x81\x82 and a NUL \0 inside");
    w->AddLine(std::string(200000, 'x'));  // longer than one segment
    w->AddLine(".");
    if (with_extra) w->AddRecipient(Rcpt("dave@example.org"));
    auto id = w->Finish();
    EXPECT_TRUE(id.ok()) << id.status().message();
    return id.ok() ? *id : "";
  }

  util::testing::ScratchDir dir_;
  mail_queue::Layout layout_;
};

TEST_F(QueueFileTest, RoundTrip) {
  std::string id = WriteSample(true);
  std::string path = layout_.Path(mail_queue::kIncoming, id);
  EXPECT_TRUE(Reader::IsReady(path));
  auto r = Reader::Open(path);
  ASSERT_TRUE(r.ok()) << r.status().message();
  const Envelope& e = r->envelope();
  EXPECT_EQ(e.arrival_sec, 1763719963);
  EXPECT_EQ(e.arrival_usec, 42);
  EXPECT_EQ(e.sender, "alice@example.com");
  EXPECT_EQ(e.Attr("client_address"), "127.0.0.1");
  EXPECT_FALSE(e.Attr("nothere"));
  ASSERT_EQ(e.recipients.size(), 3u);
  EXPECT_EQ(e.recipients[0].address, "bob@example.net");
  EXPECT_EQ(e.recipients[0].original, "Bob@Example.NET");
  EXPECT_EQ(e.recipients[0].dsn_orcpt, "rfc822;Bob@Example.NET");
  EXPECT_EQ(e.recipients[0].dsn_notify, kNotifySuccess | kNotifyFailure);
  EXPECT_EQ(e.recipients[1].address, "carol@example.net");
  EXPECT_EQ(e.recipients[1].original, "");
  EXPECT_EQ(e.recipients[2].address, "dave@example.org");  // from the extra section
  EXPECT_EQ(e.LiveRecipients(), 3u);

  std::vector<std::string> lines;
  ASSERT_TRUE(r->ReadContent([&](std::string_view l) { lines.emplace_back(l); }).ok());
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_EQ(lines[0], "Subject: hello");
  EXPECT_EQ(lines[2], std::string("body with \xe3\x81\x82 and a NUL \0 inside"));
  EXPECT_EQ(lines[3], std::string(200000, 'x'));
  EXPECT_EQ(lines[4], ".");
  size_t size = 0;
  for (const auto& l : lines) size += l.size() + 1;
  EXPECT_EQ(e.content_size, size);
}

TEST_F(QueueFileTest, MarkDoneRewritesInPlace) {
  std::string id = WriteSample(false);
  std::string path = layout_.Path(mail_queue::kIncoming, id);
  {
    auto r = Reader::OpenForUpdate(path);
    ASSERT_TRUE(r.ok());
    Recipient rc = r->envelope().recipients[0];
    ASSERT_TRUE(r->MarkDone(rc).ok());
    EXPECT_TRUE(rc.done);
  }
  auto r = Reader::Open(path);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->envelope().recipients[0].done);
  EXPECT_FALSE(r->envelope().recipients[1].done);
  EXPECT_EQ(r->envelope().LiveRecipients(), 1u);
}

TEST_F(QueueFileTest, UnfinishedFileIsNotReadyAndRemovedOnAbort) {
  for (bool unnamed : {true, false}) {
    SCOPED_TRACE(unnamed ? "unnamed" : "temporary name");
    layout_.unnamed_files = unnamed;
    std::string path;
    {
      auto w = Writer::Create(layout_, mail_queue::kIncoming);
      ASSERT_TRUE(w.ok());
      path = w->path();
      w->SetSender("a@b");
      w->BeginContent();
      w->AddLine("x");
      EXPECT_FALSE(Reader::IsReady(path));
      auto r = Reader::Open(path);
      ASSERT_FALSE(r.ok());
      // Unnamed: not there at all; named: there but not ready.
      EXPECT_EQ(r.status().code(), unnamed ? util::Code::kNotFound : util::Code::kUnavailable);
    }  // destroyed unfinished: removed
    EXPECT_FALSE(util::FileExists(path));
    auto listed = mail_queue::ListQueue(layout_, mail_queue::kIncoming);
    ASSERT_TRUE(listed.ok());
    EXPECT_TRUE(listed->empty());
  }
}

TEST_F(QueueFileTest, FinishedFileIsReadyBothWays) {
  for (bool unnamed : {true, false}) {
    SCOPED_TRACE(unnamed ? "unnamed" : "temporary name");
    layout_.unnamed_files = unnamed;
    auto w = Writer::Create(layout_, mail_queue::kIncoming);
    ASSERT_TRUE(w.ok());
    w->SetSender("a@b");
    queue_file::Recipient rc;
    rc.address = "c@d";
    w->AddRecipient(rc);
    w->BeginContent();
    w->AddLine("x");
    ASSERT_TRUE(w->MoveTo(layout_, mail_queue::kHold).ok());
    auto id = w->Finish();
    ASSERT_TRUE(id.ok()) << id.status().message();
    std::string path = layout_.Path(mail_queue::kHold, *id);
    EXPECT_TRUE(Reader::IsReady(path));
    auto r = Reader::Open(path);
    ASSERT_TRUE(r.ok()) << r.status().message();
    EXPECT_EQ(r->envelope().sender, "a@b");
    auto listed = mail_queue::ListQueue(layout_, mail_queue::kIncoming);
    ASSERT_TRUE(listed.ok());
    EXPECT_TRUE(listed->empty());
    unlink(path.c_str());
  }
}

TEST_F(QueueFileTest, TruncatedReadyFileIsCorrupt) {
  std::string id = WriteSample(false);
  std::string path = layout_.Path(mail_queue::kIncoming, id);
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  ASSERT_EQ(truncate(path.c_str(), st.st_size - 3), 0);
  auto r = Reader::Open(path);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), util::Code::kInvalidArgument);
  EXPECT_NE(r.status().message().find("corrupt queue file"), std::string::npos)
      << r.status().message();
}

TEST_F(QueueFileTest, GarbageIsCorruptNotACrash) {
  std::string path = layout_.QueueDir(mail_queue::kIncoming) + "/3F2A1B2C";
  ASSERT_TRUE(util::AtomicReplace(path, "this is not a queue file\n", 0700).ok());
  auto r = Reader::Open(path);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), util::Code::kInvalidArgument);
}

// The size record's offsets must point at the M and X records: an offset
// into the middle of a record would read its data as records (and
// MarkDone would rewrite a byte of it). Found by the queue_file fuzz target.
TEST_F(QueueFileTest, SizeRecordOffsetsMustPointAtRecords) {
  std::string path = layout_.Path(mail_queue::kIncoming, WriteSample(true));
  auto good = Reader::Open(path);
  ASSERT_TRUE(good.ok()) << good.status().message();
  const uint64_t content = good->envelope().content_offset;
  auto with_offsets = [&](uint64_t content_offset, uint64_t extra_offset) {
    std::string size = util::StrFormat("%15llu %15llu %15llu %15llu",
                                       static_cast<unsigned long long>(content_offset), 1ull, 1ull,
                                       static_cast<unsigned long long>(extra_offset));
    std::string rec = "C" + std::to_string(size.size()) + ":" + size + "\n";
    util::Fd fd(open(path.c_str(), O_WRONLY));
    EXPECT_EQ(pwrite(fd.get(), rec.data(), rec.size(), 0), static_cast<ssize_t>(rec.size()));
    return Reader::Open(path);
  };
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  // The extra section: "X0:\n" then dave's record, then "E0:\n" at the end.
  const uint64_t extra = static_cast<uint64_t>(st.st_size) - 4 - 21 - 4;
  ASSERT_TRUE(with_offsets(content, extra).ok());
  for (auto [c, x] : {std::pair<uint64_t, uint64_t>{content + 1, extra},  // inside M
                      {content - 5, extra},                               // an envelope record
                      {content, extra + 4},                               // dave's R, not X
                      {content, extra + 6},                               // inside dave's R
                      {content, content}}) {
    auto r = with_offsets(c, x);
    ASSERT_FALSE(r.ok()) << c << " " << x;
    EXPECT_NE(r.status().message().find("corrupt queue file"), std::string::npos)
        << r.status().message();
  }
}

TEST_F(QueueFileTest, NullSenderAndNoRecipients) {
  auto w = Writer::Create(layout_, mail_queue::kIncoming);
  ASSERT_TRUE(w.ok());
  w->SetSender("");
  auto id = w->Finish();
  ASSERT_TRUE(id.ok());
  auto r = Reader::Open(layout_.Path(mail_queue::kIncoming, *id));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->envelope().sender, "");
  EXPECT_TRUE(r->envelope().recipients.empty());
}

}  // namespace
}  // namespace queue_file

namespace queue_file {
namespace {

TEST(AddEnvelopeRecordTest, CollectsRecipientsAndRefusesBadAttributes) {
  Envelope env;
  Recipient pending;
  auto add = [&](char type, std::string data) {
    return AddEnvelopeRecord(util::Record{type, std::move(data)}, &env, &pending);
  };
  EXPECT_TRUE(*add(kSender, "a@example.com"));
  EXPECT_TRUE(*add(kAttr, "rewrite_context=local"));
  EXPECT_TRUE(*add(kOriginal, "B@example.com"));
  EXPECT_TRUE(*add(kDsnOrcpt, "rfc822;b@example.com"));
  EXPECT_TRUE(*add(kDsnNotify, "6"));
  EXPECT_TRUE(*add(kRecipient, "b@example.com"));
  EXPECT_TRUE(*add(kDone, "c@example.com"));
  EXPECT_FALSE(*add(kMessage, ""));
  EXPECT_FALSE(add(kAttr, "no-equals-sign").ok());
  EXPECT_EQ(env.sender, "a@example.com");
  ASSERT_EQ(env.attrs.size(), 1u);
  EXPECT_EQ(env.attrs[0].second, "local");
  ASSERT_EQ(env.recipients.size(), 2u);
  EXPECT_EQ(env.recipients[0].original, "B@example.com");
  EXPECT_EQ(env.recipients[0].dsn_orcpt, "rfc822;b@example.com");
  EXPECT_EQ(env.recipients[0].dsn_notify, 6);
  EXPECT_FALSE(env.recipients[0].done);
  // The O/ORCPT/NOTIFY of one recipient never carry over to the next.
  EXPECT_EQ(env.recipients[1].original, "");
  EXPECT_TRUE(env.recipients[1].done);
}

}  // namespace
}  // namespace queue_file
