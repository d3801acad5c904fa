#include "trivial-rewrite/resolver.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "global/maps.h"
#include "global/rewrite_proto.h"
#include "tables/table_testing.h"
#include "trivial-rewrite/resolve_cache.h"
#include "trivial-rewrite/service.h"
#include "util/scratch_dir.h"

namespace trivial_rewrite {
namespace {

using tables::testing::WarningCapture;
using util::testing::ScratchDir;
using Params = std::vector<std::pair<std::string, std::string>>;

// The machine the rows run on: mx.example.com with 127.0.0.1 and a proxy
// address 198.51.100.7.
config::Config BaseConfig(const Params& params) {
  config::Config cfg;
  cfg.Set("myhostname", "mx.example.com");
  cfg.Set("mydomain", "example.com");
  cfg.Set("myorigin", "$myhostname");
  cfg.Set("inet_interfaces", "127.0.0.1");
  cfg.Set("proxy_interfaces", "198.51.100.7");
  cfg.Set("inet_protocols", "ipv4");
  for (const auto& [name, value] : params) cfg.Set(name, value);
  return cfg;
}

class ResolverTest : public ::testing::Test {
 public:
  ResolverTest() { maps::SetChangeCheckInterval(std::chrono::milliseconds(0)); }
  ~ResolverTest() override {
    maps::ClearTableCache();
    maps::SetChangeCheckInterval(std::chrono::milliseconds(1000));
  }

  std::unique_ptr<Resolver> Make(const Params& params) {
    cfgs_.push_back(std::make_unique<config::Config>(BaseConfig(params)));
    auto r = Resolver::FromConfig(*cfgs_.back());
    EXPECT_TRUE(r.ok()) << r.status().message();
    return r.ok() ? std::move(*r) : nullptr;
  }
  // A texthash table file in the scratch directory.
  std::string Table(const std::string& name, const std::string& text) {
    return "texthash:" + dir_.Write(name, text);
  }

