// Tests of proxymap's request handler (service.h) on real tables: approval,
// lookups, temporary errors, sharing, reopen after a rebuild, writes on the
// proxywrite service, sequence.
#include "proxymap/service.h"

#include <fcntl.h>
#include <gtest/gtest.h>

#include <memory>

#include "tables/proxy_protocol.h"
#include "tables/registry.h"
#include "tables/table_testing.h"
#include "util/scratch_dir.h"

namespace proxymap {
namespace {

using tables::kDefaultLookupFlags;

util::AttrList Lookup(const std::string& table, const std::string& key,
                      unsigned flags = kDefaultLookupFlags) {
  return tables::EncodeProxyRequest({tables::ProxyOp::kLookup, table, flags, key, {}});
}

util::AttrList Reply(int status, std::string value) {
  util::AttrList out;
  out.SetInt("status", status);
  out.Set("value", value);
  return out;
}

util::AttrList StatusOnly(int status) {
  util::AttrList out;
  out.SetInt("status", status);
  return out;
}

// Builds hash:PATH with the given entries (as postmap would).
void BuildHash(const std::string& path,
               const std::vector<std::pair<std::string, std::string>>& entries) {
  tables::OpenOptions o;
  o.open_flags = O_RDWR | O_CREAT | O_TRUNC;
  o.flags = tables::kFoldFixed | tables::kTryNul | tables::kDupReplace;
  auto t = tables::Open("hash:" + path, o);
  ASSERT_TRUE(t.ok()) << t.status().message();
  for (const auto& [k, v] : entries) ASSERT_TRUE((*t)->Update(k, v).ok());
  ASSERT_TRUE((*t)->Commit().ok());
}

TEST(ApprovedTablesTest, OnlyProxyItems) {
  struct {
    const char* list;
    std::set<std::string> want;
  } rows[] = {
      {"", {}},
      {"hash:/etc/a proxy:hash:/etc/b", {"hash:/etc/b"}},
      {"proxy:mysql:/etc/x.cf,proxy:hash:/etc/b,, proxy:", {"mysql:/etc/x.cf", "hash:/etc/b"}},
      {"proxy:inline:{a=b, c=d} static:x", {"inline:{a=b, c=d}"}},
      {"$mydestination localhost", {}},
  };
  for (const auto& row : rows) EXPECT_EQ(ApprovedTables(row.list), row.want) << row.list;
}

TEST(RequestFlagsTest, MaskAndNoProxy) {
  EXPECT_EQ(RequestFlags(kDefaultLookupFlags), kDefaultLookupFlags | tables::kNoProxy);
  EXPECT_EQ(RequestFlags(tables::kSrcRhsIsFile), unsigned{tables::kNoProxy});
}

class ServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    hash_ = dir_.path() + "/virtual";
    BuildHash(hash_, {{"bob@example.jp", "bob@mail.example.jp"}, {"empty@x", ""}});
  }
  std::unique_ptr<Service> Make(Service::Mode mode, std::set<std::string> approved) {
    auto s = std::make_unique<Service>(mode, std::move(approved), tables::OpenOptions{});
    s->set_check_interval(std::chrono::milliseconds(0));
    return s;
  }
  util::AttrList Handle(Service& s, const util::AttrList& req) {
    util::StatusOr<util::AttrList> r = s.Handle(req);
    EXPECT_TRUE(r.ok()) << r.status().message();
    return r.ok() ? *r : util::AttrList{};
  }

  util::testing::ScratchDir dir_;
  std::string hash_;
};

TEST_F(ServiceTest, LookupsAndStatuses) {
  tables::testing::WarningCapture warnings;
  std::string missing = dir_.path() + "/missing";
  auto s =
      Make(Service::Mode::kRead, {"hash:" + hash_, "fail:down", "hash:" + missing, "static:{x y}"});
  struct {
    util::AttrList request;
    util::AttrList want;
  } rows[] = {
      {Lookup("hash:" + hash_, "Bob@Example.JP"), Reply(0, "bob@mail.example.jp")},
      {Lookup("hash:" + hash_, "nobody@example.jp"), Reply(1, "")},
      {Lookup("hash:" + hash_, "empty@x"), Reply(0, "")},
      {Lookup("static:{x y}", "anything"), Reply(0, "x y")},
      {Lookup("fail:down", "k"), Reply(2, "fail:down: table lookup failed")},
      {Lookup("hash:/etc/not-approved", "k"), Reply(4, "")},
      {tables::EncodeProxyRequest(
           {tables::ProxyOp::kOpen, "hash:" + hash_, kDefaultLookupFlags, {}, {}}),
       util::AttrList{{"status", "0"},
                      {"flags", std::to_string(kDefaultLookupFlags | tables::kNoProxy)}}},
      {tables::EncodeProxyRequest({tables::ProxyOp::kOpen, "hash:/x", 0, {}, {}}),
       util::AttrList{{"status", "4"}, {"flags", "0"}}},
      {util::AttrList{{"request", "frobnicate"}}, StatusOnly(3)},
  };
  for (const auto& row : rows) {
    util::AttrList got = Handle(*s, row.request);
    if (row.want.Get("status") == "2") {  // the reason comes from the table
      EXPECT_EQ(got.Get("status"), "2");
      EXPECT_FALSE(got.Get("value")->empty());
      continue;
    }
    EXPECT_EQ(got, row.want) << row.request.DebugString() << " -> " << got.DebugString();
  }
  util::AttrList unavailable = Handle(*s, Lookup("hash:" + missing, "k"));
  EXPECT_EQ(unavailable.Get("status"), "2");
  EXPECT_NE(unavailable.Get("value")->find("is unavailable"), std::string::npos)
      << unavailable.DebugString();
  EXPECT_EQ(std::count(warnings.texts().begin(), warnings.texts().end(),
                       "request for unapproved table: \"hash:/etc/not-approved\""),
            1);
  EXPECT_EQ(std::count(warnings.texts().begin(), warnings.texts().end(),
                       "unrecognized request: \"frobnicate\", ignored"),
            1);
}

