#include "tables/proxy_protocol.h"

#include <gtest/gtest.h>

namespace tables {
namespace {

TEST(ProxyProtocolTest, RequestsRoundTrip) {
  const ProxyRequest rows[] = {
      {ProxyOp::kOpen, "hash:/etc/postfix/virtual", kDefaultLookupFlags, "", ""},
      {ProxyOp::kLookup, "mysql:/etc/postfix/v.cf", 5, "bob@example.jp", ""},
      {ProxyOp::kUpdate, "btree:/var/lib/postfix/x", 1, "k", "v w"},
      {ProxyOp::kDelete, "lmdb:/x", 0, "k\nwith newline", ""},
  };
  for (const ProxyRequest& r : rows) {
    util::AttrList list = EncodeProxyRequest(r);
    auto wire = util::DecodeAttrList(util::EncodeAttrList(list));
    ASSERT_TRUE(wire.ok());
    auto back = DecodeProxyRequest(*wire);
    ASSERT_TRUE(back.ok()) << back.status().message();
    EXPECT_EQ(*back, r) << list.DebugString();
  }
}

TEST(ProxyProtocolTest, LookupWireFormat) {
  util::AttrList list = EncodeProxyRequest({ProxyOp::kLookup, "hash:/v", 1, "k", ""});
  EXPECT_EQ(util::EncodeAttrList(list),
            "request=6:lookup\ntable=7:hash:/v\nflags=1:1\nkey=1:k\n\n");
  EXPECT_EQ(util::EncodeAttrList(EncodeProxyReply({ProxyStatus::kOk, "v", std::nullopt})),
            "status=1:0\nvalue=1:v\n\n");
}

TEST(ProxyProtocolTest, BadRequests) {
  struct Row {
    util::AttrList list;
    const char* error;
  };
  const Row rows[] = {
      {{{"table", "a:b"}, {"flags", "0"}, {"key", "k"}}, "missing attribute: request"},
      {{{"request", "frob"}, {"table", "a:b"}, {"flags", "0"}}, "unknown proxymap request: frob"},
      {{{"request", "lookup"}, {"table", "a:b"}, {"flags", "0"}}, "missing attribute: key"},
      {{{"request", "open"}, {"table", "a:b"}, {"flags", "0"}, {"key", "k"}},
       "unknown attribute: key"},
      {{{"request", "lookup"}, {"table", "a:b"}, {"flags", "x"}, {"key", "k"}},
       "bad numerical attribute flags=x"},
      {{{"request", "lookup"}, {"table", "a:b"}, {"flags", "-1"}, {"key", "k"}},
       "bad numerical attribute flags=-1"},
  };
  for (const Row& r : rows) {
    auto got = DecodeProxyRequest(r.list);
    ASSERT_FALSE(got.ok()) << r.error;
    EXPECT_EQ(got.status().code(), util::Code::kInvalidArgument);
    EXPECT_EQ(got.status().message(), r.error);
  }
}

TEST(ProxyProtocolTest, Replies) {
  struct Row {
    util::AttrList list;
    std::optional<ProxyReply> want;
    const char* error;
  };
  const Row rows[] = {
      {{{"status", "0"}, {"value", "v"}}, ProxyReply{ProxyStatus::kOk, "v", std::nullopt}, ""},
      {{{"status", "1"}}, ProxyReply{ProxyStatus::kNotFound, "", std::nullopt}, ""},
      {{{"status", "2"}, {"value", "db down"}}, ProxyReply{ProxyStatus::kRetry, "db down", {}}, ""},
      {{{"status", "4"}}, ProxyReply{ProxyStatus::kDenied, "", std::nullopt}, ""},
      {{{"status", "0"}, {"flags", "3"}}, ProxyReply{ProxyStatus::kOk, "", 3u}, ""},
      {{{"status", "5"}}, std::nullopt, "bad proxymap status: 5"},
      {{{"value", "v"}}, std::nullopt, "missing attribute: status"},
      {{{"status", "0"}, {"extra", "1"}}, std::nullopt, "unknown attribute: extra"},
  };
  for (const Row& r : rows) {
    auto got = DecodeProxyReply(r.list);
    if (r.want) {
      ASSERT_TRUE(got.ok()) << got.status().message();
      EXPECT_EQ(*got, *r.want);
      auto again = DecodeProxyReply(EncodeProxyReply(*got));
      ASSERT_TRUE(again.ok());
      EXPECT_EQ(*again, *got);
    } else {
      ASSERT_FALSE(got.ok());
      EXPECT_EQ(got.status().message(), r.error);
    }
  }
}

TEST(ProxyProtocolTest, ReplyFromLookup) {
  EXPECT_EQ(ProxyReplyFromLookup(LookupResult::Found("x")),
            (ProxyReply{ProxyStatus::kOk, "x", std::nullopt}));
  EXPECT_EQ(ProxyReplyFromLookup(LookupResult::NotFound()),
            (ProxyReply{ProxyStatus::kNotFound, "", std::nullopt}));
  EXPECT_EQ(ProxyReplyFromLookup(LookupResult::TempError("down")),
            (ProxyReply{ProxyStatus::kRetry, "down", std::nullopt}));
}

}  // namespace
}  // namespace tables