 protected:
  ScratchDir dir_;
  std::vector<std::unique_ptr<config::Config>> cfgs_;  // tables keep pointers to them
};

struct Row {
  const char* name;
  Params params;
  const char* sender;
  const char* address;
  const char* transport;
  const char* nexthop;
  const char* recipient;
  const char* flags;  // rewrite_proto::FlagsString
};

void RunRows(ResolverTest* t, const std::vector<Row>& rows) {
  for (const Row& row : rows) {
    std::unique_ptr<Resolver> r = t->Make(row.params);
    if (!r) continue;
    Resolution got = r->Resolve(row.sender, row.address);
    EXPECT_FALSE(got.temp_fail) << row.name << ": " << got.reason;
    EXPECT_EQ(got.transport, row.transport) << row.name;
    EXPECT_EQ(got.nexthop, row.nexthop) << row.name;
    EXPECT_EQ(got.recipient, row.recipient) << row.name;
    EXPECT_EQ(rewrite_proto::FlagsString(got.flags), row.flags) << row.name;
  }
}

TEST_F(ResolverTest, AddressClasses) {
  const Params alias = {{"virtual_alias_domains", "alias.example"}};
  const Params mailbox = {{"virtual_mailbox_domains", "vhost.example"}};
  const Params relay = {{"relay_domains", "relay.example"}};
  RunRows(
      this,
      {
          {"bare user is local",
           {},
           "",
           "alice",
           "local",
           "mx.example.com",
           "alice@mx.example.com",
           "local final"},
          {"myhostname, case kept",
           {},
           "",
           "Alice@MX.Example.COM",
           "local",
           "mx.example.com",
           "Alice@MX.Example.COM",
           "local final"},
          {"localhost",
           {},
           "",
           "bob@localhost",
           "local",
           "mx.example.com",
           "bob@localhost",
           "local final"},
          {"localhost.$mydomain",
           {},
           "",
           "bob@localhost.example.com",
           "local",
           "mx.example.com",
           "bob@localhost.example.com",
           "local final"},
          {"local transport without nexthop",
           {{"local_transport", "local"}},
           "",
           "bob@localhost",
           "local",
           "localhost",
           "bob@localhost",
           "local final"},
          {"inet_interfaces literal",
           {},
           "",
           "bob@[127.0.0.1]",
           "local",
           "mx.example.com",
           "bob@[127.0.0.1]",
           "local final"},
          {"proxy_interfaces literal",
           {},
           "",
           "bob@[198.51.100.7]",
           "local",
           "mx.example.com",
           "bob@[198.51.100.7]",
           "local final"},
          {"other literal",
           {},
           "",
           "bob@[192.0.2.99]",
           "smtp",
           "[192.0.2.99]",
           "bob@[192.0.2.99]",
           "default"},
          {"null sender recipient",
           {},
           "",
           "",
           "local",
           "mx.example.com",
           "MAILER-DAEMON@mx.example.com",
           "local final"},
          {"trailing dot",
           {},
           "",
           "bob@example.net.",
           "smtp",
           "example.net",
           "bob@example.net",
           "default"},
          {"percent hack inside a local domain",
           {},
           "",
           "carol%example.net@mx.example.com",
           "smtp",
           "example.net",
           "carol@example.net",
           "default"},
          // Without any domain the routing counts just the same (it used
          // to resolve as local mail, and smtpd relayed it).
          {"percent hack without a domain",
           {},
           "",
           "carol%example.net",
           "smtp",
           "example.net",
           "carol@example.net",
           "default"},
          {"bang path without a domain",
           {},
           "",
           "example.net!dave",
           "smtp",
           "example.net",
           "dave@example.net",
           "default"},
          {"nested routing without a domain",
           {},
           "",
           "mx.example.com!example.net!erin",
           "smtp",
           "example.net",
           "erin@example.net",
           "default"},
          {"bang path inside a local domain",
           {},
           "",
           "example.net!dave@localhost",
           "smtp",
           "example.net",
           "dave@example.net",
           "default"},
          {"user@remote@local",
           {},
           "",
           "erin@example.net@localhost",
           "smtp",
           "example.net",
           "erin@example.net",
           "default"},
          {"routed remote address",
           {},
           "",
           "carol%example.org@example.net",
           "smtp",
           "example.net",
           "carol%example.org@example.net",
           "default routed"},
          {"virtual alias domain", alias, "", "x@alias.example", "error",
           "5.1.1 User unknown in virtual alias table", "x@alias.example", "alias final"},
          {"virtual alias domain, short text",
           {{"virtual_alias_domains", "alias.example"}, {"show_user_unknown_table_name", "no"}},
           "",
           "x@alias.example",
           "error",
           "5.1.1 User unknown",
           "x@alias.example",
           "alias final"},
          {"alias domain is a string list: no subdomains", alias, "", "x@sub.alias.example", "smtp",
           "sub.alias.example", "x@sub.alias.example", "default"},
          {"virtual mailbox domain", mailbox, "", "u@VHost.example", "virtual", "VHost.example",
           "u@VHost.example", "virtual final"},
          {"virtual_transport with nexthop",
           {{"virtual_mailbox_domains", "vhost.example"}, {"virtual_transport", "lmtp:unix:/lmtp"}},
           "",
           "u@vhost.example",
           "lmtp",
           "unix:/lmtp",
           "u@vhost.example",
           "virtual final"},
          {"relay domain", relay, "", "u@relay.example", "relay", "relay.example",
           "u@relay.example", "relay"},
          {"relay_domains matches subdomains (parent_domain_matches_subdomains)", relay, "",
           "u@a.b.relay.example", "relay", "a.b.relay.example", "u@a.b.relay.example", "relay"},
          {"relay_domains without parent style",
           {{"relay_domains", "relay.example"}, {"parent_domain_matches_subdomains", ""}},
           "",
           "u@a.relay.example",
           "smtp",
           "a.relay.example",
           "u@a.relay.example",
           "default"},
          {"relay_domains .domain pattern",
           {{"relay_domains", ".relay.example"}, {"parent_domain_matches_subdomains", ""}},
           "",
           "u@a.relay.example",
           "relay",
           "a.relay.example",
           "u@a.relay.example",
           "relay"},
          {"negated relay pattern",
           {{"relay_domains", "!no.relay.example, relay.example"}},
           "",
           "u@no.relay.example",
           "smtp",
           "no.relay.example",
           "u@no.relay.example",
           "default"},
          {"default", {}, "", "u@example.net", "smtp", "example.net", "u@example.net", "default"},
          {"default_transport with nexthop",
           {{"default_transport", "smtp:[gw.example]:2525"}},
           "",
           "u@example.net",
           "smtp",
           "[gw.example]:2525",
           "u@example.net",
           "default"},
          {"UTF-8 domain",
           {},
           "",
           "u@\xe4\xbe\x8b\xe3\x81\x88.jp",
           "smtp",
           "\xe4\xbe\x8b\xe3\x81\x88.jp",
           "u@\xe4\xbe\x8b\xe3\x81\x88.jp",
           "default"},
      });
}

TEST_F(ResolverTest, BadSyntax) {
  RunRows(
      this,
      {
          {"numeric domain",
           {},
           "",
           "u@192.0.2.1",
           "error",
           "5.1.3 bad address syntax",
           "u@192.0.2.1",
           "default error"},
          {"resolve_numeric_domain",
           {{"resolve_numeric_domain", "yes"}},
           "",
           "u@192.0.2.1",
           "smtp",
           "[192.0.2.1]",
           "u@[192.0.2.1]",
           "default"},
          {"resolve_numeric_domain, local address",
           {{"resolve_numeric_domain", "yes"}},
           "",
           "u@127.0.0.1",
           "local",
           "mx.example.com",
           "u@[127.0.0.1]",
           "local final"},
          {"null domain", {}, "", "u@", "error", "5.1.3 bad address syntax", "u@", "default error"},
          {"resolve_null_domain",
           {{"resolve_null_domain", "yes"}},
           "",
           "u@",
           "local",
           "mx.example.com",
           "u@mx.example.com",
           "local final"},
          {"space in domain",
           {},
           "",
           "u@exa mple.net",
           "error",
           "5.1.3 bad address syntax",
           "u@exa mple.net",
           "default error"},
          {"empty label",
           {},
           "",
           "u@example..net",
           "error",
           "5.1.3 bad address syntax",
           "u@example..net",
           "default error"},
          {"hyphen at label start",
           {},
           "",
           "u@-example.net",
           "error",
           "5.1.3 bad address syntax",
           "u@-example.net",
           "default error"},
          {"bad literal",
           {},
           "",
           "u@[300.1.1.1]",
           "error",
           "5.1.3 bad address syntax",
           "u@[300.1.1.1]",
           "default error"},
          {"ipv6 literal",
           {},
           "",
           "u@[IPv6:2001:db8::1]",
           "smtp",
           "[IPv6:2001:db8::1]",
           "u@[IPv6:2001:db8::1]",
           "default"},
      });
}

TEST_F(ResolverTest, RelayhostAndSenderDependentMaps) {
  const std::string soho_relay = Table("sender_relay",
                                       "user1@example.com  [mail.example.com]:submission\n"
                                       "user2@example.net  [mail.example.net]\n"
                                       "@example.org       [mail.example.org]\n"
                                       "nobody@example.org DUNNO\n"
                                       "<>                 [bounces.example]\n");
  const std::string by_sender = Table("by_sender",
                                      "slow@example.com   slow:\n"
                                      "gw@example.com     slow:[gw.example]\n"
                                      "hop@example.com    :[hop.example]\n"
                                      "plain@example.com  DUNNO\n");
  const Params soho = {{"relayhost", "[mail.isp.example]:submission"},
                       {"sender_dependent_relayhost_maps", soho_relay}};
  const Params sdt = {{"relayhost", "[mail.isp.example]"},
                      {"sender_dependent_default_transport_maps", by_sender}};
  RunRows(this,
          {
              {"relayhost",
               {{"relayhost", "[mail.isp.example]:submission"}},
               "a@example.com",
               "u@example.net",
               "smtp",
               "[mail.isp.example]:submission",
               "u@example.net",
               "default"},
              {"relayhost applies to relay_domains too",
               {{"relayhost", "[mail.isp.example]"}, {"relay_domains", "relay.example"}},
               "",
               "u@relay.example",
               "relay",
               "[mail.isp.example]",
               "u@relay.example",
               "relay"},
              {"relay_transport nexthop beats relayhost",
               {{"relayhost", "[mail.isp.example]"},
                {"relay_domains", "relay.example"},
                {"relay_transport", "smtp:mail1.mitty.jp"}},
               "",
               "u@relay.example",
               "smtp",
               "mail1.mitty.jp",
               "u@relay.example",
               "relay"},
              {"relayhost not for virtual",
               {{"relayhost", "[mail.isp.example]"}, {"virtual_mailbox_domains", "vhost.example"}},
               "",
               "u@vhost.example",
               "virtual",
               "vhost.example",
               "u@vhost.example",
               "virtual final"},
              {"relayhost not for local",
               {{"relayhost", "[mail.isp.example]"}},
               "",
               "u@localhost",
               "local",
               "mx.example.com",
               "u@localhost",
               "local final"},
              {"sender-dependent relayhost", soho, "user1@example.com", "u@example.net", "smtp",
               "[mail.example.com]:submission", "u@example.net", "default"},
              {"sender-dependent relayhost, @domain", soho, "anyone@example.org", "u@example.net",
               "smtp", "[mail.example.org]", "u@example.net", "default"},
              {"sender-dependent relayhost, DUNNO", soho, "nobody@example.org", "u@example.net",
               "smtp", "[mail.isp.example]:submission", "u@example.net", "default"},
              {"sender-dependent relayhost, other sender", soho, "x@example.jp", "u@example.net",
               "smtp", "[mail.isp.example]:submission", "u@example.net", "default"},
              {"sender-dependent relayhost, null sender", soho, "", "u@example.net", "smtp",
               "[bounces.example]", "u@example.net", "default"},
              {"sender-dependent default transport", sdt, "slow@example.com", "u@example.net",
               "slow", "[mail.isp.example]", "u@example.net", "default"},
              {"sender-dependent default transport with nexthop", sdt, "gw@example.com",
               "u@example.net", "slow", "[gw.example]", "u@example.net", "default"},
              {"sender-dependent default transport, nexthop only", sdt, "hop@example.com",
               "u@example.net", "smtp", "[hop.example]", "u@example.net", "default"},
              {"sender-dependent default transport, DUNNO", sdt, "plain@example.com",
               "u@example.net", "smtp", "[mail.isp.example]", "u@example.net", "default"},
              {"sender-dependent default transport: not for relay",
               {{"sender_dependent_default_transport_maps", by_sender},
                {"relay_domains", "relay.example"}},
               "slow@example.com",
               "u@relay.example",
               "relay",
               "relay.example",
               "u@relay.example",
               "relay"},
          });
}

TEST_F(ResolverTest, TransportMaps) {
  const std::string transport = Table("transport",
                                      "alice+news@example.net  news:\n"
                                      "alice@example.net       error:no way\n"
                                      "example.net             smtp:[gw.example]:2525\n"
                                      "docomo.ne.jp            docomo-smtp:\n"
                                      ".docomo.ne.jp           docomo-smtp:\n"
                                      "parent.example          relay2:\n"
                                      "keep.example            :[kept.example]\n"
                                      "nochange.example        :\n"
                                      "err.example             error:\n"
                                      "retry.example           retry:\n"
                                      "discard.example         discard:\n"
                                      "spam.example            discard:spam\n"
                                      "mx.example.com          local2:\n"
                                      "v6.example              smtp:[2001:db8::1]:25\n");
  const Params t = {{"transport_maps", transport}, {"recipient_delimiter", "+"}};
  Params with_relayhost = t;
  with_relayhost.push_back({"relayhost", "[mail.isp.example]"});
  Params parent_style = t;
  parent_style.push_back({"parent_domain_matches_subdomains", "transport_maps"});
  Params wildcard = {{"transport_maps", Table("wild",
                                              "docomo.ne.jp docomo-smtp:\n"
                                              "* smtp:[fallback.example]\n")}};
  RunRows(
      this,
      {
          {"full address with extension", t, "", "alice+news@example.net", "news", "example.net",
           "alice+news@example.net", "default"},
          {"address without extension", t, "", "alice+other@example.net", "error", "no way",
           "alice+other@example.net", "default"},
          {"full address", t, "", "alice@example.net", "error", "no way", "alice@example.net",
           "default"},
          {"domain with [host]:port", t, "", "bob@example.net", "smtp", "[gw.example]:2525",
           "bob@example.net", "default"},
          {"transport: resets the nexthop to the recipient domain", with_relayhost, "",
           "x@docomo.ne.jp", "docomo-smtp", "docomo.ne.jp", "x@docomo.ne.jp", "default"},
          {".parent matches a subdomain", t, "", "x@mail.docomo.ne.jp", "docomo-smtp",
           "mail.docomo.ne.jp", "x@mail.docomo.ne.jp", "default"},
          {"parent without dot does not match subdomains by default", t, "", "x@a.parent.example",
           "smtp", "a.parent.example", "x@a.parent.example", "default"},
          {"parent_domain_matches_subdomains = transport_maps", parent_style, "",
           "x@a.parent.example", "relay2", "a.parent.example", "x@a.parent.example", "default"},
          {":nexthop keeps the transport", t, "", "x@keep.example", "smtp", "[kept.example]",
           "x@keep.example", "default"},
          {":nexthop keeps the class transport", with_relayhost, "", "x@keep.example", "smtp",
           "[kept.example]", "x@keep.example", "default"},
          {"':' changes nothing", with_relayhost, "", "x@nochange.example", "smtp",
           "[mail.isp.example]", "x@nochange.example", "default"},
          {"error: without text", t, "", "x@err.example", "error", "Address is undeliverable",
           "x@err.example", "default"},
          {"retry: without text", t, "", "x@retry.example", "retry", "Address is undeliverable",
           "x@retry.example", "default"},
          {"discard:", t, "", "x@discard.example", "discard", "discard.example",
           "x@discard.example", "default"},
          {"discard:text", t, "", "x@spam.example", "discard", "spam", "x@spam.example", "default"},
          {"overrides the local class", t, "", "alice", "local2", "mx.example.com",
           "alice@mx.example.com", "local final"},
          {"IPv6 nexthop", t, "", "x@v6.example", "smtp", "[2001:db8::1]:25", "x@v6.example",
           "default"},
          {"no match", t, "", "x@example.org", "smtp", "example.org", "x@example.org", "default"},
          {"'*' matches everything else", wildcard, "", "x@example.org", "smtp",
           "[fallback.example]", "x@example.org", "default"},
          {"'*' after the domain", wildcard, "", "x@docomo.ne.jp", "docomo-smtp", "docomo.ne.jp",
           "x@docomo.ne.jp", "default"},
          {"'*' overrides local too", wildcard, "", "alice@localhost", "smtp", "[fallback.example]",
           "alice@localhost", "local final"},
          {"overrides the alias class error",
           {{"transport_maps", transport}, {"virtual_alias_domains", "example.net"}},
           "",
           "bob@example.net",
           "smtp",
           "[gw.example]:2525",
           "bob@example.net",
           "alias final"},
          {"relocated_maps",
           {{"relocated_maps", Table("relocated", "old@example.net new@example.org\n")}},
           "",
           "old@example.net",
           "error",
           "5.1.6 User has moved to new@example.org",
           "old@example.net",
           "default"},
      });
}

TEST_F(ResolverTest, DomainListsFromFilesAndTables) {
  std::string relay_file = dir_.Write("relay_domains",
                                      "# backup MX for\nmitty.jp\n"
                                      "test.mitty.jp, other.example\n");
  std::string mailbox = Table("vmailbox",
                              "mitty.jp accept\nSOMEHOST.mitty.jp accept\n"
                              "USER1@SOMEHOST.mitty.jp mitty.jp/USER1/\n");
  std::string aliases = Table("valias",
                              "ALIASE.mitty.jp accept\n"
                              "webmaster@ALIASE.mitty.jp USER1@SOMEHOST.mitty.jp\n");
  const Params backup = {{"relay_domains", relay_file}, {"relay_transport", "smtp:mail1.mitty.jp"}};
  const Params vhash = {{"virtual_mailbox_maps", mailbox}, {"virtual_alias_maps", aliases}};
  RunRows(this, {
                    {"/file/name relay_domains", backup, "", "u@mitty.jp", "smtp", "mail1.mitty.jp",
                     "u@mitty.jp", "relay"},
                    {"/file/name second line", backup, "", "u@other.example", "smtp",
                     "mail1.mitty.jp", "u@other.example", "relay"},
                    {"/file/name subdomain (relay_domains parent style)", backup, "",
                     "u@x.test.mitty.jp", "smtp", "mail1.mitty.jp", "u@x.test.mitty.jp", "relay"},
                    {"mailbox domain from table (default $virtual_mailbox_maps)", vhash, "",
                     "USER1@somehost.mitty.jp", "virtual", "somehost.mitty.jp",
                     "USER1@somehost.mitty.jp", "virtual final"},
                    {"mailbox domains are a string list", vhash, "", "u@other.mitty.jp", "smtp",
                     "other.mitty.jp", "u@other.mitty.jp", "default"},
                    {"alias domain from table (default $virtual_alias_maps)", vhash, "",
                     "nobody@aliase.mitty.jp", "error", "5.1.1 User unknown in virtual alias table",
                     "nobody@aliase.mitty.jp", "alias final"},
                    {"mydestination from a table",
                     {{"mydestination", Table("mydest", "local.example x\n")}},
                     "",
                     "u@LOCAL.example",
                     "local",
                     "mx.example.com",
                     "u@LOCAL.example",
                     "local final"},
                });
}

TEST_F(ResolverTest, MissingListFileIsAConfigurationError) {
  config::Config cfg = BaseConfig({{"relay_domains", dir_.path() + "/missing"}});
  auto r = Resolver::FromConfig(cfg);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), util::Code::kFailedPrecondition);
  EXPECT_EQ(r.status().message(),
            "relay_domains: open " + dir_.path() + "/missing: No such file or directory");
}