TEST_F(ServiceTest, MalformedRequestsAreErrors) {
  auto s = Make(Service::Mode::kRead, {"hash:" + hash_});
  util::AttrList rows[] = {
      {{"table", "hash:" + hash_}},
      {{"request", "lookup"}, {"table", "hash:" + hash_}, {"flags", "0"}},
      {{"request", "lookup"}, {"table", "hash:" + hash_}, {"flags", "x"}, {"key", "k"}},
      {{"request", "lookup"}, {"table", "t"}, {"flags", "0"}, {"key", "k"}, {"junk", "1"}},
      {{"request", "sequence"}, {"table", "hash:" + hash_}, {"flags", "0"}},
  };
  for (const auto& req : rows) EXPECT_FALSE(s->Handle(req).ok()) << req.DebugString();
}

TEST_F(ServiceTest, OneTableSharedAndReopenedAfterRebuild) {
  auto s = Make(Service::Mode::kRead, {"hash:" + hash_});
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(Handle(*s, Lookup("hash:" + hash_, "bob@example.jp")),
              Reply(0, "bob@mail.example.jp"));
  EXPECT_EQ(s->table_count(), 1u);
  BuildHash(hash_, {{"bob@example.jp", "bob@new.example.jp"}});
  EXPECT_EQ(Handle(*s, Lookup("hash:" + hash_, "bob@example.jp")), Reply(0, "bob@new.example.jp"));
  EXPECT_EQ(s->table_count(), 1u);
  // Other flags are another instance of the table (as in Postfix).
  EXPECT_EQ(Handle(*s, Lookup("hash:" + hash_, "bob@example.jp", tables::kTryNul)),
            Reply(0, "bob@new.example.jp"));
  EXPECT_EQ(s->table_count(), 2u);
}

TEST_F(ServiceTest, MissingTableRecoversWhenCreated) {
  std::string later = dir_.path() + "/later";
  auto s = Make(Service::Mode::kRead, {"hash:" + later});
  tables::testing::WarningCapture warnings;
  EXPECT_EQ(Handle(*s, Lookup("hash:" + later, "a")).Get("status"), "2");
  BuildHash(later, {{"a", "b"}});
  EXPECT_EQ(Handle(*s, Lookup("hash:" + later, "a")), Reply(0, "b"));
}

TEST_F(ServiceTest, WritesOnlyOnProxywrite) {
  tables::testing::WarningCapture warnings;
  std::string spec = "hash:" + hash_;
  util::AttrList update = tables::EncodeProxyRequest(
      {tables::ProxyOp::kUpdate, spec, kDefaultLookupFlags, "new@x", "value"});
  util::AttrList del = tables::EncodeProxyRequest(
      {tables::ProxyOp::kDelete, spec, kDefaultLookupFlags, "new@x", {}});
  auto reader = Make(Service::Mode::kRead, {spec});
  EXPECT_EQ(Handle(*reader, update), StatusOnly(4));
  EXPECT_EQ(
      warnings.texts(),
      std::vector<std::string>{"refusing " + spec + " update request on non-proxywrite service"});

  auto writer = Make(Service::Mode::kWrite, {spec});
  EXPECT_EQ(Handle(*writer, Lookup(spec, "new@x")), Reply(1, ""));
  EXPECT_EQ(Handle(*writer, update), StatusOnly(0));
  EXPECT_EQ(Handle(*writer, Lookup(spec, "NEW@x")), Reply(0, "value"));
  EXPECT_EQ(Handle(*reader, Lookup(spec, "new@x")), Reply(0, "value"));  // on disk
  EXPECT_EQ(Handle(*writer, del), StatusOnly(0));
  EXPECT_EQ(Handle(*writer, del), StatusOnly(1));
  EXPECT_EQ(Handle(*writer, Lookup(spec, "new@x")), Reply(1, ""));
  EXPECT_EQ(Handle(*writer, Lookup(spec, "bob@example.jp")), Reply(0, "bob@mail.example.jp"));

  auto other = Make(Service::Mode::kWrite, {});
  EXPECT_EQ(Handle(*other, update), StatusOnly(4));
}

TEST_F(ServiceTest, Sequence) {
  std::string spec = "hash:" + hash_;
  auto s = Make(Service::Mode::kRead, {spec});
  auto seq = [&](const char* function) {
    return Handle(*s, util::AttrList{{"request", "sequence"},
                                     {"table", spec},
                                     {"flags", std::to_string(kDefaultLookupFlags)},
                                     {"function", function}});
  };
  std::set<std::string> seen;
  util::AttrList r = seq("first");
  while (r.Get("status") == "0") {
    seen.insert(std::string(*r.Get("key")) + "=" + std::string(*r.Get("value")));
    r = seq("next");
  }
  EXPECT_EQ(r.Get("status"), "1");
  EXPECT_EQ(seen, (std::set<std::string>{"bob@example.jp=bob@mail.example.jp", "empty@x="}));
  EXPECT_EQ(seq("bogus").Get("status"), "3");
}

}  // namespace
}  // namespace proxymap
