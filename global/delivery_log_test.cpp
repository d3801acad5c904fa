#include "global/delivery_log.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "util/attr.h"
#include "util/scratch_dir.h"

namespace delivery_log {
namespace {

class DeliveryLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    layout_.queue_directory = dir_.path();
    layout_.hashed = {"deferred", "defer"};
    std::filesystem::create_directories(layout_.QueueDir("defer"));
  }
  util::testing::ScratchDir dir_;
  mail_queue::Layout layout_;
};

Entry Full() {
  Entry e;
  e.recipient = "bob@example.net";
  e.status = "4.4.1";
  e.action = "delayed";
  e.reason = "connect to mx: Connection refused";
  e.original_recipient = "Bob@Example.NET";
  e.dsn_orcpt = "rfc822;bob@example.net";
  e.dsn_notify = 12;
  e.offset = 123;
  e.diag_type = "smtp";
  e.diag_text = "450 busy";
  e.mta_type = "dns";
  e.mta_name = "mx.example.net";
  return e;
}

TEST(DeliveryLogAttrs, RoundTrip) {
  Entry minimal;
  minimal.recipient = "a@b";
  minimal.status = "5.1.1";
  minimal.action = "failed";
  minimal.reason = "no such user";
  for (const Entry& e : {Full(), minimal}) {
    auto back = FromAttrs(ToAttrs(e));
    ASSERT_TRUE(back.ok()) << back.status().message();
    EXPECT_EQ(*back, e);
  }
  EXPECT_EQ(ToAttrs(minimal).size(), 4u);  // optional fields left out
}

TEST(DeliveryLogAttrs, Errors) {
  struct Case {
    const char* name;
    util::AttrList attrs;
    const char* want;  // "" = ok
  } cases[] = {
      {"missing reason",
       {{"recipient", "a"}, {"status", "4.0.0"}, {"action", "delayed"}},
       "missing attribute: reason"},
      {"bad offset",
       {{"recipient", "a"}, {"status", "4.0.0"}, {"action", "d"}, {"reason", "r"}, {"offset", "x"}},
       "bad numerical attribute offset=x"},
      {"unknown ignored",
       {{"recipient", "a"}, {"status", "4.0.0"}, {"action", "d"}, {"reason", "r"}, {"new", "x"}},
       ""},
  };
  for (const Case& c : cases) {
    auto e = FromAttrs(c.attrs);
    if (*c.want == 0) {
      EXPECT_TRUE(e.ok()) << c.name;
    } else {
      ASSERT_FALSE(e.ok()) << c.name;
      EXPECT_EQ(e.status().message(), c.want) << c.name;
    }
  }
}

TEST_F(DeliveryLogTest, AppendReadRemove) {
  const std::string id = "3F2A1B2C";
  std::string path = Path(layout_, mail_queue::kDefer, id);
  EXPECT_EQ(path, layout_.queue_directory + "/defer/3/3F2A1B2C");
  EXPECT_EQ(Read(path).status().code(), util::Code::kNotFound);
  Entry a = Full(), b = Full();
  b.recipient = "carol@example.org";
  b.reason = "line\nbreak and \"quotes\"";
  ASSERT_TRUE(Append(layout_, mail_queue::kDefer, id, a).ok());
  ASSERT_TRUE(Append(layout_, mail_queue::kDefer, id, b).ok());
  auto got = Read(path);
  ASSERT_TRUE(got.ok()) << got.status().message();
  ASSERT_EQ(got->size(), 2u);
  EXPECT_EQ((*got)[0], a);
  EXPECT_EQ((*got)[1], b);
  // A truncated last entry (crash during an append) is ignored.
  {
    std::ofstream f(path, std::ios::app);
    f << "recipient=3:abc\nstatus=5:4.";
  }
  got = Read(path);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->size(), 2u);
  ASSERT_TRUE(Remove(layout_, mail_queue::kDefer, id).ok());
  EXPECT_TRUE(Remove(layout_, mail_queue::kDefer, id).ok());  // already gone
  EXPECT_FALSE(std::filesystem::exists(path));
  EXPECT_FALSE(Append(layout_, mail_queue::kDefer, "../x", a).ok());
}

TEST_F(DeliveryLogTest, CorruptEntry) {
  std::string path = layout_.queue_directory + "/defer/bad";
  {
    std::ofstream f(path);
    f << util::EncodeAttrList({{"recipient", "a"}}) << "junk\n";
  }
  auto got = Read(path);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().message(), "corrupt delivery log " + path + ": missing attribute: status");
}

}  // namespace
}  // namespace delivery_log