TEST_F(ResolverTest, NullTransportIsAConfigurationError) {
  config::Config cfg = BaseConfig({{"relay_transport", ":mail1.example"}});
  auto r = Resolver::FromConfig(cfg);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "file /main.cf: parameter relay_transport: null transport is not allowed");
}

TEST_F(ResolverTest, TemporaryErrorsAreNeverNotFound) {
  struct {
    const char* name;
    Params params;
    const char* sender;
    const char* address;
    const char* reason;
  } rows[] = {
      {"transport_maps",
       {{"transport_maps", "fail:down"}},
       "",
       "u@example.net",
       "transport_maps lookup failure: fail:down"},
      {"transport_maps, local address",
       {{"transport_maps", "fail:down"}},
       "",
       "alice",
       "transport_maps lookup failure: fail:down"},
      {"mydestination",
       {{"mydestination", "fail:down"}},
       "",
       "u@example.net",
       "mydestination lookup failure: fail:down"},
      {"virtual_alias_domains",
       {{"virtual_alias_domains", "fail:down"}},
       "",
       "u@example.net",
       "virtual_alias_domains lookup failure: fail:down"},
      {"virtual_mailbox_domains",
       {{"virtual_mailbox_domains", "fail:down"}},
       "",
       "u@example.net",
       "virtual_mailbox_domains lookup failure: fail:down"},
      {"relay_domains",
       {{"relay_domains", "fail:down"}},
       "",
       "u@example.net",
       "relay_domains lookup failure: fail:down"},
      {"sender_dependent_relayhost_maps",
       {{"sender_dependent_relayhost_maps", "fail:down"}},
       "a@example.com",
       "u@example.net",
       "sender_dependent_relayhost_maps lookup failure: fail:down"},
      {"sender_dependent_default_transport_maps",
       {{"sender_dependent_default_transport_maps", "fail:down"}},
       "a@example.com",
       "u@example.net",
       "sender_dependent_default_transport_maps lookup failure: fail:down"},
      {"relocated_maps",
       {{"relocated_maps", "fail:down"}},
       "",
       "u@example.net",
       "relocated_maps lookup failure: fail:down"},
      {"missing table file",
       {{"transport_maps", "texthash:/nonexistent/transport"}},
       "",
       "u@example.net",
       "transport_maps lookup failure: texthash:/nonexistent/transport is unavailable. open "
       "/nonexistent/transport: No such file or directory"},
  };
  WarningCapture warnings;
  for (const auto& row : rows) {
    std::unique_ptr<Resolver> r = Make(row.params);
    ASSERT_TRUE(r) << row.name;
    Resolution got = r->Resolve(row.sender, row.address);
    EXPECT_TRUE(got.temp_fail) << row.name;
    EXPECT_EQ(got.reason, row.reason) << row.name;
    EXPECT_EQ(got.flags & rewrite_proto::kFlagFail, rewrite_proto::kFlagFail) << row.name;
  }
  // A failing list that is never consulted does not fail: relay_domains
  // is not asked about a local address.
  std::unique_ptr<Resolver> r = Make({{"relay_domains", "fail:down"}});
  EXPECT_FALSE(r->Resolve("", "alice@localhost").temp_fail);
}

