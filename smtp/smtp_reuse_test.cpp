#include "smtp/smtp_reuse.h"

#include <gtest/gtest.h>

namespace smtp {
namespace {

TEST(SmtpReuse, Labels) {
  EXPECT_EQ(EndpointLabel("relay", "192.0.2.1", 25), "relay|192.0.2.1:25");
  EXPECT_EQ(EndpointLabel("lmtp", "private/dovecot-lmtp", 0), "lmtp|private/dovecot-lmtp");
}

TEST(SmtpReuse, RoundTripKeepsWhatTheServerOffered) {
  smtp_reply::Reply r;
  r.code = 250;
  r.lines = {"250-mx.example.com",
             "250-PIPELINING",
             "250-SIZE 10240000",
             "250-8BITMIME",
             "250-DSN",
             "250-SMTPUTF8",
             "250-XFORWARD NAME ADDR PROTO HELO",
             "250 AUTH PLAIN LOGIN"};
  ReuseState st{"mx.example.com[192.0.2.1]", 3, 1700000000, smtp_reply::ParseEhlo(r)};
  std::optional<ReuseState> back = DecodeReuse(EncodeReuse(st));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->host, st.host);
  EXPECT_EQ(back->uses, 3);
  EXPECT_EQ(back->since, 1700000000);
  const smtp_reply::Ehlo& e = back->ehlo;
  EXPECT_TRUE(e.pipelining);
  EXPECT_TRUE(e.size);
  EXPECT_EQ(e.size_limit, 10240000);
  EXPECT_TRUE(e.eight_bit_mime);
  EXPECT_TRUE(e.dsn);
  EXPECT_TRUE(e.smtputf8);
  EXPECT_FALSE(e.starttls);
  EXPECT_EQ(e.xforward, st.ehlo.xforward);
  EXPECT_EQ(e.auth_mechanisms, st.ehlo.auth_mechanisms);
  EXPECT_EQ(e.keywords, st.ehlo.keywords);
}

TEST(SmtpReuse, NothingOffered) {
  ReuseState st{"h[192.0.2.1]", 1, 5, {}};
  auto back = DecodeReuse(EncodeReuse(st));
  ASSERT_TRUE(back);
  EXPECT_FALSE(back->ehlo.pipelining);
  EXPECT_TRUE(back->ehlo.keywords.empty());
}

TEST(SmtpReuse, ForeignTextIsRefused) {
  EXPECT_FALSE(DecodeReuse(""));
  EXPECT_FALSE(DecodeReuse("x\t1\th"));
  EXPECT_FALSE(DecodeReuse("0\t1\th"));
  EXPECT_FALSE(DecodeReuse("1\t1\t"));
}

}  // namespace
}  // namespace smtp
