#include "tlsmgr/keyring.h"

#include <gtest/gtest.h>

#include "global/tlsmgr_client.h"
#include "tlsmgr/service.h"

namespace tlsmgr {
namespace {

TEST(KeyRing, RotatesAndKeepsThePreviousKeyForOnePeriod) {
  long now = 1000;
  KeyRing ring(120, [&] { return now; });
  auto first = ring.Current();
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->expires, 1120);
  now = 1119;
  EXPECT_EQ(ring.Current()->name, first->name);
  now = 1120;  // expired for new tickets: a new key
  auto second = ring.Current();
  ASSERT_TRUE(second.ok());
  EXPECT_NE(second->name, first->name);
  ASSERT_TRUE(ring.Find(first->name));  // still opens tickets
  now = 1239;
  EXPECT_TRUE(ring.Find(first->name));
  now = 1240;  // a ticket made with it would be older than the lifetime
  EXPECT_FALSE(ring.Find(first->name));
  EXPECT_TRUE(ring.Find(second->name));
}

TEST(Service, AnswersTheCurrentKeyAndNamedKeys) {
  long now = 5000;
  KeyRing ring(3600, [&] { return now; });
  auto reply = Handle(ring, {{"request", "tktkey"}, {"keyname", ""}});
  ASSERT_TRUE(reply.ok());
  EXPECT_EQ(*reply->Get("status"), "0");
  auto key = util::tls::DecodeTicketKey(*reply->Get("key"));
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(key->expires, 8600);
  std::string hex = util::tls::TicketKeyNameHex(key->name);
  reply = Handle(ring, {{"request", "tktkey"}, {"keyname", hex}});
  ASSERT_TRUE(reply.ok());
  EXPECT_EQ(util::tls::EncodeTicketKey(*util::tls::DecodeTicketKey(*reply->Get("key"))),
            util::tls::EncodeTicketKey(*key));
  reply = Handle(ring, {{"request", "tktkey"}, {"keyname", std::string(32, '0')}});
  ASSERT_TRUE(reply.ok());
  EXPECT_EQ(*reply->Get("status"), "1");
  EXPECT_FALSE(Handle(ring, {{"request", "tktkey"}, {"keyname", "xyz"}}).ok());
  EXPECT_FALSE(Handle(ring, {{"request", "tktkey"}}).ok());
  reply = Handle(ring, {{"request", "seed"}});
  ASSERT_TRUE(reply.ok());
  EXPECT_EQ(*reply->Get("status"), "1");
}

}  // namespace
}  // namespace tlsmgr