TEST_F(ResolverTest, ConflictingConfigurationWarnings) {
  struct {
    const char* name;
    Params params;
    const char* address;
    std::vector<std::string> want;
  } rows[] = {
      {"mydestination and virtual_mailbox_domains",
       {{"mydestination", "$myhostname, vhost.example"},
        {"virtual_mailbox_domains", "vhost.example"}},
       "u@vhost.example",
       {"do not list domain vhost.example in BOTH mydestination and virtual_mailbox_domains"}},
      {"mydestination and virtual_alias_domains",
       {{"mydestination", "$myhostname, Alias.example"},
        {"virtual_alias_domains", "alias.example"}},
       "u@alias.example",
       {"do not list domain alias.example in BOTH mydestination and virtual_alias_domains"}},
      {"virtual alias and mailbox and relay",
       {{"virtual_alias_domains", "both.example"},
        {"virtual_mailbox_domains", "both.example"},
        {"relay_domains", "both.example"}},
       "u@both.example",
       {"do not list domain both.example in BOTH virtual_alias_domains and "
        "virtual_mailbox_domains",
        "do not list domain both.example in BOTH virtual_alias_domains and relay_domains"}},
      {"virtual_mailbox_domains and relay_domains",
       {{"virtual_mailbox_domains", "both.example"}, {"relay_domains", "both.example"}},
       "u@both.example",
       {"do not list domain both.example in BOTH virtual_mailbox_domains and relay_domains"}},
      {"helpful_warnings = no",
       {{"virtual_mailbox_domains", "both.example"},
        {"relay_domains", "both.example"},
        {"helpful_warnings", "no"}},
       "u@both.example",
       {}},
      {"no conflict", {{"virtual_mailbox_domains", "vhost.example"}}, "u@vhost.example", {}},
  };
  for (const auto& row : rows) {
    WarningCapture warnings;
    std::unique_ptr<Resolver> r = Make(row.params);
    ASSERT_TRUE(r) << row.name;
    r->Resolve("", row.address);
    r->Resolve("", row.address);  // once per process, not per request
    EXPECT_EQ(warnings.texts(), row.want) << row.name;
  }
}

