#include "global/showq_client.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

namespace showq_client {
namespace {

Message Sample() {
  Message m;
  m.queue_name = "deferred";
  m.queue_id = "3F2A1B2C9";
  m.arrival_time = 1700000000;
  m.message_size = 1234;
  m.sender = "alice@example.com";
  m.recipients = {{"bob@example.net", "connect to mx: Connection refused"},
                  {"carol@example.org", "connect to mx: Connection refused"},
                  {"dan@x.org", ""}};
  return m;
}

class ShowqTest : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("TZ", "UTC", 1);
    tzset();
  }
};

TEST_F(ShowqTest, EncodeDecodeRoundTrip) {
  Message m = Sample();
  m.forced_expire = true;
  auto back = Decode(Encode(m));
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(*back, m);
}

TEST_F(ShowqTest, DecodeErrors) {
  struct Case {
    const char* name;
    std::function<void(util::AttrList&)> edit;
    const char* want;
  } cases[] = {
      {"missing sender", [](util::AttrList& l) { l.Erase("sender"); }, "missing attribute: sender"},
      {"missing recipient", [](util::AttrList& l) { l.Erase("recipient_1"); },
       "missing attribute: recipient_1"},
      {"unknown", [](util::AttrList& l) { l.Set("color", "red"); }, "unknown attribute: color"},
      {"reason beyond count", [](util::AttrList& l) { l.Set("delay_reason_9", "x"); },
       "unknown attribute: delay_reason_9"},
      {"bad size", [](util::AttrList& l) { l.Set("message_size", "big"); },
       "bad numerical attribute message_size=big"},
  };
  for (const Case& c : cases) {
    util::AttrList l = Encode(Sample());
    c.edit(l);
    auto m = Decode(l);
    ASSERT_FALSE(m.ok()) << c.name;
    EXPECT_EQ(m.status().message(), c.want) << c.name;
  }
}

TEST_F(ShowqTest, MailqFormat) {
  MailqFormatter f(false);
  Message held = Sample();
  held.queue_name = "hold";
  held.recipients = {{"ünï@example.net", ""}};
  held.sender = "jösé@exämple.com\x01";
  std::string out = f.Format(Sample());
  out += f.Format(held);
  out += f.Finish();
  EXPECT_EQ(out,
            "-Queue ID-  --Size-- ----Arrival Time---- -Sender/Recipient-------\n"
            "3F2A1B2C9      1234 Tue Nov 14 22:13:20  alice@example.com\n"
            "                                           (connect to mx: Connection refused)\n"
            "                                         bob@example.net\n"
            "                                         carol@example.org\n"
            "                                                          (reason unavailable)\n"
            "                                         dan@x.org\n"
            "\n"
            "3F2A1B2C9!     1234 Tue Nov 14 22:13:20  jösé@exämple.com?\n"
            "                                         ünï@example.net\n"
            "\n"
            "-- 2 Kbytes in 2 Requests.\n");
  EXPECT_EQ(MailqFormatter(false).Finish(), "Mail queue is empty\n");
  MailqFormatter one(false);
  one.Format(Sample());
  EXPECT_EQ(one.Finish(), "\n-- 1 Kbytes in 1 Request.\n");
}

TEST_F(ShowqTest, MailqLongIds) {
  MailqFormatter f(true);
  Message m = Sample();
  m.queue_name = "active";
  m.queue_id = "4QkQpJ1Ydqz4Rs2";
  m.recipients.resize(1);
  m.recipients[0].delay_reason.clear();
  EXPECT_EQ(f.Format(m),
            "----Queue ID----- --Size-- ---Arrival Time---- --Sender/Recipient------\n"
            "4QkQpJ1Ydqz4Rs2*      1234 Tue Nov 14 22:13:20 alice@example.com\n"
            "                                               bob@example.net\n");
}

TEST_F(ShowqTest, Json) {
  EXPECT_EQ(FormatJson(Sample()),
            "{\"queue_name\": \"deferred\", \"queue_id\": \"3F2A1B2C9\", \"arrival_time\": "
            "1700000000, \"message_size\": 1234, \"forced_expire\": false, \"sender\": "
            "\"alice@example.com\", \"recipients\": [{\"address\": \"bob@example.net\", "
            "\"delay_reason\": \"connect to mx: Connection refused\"}, {\"address\": "
            "\"carol@example.org\", \"delay_reason\": \"connect to mx: Connection refused\"}, "
            "{\"address\": \"dan@x.org\"}]}\n");
  struct Case {
    std::string in, want;
  } cases[] = {
      {"plain", "\"plain\""},
      {"q\"b\\", "\"q\\\"b\\\\\""},
      {"a\tb\nc\r\b\f", "\"a\\tb\\nc\\r\\b\\f\""},
      {std::string("x\x01\x7fy"), "\"x\\u0001\\u007Fy\""},
      {"ünï", "\"ünï\""},
      {"bad\xff\xc3", "\"bad??\""},
      {"/slash", "\"/slash\""},
  };
  for (const Case& c : cases) EXPECT_EQ(JsonQuote(c.in), c.want) << c.in;
}

TEST_F(ShowqTest, PrintableUtf8) {
  struct Case {
    std::string in, want;
  } cases[] = {
      {"abc", "abc"},
      {"jösé", "jösé"},
      {"a\tb", "a?b"},
      {"\xed\xa0\x80", "???"},  // a surrogate is not UTF-8
      {"\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80"},
      {"\xc0\xaf", "??"},  // overlong
  };
  for (const Case& c : cases) EXPECT_EQ(PrintableUtf8(c.in), c.want) << c.in;
}

TEST_F(ShowqTest, ReadListing) {
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  std::string bytes = util::EncodeAttrList(Encode(Sample())) + util::EncodeAttrList({});
  ASSERT_EQ(write(sv[1], bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  util::Stream s{util::Fd(sv[0])};
  s.set_timeout(5);
  std::vector<Message> got;
  util::Status st = ReadListing(s, [&](const Message& m) {
    got.push_back(m);
    return util::OkStatus();
  });
  EXPECT_TRUE(st.ok()) << st.message();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0], Sample());
  // Without the end marker: malformed.
  std::string half = util::EncodeAttrList(Encode(Sample()));
  ASSERT_EQ(write(sv[1], half.data(), half.size()), static_cast<ssize_t>(half.size()));
  close(sv[1]);
  got.clear();
  st = ReadListing(s, [&](const Message& m) {
    got.push_back(m);
    return util::OkStatus();
  });
  EXPECT_EQ(st.message(), "malformed showq server response");
}

}  // namespace
}  // namespace showq_client