TEST(ResolveCacheTest, EvictsLeastRecentlyUsed) {
  ResolveCache cache(2);
  Resolution a, b, c;
  a.transport = "a";
  b.transport = "b";
  c.transport = "c";
  cache.Insert("a", a);
  cache.Insert("b", b);
  ASSERT_NE(cache.Find("a"), nullptr);  // a is now the most recent
  cache.Insert("c", c);                 // evicts b
  EXPECT_EQ(cache.Find("b"), nullptr);
  ASSERT_NE(cache.Find("a"), nullptr);
  EXPECT_EQ(cache.Find("a")->transport, "a");
  EXPECT_EQ(cache.Find("c")->transport, "c");
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_EQ(cache.hits(), 4u);
  EXPECT_EQ(cache.misses(), 1u);
  cache.Clear();
  EXPECT_EQ(cache.size(), 0u);
}

class ServiceTest : public ResolverTest {
 public:
  std::unique_ptr<Service> MakeService(const Params& params) {
    cfgs_.push_back(std::make_unique<config::Config>(BaseConfig(params)));
    auto s = Service::FromConfig(*cfgs_.back());
    EXPECT_TRUE(s.ok()) << s.status().message();
    return s.ok() ? std::move(*s) : nullptr;
  }
};

TEST_F(ServiceTest, Requests) {
  std::unique_ptr<Service> s = MakeService({{"transport_maps", "fail:down"}});
  ASSERT_TRUE(s);
  struct {
    const char* name;
    util::AttrList request;
    util::AttrList want;  // empty: an error
    const char* error;
  } rows[] = {
      {"rewrite local",
       {{"request", "rewrite"}, {"rule", "local"}, {"address", "alice"}},
       {{"status", "0"}, {"address", "alice@mx.example.com"}},
       ""},
      {"rewrite remote",
       {{"request", "rewrite"}, {"rule", "remote"}, {"address", "alice"}},
       {{"status", "0"}, {"address", "alice"}},
       ""},
      {"rewrite bang path",
       {{"request", "rewrite"}, {"rule", "local"}, {"address", "host!bob"}},
       {{"status", "0"}, {"address", "bob@host"}},
       ""},
      {"resolve with a temporary error",
       {{"request", "resolve"}, {"sender", ""}, {"address", "u@example.net"}},
       {{"status", "4"},
        {"reason", "transport_maps lookup failure: fail:down"},
        {"flags", std::to_string(rewrite_proto::kClassDefault | rewrite_proto::kFlagFail)}},
       ""},
      {"unknown rule",
       {{"request", "rewrite"}, {"rule", "x"}, {"address", "a"}},
       {},
       "unknown rule: x"},
      {"unknown request", {{"request", "frob"}}, {}, "unknown request: frob"},
      {"missing request", {{"address", "a"}}, {}, "missing attribute: request"},
      {"missing address",
       {{"request", "resolve"}, {"sender", ""}},
       {},
       "missing attribute: address"},
      {"unknown attribute",
       {{"request", "resolve"}, {"sender", ""}, {"address", "a"}, {"x", "y"}},
       {},
       "unknown attribute: x"},
  };
  WarningCapture warnings;
  for (const auto& row : rows) {
    util::StatusOr<util::AttrList> got = s->Handle(row.request);
    if (row.want.empty()) {
      ASSERT_FALSE(got.ok()) << row.name;
      EXPECT_EQ(got.status().message(), row.error) << row.name;
    } else {
      ASSERT_TRUE(got.ok()) << row.name << ": " << got.status().message();
      EXPECT_EQ(*got, row.want) << row.name << ": " << got->DebugString();
    }
  }
  EXPECT_EQ(s->cache().size(), 0u) << "temporary failures are not cached";
}

TEST_F(ServiceTest, ResolveReplyAndCache) {
  std::string path = dir_.Write("transport", "example.net smtp:[gw1.example]\n");
  std::unique_ptr<Service> s = MakeService({{"transport_maps", "texthash:" + path}});
  ASSERT_TRUE(s);
  util::AttrList req{
      {"request", "resolve"}, {"sender", "a@example.com"}, {"address", "u@example.net"}};
  util::AttrList want{{"status", "0"},
                      {"transport", "smtp"},
                      {"nexthop", "[gw1.example]"},
                      {"recipient", "u@example.net"},
                      {"flags", std::to_string(rewrite_proto::kClassDefault)}};
  EXPECT_EQ(*s->Handle(req), want);
  EXPECT_EQ(*s->Handle(req), want);
  EXPECT_EQ(s->cache().hits(), 1u);
  // Another sender shares the entry: no sender-dependent maps.
  req.Set("sender", "b@example.com");
  EXPECT_EQ(*s->Handle(req), want);
  EXPECT_EQ(s->cache().hits(), 2u);
  // The table changes: the cached answer is dropped.
  dir_.Write("transport", "example.net smtp:[gw2.example.net]\n");
  want.Set("nexthop", "[gw2.example.net]");
  EXPECT_EQ(*s->Handle(req), want);
  EXPECT_EQ(s->cache().size(), 1u);
}

TEST_F(ServiceTest, SenderDependentCacheKeys) {
  std::unique_ptr<Service> s = MakeService(
      {{"sender_dependent_relayhost_maps", Table("sr", "a@example.com [relay-a.example]\n")}});
  ASSERT_TRUE(s);
  util::AttrList req{
      {"request", "resolve"}, {"sender", "a@example.com"}, {"address", "u@example.net"}};
  EXPECT_EQ(*s->Handle(req)->Get("nexthop"), "[relay-a.example]");
  req.Set("sender", "b@example.com");
  EXPECT_EQ(*s->Handle(req)->Get("nexthop"), "example.net");
  EXPECT_EQ(s->cache().size(), 2u);
}

}  // namespace
}  // namespace trivial_rewrite
