#include "smtpd/smtpd_check.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "global/addr_list.h"
#include "global/maps.h"
#include "smtpd/smtpd_check_util.h"
#include "tables/table_testing.h"
#include "util/msg.h"
#include "util/scratch_dir.h"
#include "util/strings.h"

namespace smtpd_check {
namespace {

using resolve_client::AddressClass;
using resolve_client::ResolveResult;
using util::testing::ScratchDir;

std::vector<std::string>& Logs() {
  static std::vector<std::string> logs;
  return logs;
}
void Hook(msg::Level, std::string_view line) { Logs().emplace_back(line); }
std::string AllLogs() { return util::Join(Logs(), "\n"); }

// A stand-in for trivial-rewrite's resolve service: the class by domain.
util::StatusOr<ResolveResult> FakeResolve(std::string_view, std::string_view address) {
  std::string a(address);
  if (a.find('@') == std::string::npos) a += "@local.test";
  std::string domain = util::Lowercase(a.substr(a.rfind('@') + 1));
  a = a.substr(0, a.rfind('@') + 1) + domain;
  if (domain == "fail.test") return util::Unavailable("resolve table failed");
  ResolveResult r;
  r.recipient = a;
  r.transport = "smtp";
  r.nexthop = domain;
  if (domain == "local.test") r.address_class = AddressClass::kLocal;
  if (domain == "virt.test") r.address_class = AddressClass::kVirtual;
  if (domain == "alias.test") r.address_class = AddressClass::kAlias;
  if (domain == "relay.test") r.address_class = AddressClass::kRelay;
  std::string local = a.substr(0, a.rfind('@'));
  if (local.find_first_of("%!@") != std::string::npos) r.flags |= rewrite_proto::kFlagRouted;
  return r;
}

// DNS by table: name -> status per type (missing: NXDOMAIN), or the
// records themselves ("host/a" -> {"127.0.0.2"}, "host/txt" -> {"why"}).
class FakeDns : public util::dns::Resolver {
 public:
  std::map<std::string, util::dns::Result> status;  // "host/mx", "host/a"
  std::map<std::string, std::vector<std::string>> records;
  std::string null_mx;
  int lookups = 0;
  util::dns::Answer Lookup(std::string_view name, util::dns::Type type) override {
    lookups++;
    std::string key = std::string(name) + (type == util::dns::Type::kMx    ? "/mx"
                                           : type == util::dns::Type::kA   ? "/a"
                                           : type == util::dns::Type::kTxt ? "/txt"
                                           : type == util::dns::Type::kNs  ? "/ns"
                                                                           : "/other");
    util::dns::Answer a;
    if (auto r = records.find(key); r != records.end()) {
      a.status = util::dns::Result::kFound;
      for (const std::string& v : r->second) a.records.push_back({std::string(name), v, 0, 60});
      return a;
    }
    auto it = status.find(key);
    a.status = it == status.end() ? util::dns::Result::kNxDomain : it->second;
    if (a.status == util::dns::Result::kTempFail) a.error = "Host not found, try again";
    if (a.status == util::dns::Result::kFound) {
      util::dns::Record r;
      r.name = std::string(name);
      r.value = name == null_mx ? "" : "mx." + std::string(name);
      a.records.push_back(r);
    }
    return a;
  }
};

Session DefaultSession() {
  Session s;
  s.client_name = "mail.client.test";
  s.client_reverse_name = "mail.client.test";
  s.client_name_status = 0;
  s.client_reverse_name_status = 0;
  s.client_addr = "192.0.2.1";
  s.helo_name = "helo.client.test";
  s.protocol = "ESMTP";
  s.has_sender = true;
  s.sender = "s@sender.test";
  s.recipient = "u@remote.test";
  return s;
}

class CheckTest : public ::testing::Test {
 protected:
  CheckTest() {
    Logs().clear();
    msg::SetHook(&Hook);
    dns_.status["sender.test/mx"] = util::dns::Result::kFound;
    dns_.status["helo.client.test/a"] = util::dns::Result::kFound;
    dns_.status["noaddr.test/mx"] = util::dns::Result::kNoData;
    dns_.status["noaddr.test/a"] = util::dns::Result::kNoData;
    dns_.status["aonly.test/mx"] = util::dns::Result::kNoData;
    dns_.status["aonly.test/a"] = util::dns::Result::kFound;
    dns_.status["tmp.test/mx"] = util::dns::Result::kTempFail;
    dns_.status["nullmx.test/mx"] = util::dns::Result::kFound;
    dns_.null_mx = "nullmx.test";
  }
  ~CheckTest() override {
    msg::SetHook(nullptr);
    maps::ClearTableCache();
  }

 public:
  util::StatusOr<std::unique_ptr<Checker>> Make(const std::map<std::string, std::string>& set) {
    cfg_ = std::make_unique<config::Config>();
    cfg_->Set("mynetworks", "127.0.0.0/8");
    cfg_->Set("smtpd_client_port_logging", "no");
    // No local recipient check unless a row asks (users of this host and
    // its /etc/aliases.db are none of the tests' business).
    cfg_->Set("local_recipient_maps", "");
    for (const auto& [k, v] : set) cfg_->Set(k, v);
    CheckerEnv env;
    env.resolve = &FakeResolve;
    env.dns = &dns_;
    return Checker::FromConfig(*cfg_, env);
  }

 protected:
  ScratchDir dir_;
  FakeDns dns_;
  std::unique_ptr<config::Config> cfg_;
};

enum class Stage { kConnect, kHelo, kMail, kRcpt, kData, kEod, kVrfy, kEtrn };

struct Row {
  const char* name;
  std::map<std::string, std::string> set;
  std::function<void(Session&)> session;  // tweaks of DefaultSession()
  Stage stage;
  int want_code;
  std::string want_reply;  // exact when not empty
  std::string want_log;    // a substring of the log when not empty
};

Verdict RunStage(Checker& c, Session& s, Stage stage) {
  switch (stage) {
    case Stage::kConnect:
      return c.CheckConnect(s);
    case Stage::kHelo:
      return c.CheckHelo(s);
    case Stage::kMail:
      return c.CheckSender(s);
    case Stage::kRcpt:
      return c.CheckRecipient(s);
    case Stage::kData:
      return c.CheckData(s);
    case Stage::kEod:
      return c.CheckEndOfData(s);
    case Stage::kVrfy:
      return c.CheckVrfy(s);
    case Stage::kEtrn:
      return c.CheckEtrn(s, "etrn.test");
  }
  return {};
}

void RunRows(CheckTest* t, const std::vector<Row>& rows) {
  for (const Row& row : rows) {
    SCOPED_TRACE(row.name);
    Logs().clear();
    auto checker = t->Make(row.set);
    ASSERT_TRUE(checker.ok()) << checker.status().message();
    Session s = DefaultSession();
    if (row.session) row.session(s);
    Verdict v = RunStage(**checker, s, row.stage);
    EXPECT_EQ(v.code, row.want_code) << v.reply;
    if (!row.want_reply.empty()) {
      EXPECT_EQ(v.reply, row.want_reply);
    }
    if (!row.want_log.empty()) {
      EXPECT_NE(AllLogs().find(row.want_log), std::string::npos) << AllLogs();
    }
    maps::ClearTableCache();
  }
}

auto Client(std::string name, std::string addr) {
  return [=](Session& s) {
    s.client_name = name;
    s.client_addr = addr;
  };
}
auto Rcpt(std::string r) {
  return [=](Session& s) { s.recipient = r; };
}
auto Sender(std::string r) {
  return [=](Session& s) { s.sender = r; };
}
auto Helo(std::string h) {
  return [=](Session& s) { s.helo_name = h; };
}

TEST_F(CheckTest, RelayControl) {
  RunRows(
      this,
      {
          {"default relay list defers unauthorized relaying",
           {},
           nullptr,
           Stage::kRcpt,
           454,
           "454 4.7.1 <u@remote.test>: Relay access denied",
           "NOQUEUE: reject: RCPT from mail.client.test[192.0.2.1]: 454 4.7.1 "
           "<u@remote.test>: Relay access denied; from=<s@sender.test> to=<u@remote.test> "
           "proto=ESMTP helo=<helo.client.test>"},
          {"reject_unauth_destination",
           {{"smtpd_relay_restrictions", "reject_unauth_destination"}},
           nullptr,
           Stage::kRcpt,
           554,
           "554 5.7.1 <u@remote.test>: Relay access denied",
           ""},
          {"relay_domains_reject_code",
           {{"smtpd_relay_restrictions", "reject_unauth_destination"},
            {"relay_domains_reject_code", "550"}},
           nullptr,
           Stage::kRcpt,
           550,
           "550 5.7.1 <u@remote.test>: Relay access denied",
           ""},
          {"mynetworks may relay", {}, Client("localhost", "127.0.0.1"), Stage::kRcpt, 0, "", ""},
          {"local domain", {}, Rcpt("u@local.test"), Stage::kRcpt, 0, "", ""},
          {"relay domain", {}, Rcpt("u@relay.test"), Stage::kRcpt, 0, "", ""},
          {"virtual domain", {}, Rcpt("u@virt.test"), Stage::kRcpt, 0, "", ""},
          {"routed address to a relay domain is not authorized",
           {},
           Rcpt("a%b@relay.test"),
           Stage::kRcpt,
           454,
           "454 4.7.1 <a%b@relay.test>: Relay access denied",
           ""},
          {"permit_auth_destination then reject",
           {{"smtpd_relay_restrictions", "permit_auth_destination, reject"}},
           Rcpt("u@local.test"),
           Stage::kRcpt,
           0,
           "",
           ""},
          {"plain reject in the recipient list",
           {{"smtpd_recipient_restrictions", "reject"}},
           Rcpt("u@local.test"),
           Stage::kRcpt,
           554,
           "554 5.7.1 <u@local.test>: Recipient address rejected: Access denied",
           ""},
          {"defer",
           {{"smtpd_recipient_restrictions", "defer"}},
           Rcpt("u@local.test"),
           Stage::kRcpt,
           450,
           "450 4.3.2 <u@local.test>: Recipient address rejected: Try again later",
           ""},
          {"resolver failure is a temporary lookup failure",
           {},
           Rcpt("u@fail.test"),
           Stage::kRcpt,
           451,
           "451 4.3.0 <u@fail.test>: Temporary lookup failure",
           ""},
          {"VRFY uses the recipient restrictions",
           {},
           nullptr,
           Stage::kVrfy,
           454,
           "",
           "NOQUEUE: reject: VRFY from"},
          {"soft_bounce turns 5xx into 4xx",
           {{"smtpd_relay_restrictions", "reject_unauth_destination"}, {"soft_bounce", "yes"}},
           nullptr,
           Stage::kRcpt,
           454,
           "454 4.7.1 <u@remote.test>: Relay access denied",
           ""},
      });
}

TEST_F(CheckTest, UnlistedRecipients) {
  std::string vmbox = "inline:{bob@virt.test=x, @catch.virt.test=x}";
  RunRows(
      this,
      {
          {"unknown virtual mailbox",
           {{"virtual_mailbox_maps", vmbox}},
           Rcpt("joe@virt.test"),
           Stage::kRcpt,
           550,
           "550 5.1.1 <joe@virt.test>: Recipient address rejected: User unknown in virtual "
           "mailbox table",
           ""},
          {"known virtual mailbox",
           {{"virtual_mailbox_maps", vmbox}},
           Rcpt("bob@virt.test"),
           Stage::kRcpt,
           0,
           "",
           ""},
          // RCPT TO:<"bo\"b"@virt.test> reaches the checks unquoted once,
          // as bo"b@virt.test, the address queued: not bob's mailbox.
          {"quoted address is checked as queued",
           {{"virtual_mailbox_maps", vmbox}},
           Rcpt("bo\"b@virt.test"),
           Stage::kRcpt,
           550,
           "550 5.1.1 <bo\"b@virt.test>: Recipient address rejected: User unknown in virtual "
           "mailbox table",
           ""},
          {"virtual mailbox with extension",
           {{"virtual_mailbox_maps", vmbox}, {"recipient_delimiter", "+"}},
           Rcpt("bob+x@virt.test"),
           Stage::kRcpt,
           0,
           "",
           ""},
          {"virtual alias makes a mailbox address valid",
           {{"virtual_mailbox_maps", vmbox}, {"virtual_alias_maps", "inline:{joe@virt.test=bob}"}},
           Rcpt("joe@virt.test"),
           Stage::kRcpt,
           0,
           "",
           ""},
          {"unknown in virtual alias domain",
           {{"virtual_alias_maps", "inline:{a@alias.test=b@x.test}"}},
           Rcpt("joe@alias.test"),
           Stage::kRcpt,
           550,
           "550 5.1.1 <joe@alias.test>: Recipient address rejected: User unknown in virtual "
           "alias table",
           ""},
          {"known in virtual alias domain",
           {{"virtual_alias_maps", "inline:{a@alias.test=b@x.test}"}},
           Rcpt("a@alias.test"),
           Stage::kRcpt,
           0,
           "",
           ""},
          {"local recipient table",
           {{"local_recipient_maps", "inline:{bob=x}"}},
           Rcpt("joe@local.test"),
           Stage::kRcpt,
           550,
           "550 5.1.1 <joe@local.test>: Recipient address rejected: User unknown in local "
           "recipient table",
           ""},
          {"local recipient by local part",
           {{"local_recipient_maps", "inline:{bob=x}"}},
           Rcpt("bob@local.test"),
           Stage::kRcpt,
           0,
           "",
           ""},
          {"unsupported local_recipient_maps table: no check",
           {{"local_recipient_maps", "proxy:ldap:/etc/ldap.cf inline:{bob=x}"}},
           Rcpt("joe@local.test"),
           Stage::kRcpt,
           0,
           "",
           "local_recipient_maps: unsupported table ldap:/etc/ldap.cf"},
          {"unix:passwd.byname as local_recipient_maps",
           {{"local_recipient_maps", "unix:passwd.byname inline:{bob=x}"}},
           Rcpt("no-such-user-xyzzy@local.test"),
           Stage::kRcpt,
           550,
           "550 5.1.1 <no-such-user-xyzzy@local.test>: Recipient address rejected: User unknown "
           "in local recipient table",
           ""},
          {"unix:passwd.byname knows root",
           {{"local_recipient_maps", "unix:passwd.byname inline:{bob=x}"}},
           Rcpt("root@local.test"),
           Stage::kRcpt,
           0,
           "",
           ""},
          {"relay recipient table",
           {{"relay_recipient_maps", "inline:{ok@relay.test=x}"}},
           Rcpt("no@relay.test"),
           Stage::kRcpt,
           550,
           "550 5.1.1 <no@relay.test>: Recipient address rejected: User unknown in relay "
           "recipient table",
           ""},
          {"reject code parameter and no table name",
           {{"virtual_mailbox_maps", vmbox},
            {"unknown_virtual_mailbox_reject_code", "450"},
            {"show_user_unknown_table_name", "no"}},
           Rcpt("joe@virt.test"),
           Stage::kRcpt,
           450,
           "450 4.1.1 <joe@virt.test>: Recipient address rejected: User unknown",
           ""},
          {"smtpd_reject_unlisted_recipient = no",
           {{"virtual_mailbox_maps", vmbox}, {"smtpd_reject_unlisted_recipient", "no"}},
           Rcpt("joe@virt.test"),
           Stage::kRcpt,
           0,
           "",
           ""},
          {"explicit reject_unlisted_recipient before a permit",
           {{"virtual_mailbox_maps", vmbox},
            {"smtpd_reject_unlisted_recipient", "no"},
            {"smtpd_recipient_restrictions", "reject_unlisted_recipient, permit"}},
           Rcpt("joe@virt.test"),
           Stage::kRcpt,
           550,
           "",
           ""},
          {"table error is a temporary failure",
           {{"virtual_mailbox_maps", "fail:vm"}},
           Rcpt("joe@virt.test"),
           Stage::kRcpt,
           451,
           "451 4.3.0 <joe@virt.test>: Temporary lookup failure",
           ""},
          {"reject_unlisted_sender",
           {{"virtual_mailbox_maps", vmbox}, {"smtpd_reject_unlisted_sender", "yes"}},
           [](Session& s) {
             s.sender = "joe@virt.test";
             s.recipient = "bob@virt.test";
           },
           Stage::kRcpt,
           550,
           "550 5.1.0 <joe@virt.test>: Sender address rejected: User unknown in virtual "
           "mailbox table",
           ""},
      });
}

TEST_F(CheckTest, ClientRestrictions) {
  dir_.Write("c.cidr", "192.0.2.0/24 REJECT\n");
  RunRows(
      this,
      {
          {"client address REJECT",
           {{"smtpd_client_restrictions", "check_client_access inline:{192.0.2.1=REJECT}"}},
           nullptr,
           Stage::kRcpt,
           554,
           "554 5.7.1 <mail.client.test[192.0.2.1]>: Client host rejected: Access denied",
           "NOQUEUE: reject: RCPT from mail.client.test[192.0.2.1]: 554 5.7.1 "
           "<mail.client.test[192.0.2.1]>: Client host rejected: Access denied; "
           "from=<s@sender.test> to=<u@remote.test> proto=ESMTP helo=<helo.client.test>"},
          {"client network prefix with text",
           {{"smtpd_client_restrictions",
             "check_client_access {inline:{{192.0.2=REJECT go away}}}"}},
           nullptr,
           Stage::kRcpt,
           554,
           "554 5.7.1 <mail.client.test[192.0.2.1]>: Client host rejected: go away",
           ""},
          {"client parent domain, numeric code and DSN",
           {{"smtpd_client_restrictions",
             "check_client_access {inline:{{client.test=550 5.7.0 bye}}}"}},
           nullptr,
           Stage::kRcpt,
           550,
           "550 5.7.0 <mail.client.test[192.0.2.1]>: Client host rejected: bye",
           ""},
          {"IPv6 client prefix",
           {{"smtpd_client_restrictions", "check_client_access {inline:{2001:db8=REJECT}}"}},
           Client("unknown", "2001:db8::1"),
           Stage::kRcpt,
           554,
           "554 5.7.1 <unknown[2001:db8::1]>: Client host rejected: Access denied",
           ""},
          {"cidr table",
           {{"smtpd_client_restrictions", "check_client_access cidr:" + dir_.path() + "/c.cidr"}},
           nullptr,
           Stage::kRcpt,
           554,
           "",
           ""},
          {"OK in client access ends the client list only",
           {{"smtpd_client_restrictions", "check_client_access inline:{192.0.2.1=OK}, reject"}},
           nullptr,
           Stage::kRcpt,
           454,
           "454 4.7.1 <u@remote.test>: Relay access denied",
           ""},
          {"DUNNO stops the key search",
           {{"smtpd_client_restrictions",
             "check_client_access {inline:{192.0.2.1=DUNNO, 192.0.2=REJECT}}"}},
           Rcpt("u@local.test"),
           Stage::kRcpt,
           0,
           "",
           ""},
          {"unknown client hostname",
           {{"smtpd_client_restrictions", "reject_unknown_client_hostname"}},
           [](Session& s) {
             s.client_name = "unknown";
             s.client_name_status = 5;
           },
           Stage::kRcpt,
           450,
           "450 4.7.25 Client host rejected: cannot find your hostname, [192.0.2.1]",
           ""},
          {"unknown client hostname, code parameter",
           {{"smtpd_client_restrictions", "reject_unknown_client_hostname"},
            {"unknown_client_reject_code", "550"}},
           [](Session& s) {
             s.client_name = "unknown";
             s.client_name_status = 5;
           },
           Stage::kRcpt,
           550,
           "550 5.7.25 Client host rejected: cannot find your hostname, [192.0.2.1]",
           ""},
          {"unknown client hostname, temporary",
           {{"smtpd_client_restrictions", "reject_unknown_client_hostname"},
            {"unknown_client_reject_code", "550"}},
           [](Session& s) { s.client_name_status = 4; },
           Stage::kRcpt,
           450,
           "450 4.7.25 Client host rejected: cannot find your hostname, [192.0.2.1]",
           ""},
          {"unknown reverse hostname",
           {{"smtpd_client_restrictions", "reject_unknown_reverse_client_hostname"},
            {"unknown_client_reject_code", "550"}},
           [](Session& s) { s.client_reverse_name_status = 5; },
           Stage::kRcpt,
           550,
           "550 5.7.1 Client host rejected: cannot find your reverse hostname, [192.0.2.1]",
           ""},
          {"permit_mynetworks in the client list",
           {{"smtpd_client_restrictions", "permit_mynetworks, reject"}},
           Client("localhost", "127.0.0.1"),
           Stage::kRcpt,
           0,
           "",
           ""},
          {"delay_reject = no: at connect",
           {{"smtpd_client_restrictions", "reject"}, {"smtpd_delay_reject", "no"}},
           [](Session& s) {
             s.helo_name.clear();
             s.has_sender = false;
             s.protocol = "SMTP";
           },
           Stage::kConnect,
           554,
           "554 5.7.1 <mail.client.test[192.0.2.1]>: Client host rejected: Access denied",
           "NOQUEUE: reject: CONNECT from mail.client.test[192.0.2.1]: 554 5.7.1 "
           "<mail.client.test[192.0.2.1]>: Client host rejected: Access denied; proto=SMTP"},
          {"delay_reject = yes: nothing at connect",
           {{"smtpd_client_restrictions", "reject"}},
           nullptr,
           Stage::kConnect,
           0,
           "",
           ""},
          {"sasl authenticated",
           {{"smtpd_client_restrictions", "permit_sasl_authenticated, reject"}},
           [](Session& s) {
             s.sasl_username = "bob";
             s.recipient = "u@local.test";
           },
           Stage::kRcpt,
           0,
           "",
           ""},
      });
}

TEST_F(CheckTest, HeloRestrictions) {
  RunRows(
      this,
      {
          {"invalid helo",
           {{"smtpd_helo_restrictions", "reject_invalid_helo_hostname"}},
           Helo("bad_name!"),
           Stage::kRcpt,
           501,
           "501 5.5.2 <bad_name!>: Helo command rejected: Invalid name",
           ""},
          {"address literal is valid",
           {{"smtpd_helo_restrictions",
             "reject_invalid_helo_hostname, reject_non_fqdn_helo_hostname"}},
           [](Session& s) {
             s.helo_name = "[192.0.2.1]";
             s.recipient = "u@local.test";
           },
           Stage::kRcpt,
           0,
           "",
           ""},
          {"bad address literal",
           {{"smtpd_helo_restrictions", "reject_invalid_helo_hostname"}},
           Helo("[300.1.1.1]"),
           Stage::kRcpt,
           501,
           "",
           ""},
          {"non-fqdn helo",
           {{"smtpd_helo_restrictions", "reject_non_fqdn_helo_hostname"}},
           Helo("localhost"),
           Stage::kRcpt,
           504,
           "504 5.5.2 <localhost>: Helo command rejected: need fully-qualified hostname",
           ""},
          {"unknown helo hostname",
           {{"smtpd_helo_restrictions", "reject_unknown_helo_hostname"}},
           Helo("nowhere.test"),
           Stage::kRcpt,
           450,
           "450 4.7.1 <nowhere.test>: Helo command rejected: Host not found",
           ""},
          {"known helo hostname",
           {{"smtpd_helo_restrictions", "reject_unknown_helo_hostname"}},
           Rcpt("u@local.test"),
           Stage::kRcpt,
           0,
           "",
           ""},
          {"check_helo_access parent domain",
           {{"smtpd_helo_restrictions", "check_helo_access {inline:{{client.test=REJECT no}}}"}},
           nullptr,
           Stage::kRcpt,
           554,
           "554 5.7.1 <helo.client.test>: Helo command rejected: no",
           ""},
          {"delay_reject = no: at HELO",
           {{"smtpd_helo_restrictions", "reject_non_fqdn_helo_hostname"},
            {"smtpd_delay_reject", "no"}},
           [](Session& s) {
             s.helo_name = "localhost";
             s.has_sender = false;
           },
           Stage::kHelo,
           504,
           "",
           "NOQUEUE: reject: EHLO from mail.client.test[192.0.2.1]: 504 5.5.2 <localhost>: "
           "Helo command rejected: need fully-qualified hostname; proto=ESMTP "
           "helo=<localhost>"},
      });
}

TEST_F(CheckTest, DnsBlockAndAllowLists) {
  // 192.0.2.1 (mail.client.test) is listed with a reason; 192.0.2.7 is
  // listed without one; 192.0.2.9's list does not answer.
  dns_.records["1.2.0.192.rbl.test/a"] = {"127.0.0.2"};
  dns_.records["1.2.0.192.rbl.test/txt"] = {"see http://rbl.test/?192.0.2.1"};
  dns_.records["7.2.0.192.rbl.test/a"] = {"127.0.0.10", "127.0.0.4"};
  dns_.status["9.2.0.192.rbl.test/a"] = util::dns::Result::kTempFail;
  dns_.records["6.2.0.192.rbl.test/a"] = {"127.0.0.2"};
  dns_.records["6.2.0.192.rbl.test/txt"] = {"evil\r\n250 2.0.0 ok", "second"};
  dns_.records["1.2.0.192.wl.test/a"] = {"127.0.10.0"};
  dns_.status["9.2.0.192.wl.test/a"] = util::dns::Result::kTempFail;
  dns_.records["spam.test.rhsbl.test/a"] = {"127.0.1.2"};
  dns_.records["client.test.rhsbl.test/a"] = {"127.0.1.2"};
  dns_.records["mail.client.test.rhsbl.test/a"] = {"127.0.1.2"};
  dns_.records["helo.client.test.rhsbl.test/a"] = {"127.0.1.2"};
  dns_.records["remote.test.rhsbl.test/a"] = {"127.0.1.2"};
  std::string replies = dir_.Write("rbl_replies",
                                   "rbl.test=127.0.0.2 $rbl_code 5.7.9 Listed at "
                                   "$rbl_domain (${rbl_reason}) for $client\n"
                                   "rbl.test $rbl_code $nosuch\n");
  auto Local = [](std::string name, std::string addr) {
    return [=](Session& s) {
      s.client_name = name;
      s.client_addr = addr;
      s.recipient = "u@local.test";
    };
  };
  const std::string kListed =
      "554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using rbl.test; see "
      "http://rbl.test/?192.0.2.1";
  RunRows(
      this,
      {
          {"listed, with the TXT record as the reason",
           {{"smtpd_client_restrictions", "reject_rbl_client rbl.test"}},
           nullptr,
           Stage::kRcpt,
           554,
           kListed,
           "NOQUEUE: reject: RCPT from mail.client.test[192.0.2.1]: " + kListed +
               "; from=<s@sender.test> to=<u@remote.test> proto=ESMTP helo=<helo.client.test>"},
          {"reject_rbl is the old name",
           {{"smtpd_client_restrictions", "reject_rbl rbl.test"}},
           nullptr,
           Stage::kRcpt,
           554,
           kListed,
           ""},
          {"not listed",
           {{"smtpd_client_restrictions", "reject_rbl_client rbl.test"}},
           Local("other.test", "192.0.2.2"),
           Stage::kRcpt,
           0,
           "",
           ""},
          {"listed without a reason; a range of the pattern matches the second record",
           {{"smtpd_client_restrictions", "reject_rbl_client rbl.test=127.0.0.[1;3..5]"}},
           Client("other.test", "192.0.2.7"),
           Stage::kRcpt,
           554,
           "554 5.7.1 Service unavailable; Client host [192.0.2.7] blocked using rbl.test",
           ""},
          {"the pattern matches no record",
           {{"smtpd_client_restrictions", "reject_rbl_client rbl.test=127.0.0.3"}},
           Local("mail.client.test", "192.0.2.1"),
           Stage::kRcpt,
           0,
           "",
           ""},
          {"the list does not answer: the benefit of the doubt",
           {{"smtpd_client_restrictions", "reject_rbl_client rbl.test"}},
           Local("other.test", "192.0.2.9"),
           Stage::kRcpt,
           0,
           "",
           "9.2.0.192.rbl.test: RBL lookup error: Host or domain name not found. Name service "
           "error for name=9.2.0.192.rbl.test type=A: Host not found, try again"},
          {"a hostile TXT record cannot end the reply line",
           {{"smtpd_client_restrictions", "reject_rbl_client rbl.test"}},
           Client("other.test", "192.0.2.6"),
           Stage::kRcpt,
           554,
           "554 5.7.1 Service unavailable; Client host [192.0.2.6] blocked using rbl.test; "
           "evil__250 2.0.0 ok / second",
           ""},
          {"maps_rbl_reject_code",
           {{"smtpd_client_restrictions", "reject_rbl_client rbl.test"},
            {"maps_rbl_reject_code", "450"}},
           Client("other.test", "192.0.2.7"),
           Stage::kRcpt,
           450,
           "450 4.7.1 Service unavailable; Client host [192.0.2.7] blocked using rbl.test",
           ""},
          {"rbl_reply_maps by domain=pattern, with its own status code",
           {{"smtpd_client_restrictions", "reject_rbl_client rbl.test=127.0.0.2"},
            {"rbl_reply_maps", "texthash:" + replies}},
           nullptr,
           Stage::kRcpt,
           554,
           "554 5.7.9 Listed at rbl.test (see http://rbl.test/?192.0.2.1) for "
           "mail.client.test[192.0.2.1]",
           ""},
          {"a template with an unknown name: the default reply",
           {{"smtpd_client_restrictions", "reject_rbl_client rbl.test"},
            {"rbl_reply_maps", "texthash:" + replies}},
           nullptr,
           Stage::kRcpt,
           554,
           kListed,
           "bad rbl reply template for domain rbl.test: $rbl_code $nosuch"},
          {"a malformed pattern is a configuration error",
           {{"smtpd_client_restrictions", "reject_rbl_client rbl.test=127.0.0"}},
           nullptr,
           Stage::kRcpt,
           451,
           "451 4.3.5 Server configuration error",
           ""},
          {"warn_if_reject",
           {{"smtpd_client_restrictions", "warn_if_reject reject_rbl_client rbl.test"}},
           Local("mail.client.test", "192.0.2.1"),
           Stage::kRcpt,
           0,
           "",
           "NOQUEUE: reject_warning: RCPT from mail.client.test[192.0.2.1]: " + kListed},
          {"reject_rhsbl_sender",
           {{"smtpd_sender_restrictions", "reject_rhsbl_sender rhsbl.test"}},
           Sender("bad@spam.test"),
           Stage::kRcpt,
           554,
           "554 5.7.1 Service unavailable; Sender address [bad@spam.test] blocked using "
           "rhsbl.test",
           ""},
          {"reject_rhsbl_sender skips an address literal",
           {{"smtpd_sender_restrictions", "reject_rhsbl_sender rhsbl.test"}},
           [](Session& s) {
             s.sender = "bad@[192.0.2.1]";
             s.recipient = "u@local.test";
           },
           Stage::kRcpt,
           0,
           "",
           ""},
          {"reject_rhsbl_client",
           {{"smtpd_client_restrictions", "reject_rhsbl_client rhsbl.test"}},
           nullptr,
           Stage::kRcpt,
           554,
           "554 5.7.1 Service unavailable; Client host [mail.client.test] blocked using "
           "rhsbl.test",
           ""},
          {"reject_rhsbl_client skips an unknown client name",
           {{"smtpd_client_restrictions", "reject_rhsbl_client rhsbl.test"}},
           Local("unknown", "192.0.2.1"),
           Stage::kRcpt,
           0,
           "",
           ""},
          {"reject_rhsbl_reverse_client",
           {{"smtpd_client_restrictions", "reject_rhsbl_reverse_client rhsbl.test"}},
           nullptr,
           Stage::kRcpt,
           554,
           "554 5.7.1 Service unavailable; Unverified Client host [mail.client.test] blocked "
           "using rhsbl.test",
           ""},
          {"reject_rhsbl_helo",
           {{"smtpd_helo_restrictions", "reject_rhsbl_helo rhsbl.test"}},
           nullptr,
           Stage::kRcpt,
           554,
           "554 5.7.1 Service unavailable; Helo command [helo.client.test] blocked using "
           "rhsbl.test",
           ""},
          {"reject_rhsbl_recipient",
           {{"smtpd_relay_restrictions",
             "reject_rhsbl_recipient rhsbl.test, permit_mynetworks, reject_unauth_destination"}},
           nullptr,
           Stage::kRcpt,
           554,
           "554 5.7.1 Service unavailable; Recipient address [u@remote.test] blocked using "
           "rhsbl.test",
           ""},
          {"permit_dnswl_client: listed, so the later reject does not apply",
           {{"smtpd_client_restrictions", "permit_dnswl_client wl.test, reject"}},
           Local("mail.client.test", "192.0.2.1"),
           Stage::kRcpt,
           0,
           "",
           ""},
          {"permit_dnswl_client: not listed",
           {{"smtpd_client_restrictions", "permit_dnswl_client wl.test, reject"}},
           Client("other.test", "192.0.2.2"),
           Stage::kRcpt,
           554,
           "",
           ""},
          {"permit_dnswl_client: no answer turns a later reject into a deferral",
           {{"smtpd_client_restrictions", "permit_dnswl_client wl.test, reject"}},
           Local("other.test", "192.0.2.9"),
           Stage::kRcpt,
           450,
           "450 4.7.1 <192.0.2.9>: Client host rejected: Service unavailable",
           ""},
          {"permit_dnswl_client never opens relaying",
           {{"smtpd_relay_restrictions", "permit_dnswl_client wl.test, reject_unauth_destination"}},
           Rcpt("u@remote.test"),
           Stage::kRcpt,
           554,
           "554 5.7.1 <u@remote.test>: Relay access denied",
           ""},
          {"permit_rhswl_client",
           {{"smtpd_client_restrictions", "permit_rhswl_client rhsbl.test, reject"}},
           Local("mail.client.test", "192.0.2.1"),
           Stage::kRcpt,
           0,
           "",
           ""},
      });
}

TEST_F(CheckTest, ServerAccess) {
  dns_.records["bogus.test/mx"] = {"mx.bogus.test"};
  dns_.records["mx.bogus.test/a"] = {"127.0.0.1"};
  dns_.records["spam.test/mx"] = {"mx2.spam.test", "mx.spam.test"};
  dns_.records["mx2.spam.test/a"] = {"192.0.2.50"};
  dns_.records["nomx.test/a"] = {"10.1.2.3"};
  dns_.records["ns.test/ns"] = {"ns1.ns.test"};
  dns_.records["mail.client.test/a"] = {"10.9.9.9"};
  std::string cidr = dir_.Write("bogus.cidr",
                                "127.0.0.0/8 REJECT mail server in loopback\n"
                                "10.0.0.0/8 REJECT private network\n"
                                "192.0.2.0/24 REJECT documentation network\n");
  RunRows(this,
          {
              {"check_sender_mx_access: an MX host's address",
               {{"smtpd_sender_restrictions", "check_sender_mx_access cidr:" + cidr}},
               Sender("s@bogus.test"),
               Stage::kRcpt,
               554,
               "554 5.7.1 <s@bogus.test>: Sender address rejected: mail server in loopback",
               ""},
              {"check_sender_mx_access: an MX host's name, before any address",
               {{"smtpd_sender_restrictions",
                 "check_sender_mx_access {inline:{{mx.spam.test=REJECT bad mx}}}"}},
               Sender("s@spam.test"),
               Stage::kRcpt,
               554,
               "554 5.7.1 <s@spam.test>: Sender address rejected: bad mx",
               ""},
              {"check_sender_mx_access: no MX, the domain is its own MX host",
               {{"smtpd_sender_restrictions", "check_sender_mx_access cidr:" + cidr}},
               Sender("s@nomx.test"),
               Stage::kRcpt,
               554,
               "554 5.7.1 <s@nomx.test>: Sender address rejected: private network",
               ""},
              {"check_sender_mx_access: an address literal is its own MX host",
               {{"smtpd_sender_restrictions", "check_sender_mx_access cidr:" + cidr}},
               Sender("s@[192.0.2.9]"),
               Stage::kRcpt,
               554,
               "554 5.7.1 <s@[192.0.2.9]>: Sender address rejected: documentation network",
               ""},
              {"check_sender_mx_access: a temporary DNS error decides nothing",
               {{"smtpd_sender_restrictions", "check_sender_mx_access cidr:" + cidr}},
               [](Session& s) {
                 s.sender = "s@tmp.test";
                 s.recipient = "u@local.test";
               },
               Stage::kRcpt,
               0,
               "",
               "Unable to look up MX host for tmp.test: Host not found, try again"},
              {"check_sender_ns_access: the parent domain's name servers",
               {{"smtpd_sender_restrictions",
                 "check_sender_ns_access {inline:{{ns1.ns.test=REJECT bad ns}}}"}},
               Sender("s@sub.ns.test"),
               Stage::kRcpt,
               554,
               "554 5.7.1 <s@sub.ns.test>: Sender address rejected: bad ns",
               ""},
              {"check_client_a_access: the client name's addresses",
               {{"smtpd_client_restrictions", "check_client_a_access cidr:" + cidr}},
               nullptr,
               Stage::kRcpt,
               554,
               "554 5.7.1 <mail.client.test[192.0.2.1]>: Client host rejected: private network",
               ""},
              {"check_recipient_mx_access",
               {{"smtpd_relay_restrictions", "check_recipient_mx_access cidr:" + cidr +
                                                 ", permit_mynetworks, "
                                                 "reject_unauth_destination"}},
               Rcpt("u@bogus.test"),
               Stage::kRcpt,
               554,
               "554 5.7.1 <u@bogus.test>: Recipient address rejected: mail server in loopback",
               ""},
              {"check_helo_mx_access: not listed",
               {{"smtpd_helo_restrictions", "check_helo_mx_access cidr:" + cidr}},
               Rcpt("u@local.test"),
               Stage::kRcpt,
               0,
               "",
               ""},
          });
}

TEST_F(CheckTest, DnsListResultsAreCached) {
  dns_.records["1.2.0.192.rbl.test/a"] = {"127.0.0.2"};
  auto checker = Make({{"smtpd_client_restrictions", "reject_rbl_client rbl.test"}});
  ASSERT_TRUE(checker.ok());
  for (int i = 0; i < 3; i++) {
    Session s = DefaultSession();
    EXPECT_EQ((*checker)->CheckRecipient(s).code, 554);
  }
  EXPECT_EQ(dns_.lookups, 2);  // A and TXT, once
}

TEST_F(CheckTest, SenderRestrictions) {
  std::string table =
      "check_sender_access {inline:{{s@sender.test=REJECT full}, {sub.test=REJECT "
      "domain}, {user@=REJECT localpart}, {<>=REJECT null}}}";
  RunRows(this,
          {
              {"full address",
               {{"smtpd_sender_restrictions", table}},
               nullptr,
               Stage::kRcpt,
               554,
               "554 5.7.1 <s@sender.test>: Sender address rejected: full",
               ""},
              {"parent domain matches subdomains (smtpd_access_maps)",
               {{"smtpd_sender_restrictions", table}},
               Sender("x@a.sub.test"),
               Stage::kRcpt,
               554,
               "554 5.7.1 <x@a.sub.test>: Sender address rejected: domain",
               ""},
              {"user@",
               {{"smtpd_sender_restrictions", table}},
               Sender("user@other.test"),
               Stage::kRcpt,
               554,
               "554 5.7.1 <user@other.test>: Sender address rejected: localpart",
               ""},
              {"null sender",
               {{"smtpd_sender_restrictions", table}},
               Sender(""),
               Stage::kRcpt,
               554,
               "554 5.7.1 <>: Sender address rejected: null",
               "from=<> to=<u@remote.test>"},
              {"delay_reject = no: at MAIL, no to=",
               {{"smtpd_sender_restrictions", table}, {"smtpd_delay_reject", "no"}},
               nullptr,
               Stage::kMail,
               554,
               "",
               "NOQUEUE: reject: MAIL from mail.client.test[192.0.2.1]: 554 5.7.1 <s@sender.test>: "
               "Sender address rejected: full; from=<s@sender.test> proto=ESMTP "
               "helo=<helo.client.test>"},
              {"delay_reject = yes: nothing at MAIL",
               {{"smtpd_sender_restrictions", table}},
               nullptr,
               Stage::kMail,
               0,
               "",
               ""},
              {"non-fqdn sender",
               {{"smtpd_sender_restrictions", "reject_non_fqdn_sender"}},
               Sender("s@localhost"),
               Stage::kRcpt,
               504,
               "504 5.5.2 <s@localhost>: Sender address rejected: need fully-qualified address",
               ""},
              {"unknown sender domain",
               {{"smtpd_sender_restrictions", "reject_unknown_sender_domain"}},
               Sender("s@nowhere.test"),
               Stage::kRcpt,
               450,
               "450 4.1.8 <s@nowhere.test>: Sender address rejected: Domain not found",
               ""},
              {"sender domain without MX or address",
               {{"smtpd_sender_restrictions", "reject_unknown_sender_domain"},
                {"unknown_address_reject_code", "550"}},
               Sender("s@noaddr.test"),
               Stage::kRcpt,
               550,
               "550 5.1.8 <s@noaddr.test>: Sender address rejected: Domain not found",
               ""},
              {"sender domain with A only",
               {{"smtpd_sender_restrictions", "reject_unknown_sender_domain"}},
               [](Session& s) {
                 s.sender = "s@aonly.test";
                 s.recipient = "u@local.test";
               },
               Stage::kRcpt,
               0,
               "",
               ""},
              {"null MX",
               {{"smtpd_sender_restrictions", "reject_unknown_sender_domain"}},
               Sender("s@nullmx.test"),
               Stage::kRcpt,
               556,
               "556 5.7.27 <s@nullmx.test>: Sender address rejected: Domain nullmx.test does not "
               "accept mail (nullMX)",
               ""},
              {"DNS temporary failure: defer_if_permit",
               {{"smtpd_sender_restrictions", "reject_unknown_sender_domain"}},
               [](Session& s) {
                 s.sender = "s@tmp.test";
                 s.recipient = "u@local.test";
               },
               Stage::kRcpt,
               450,
               "450 4.1.8 <s@tmp.test>: Sender address rejected: Domain not found",
               ""},
              {"DNS temporary failure, later reject wins",
               {{"smtpd_sender_restrictions", "reject_unknown_sender_domain"},
                {"smtpd_relay_restrictions", "reject_unauth_destination"}},
               Sender("s@tmp.test"),
               Stage::kRcpt,
               554,
               "554 5.7.1 <u@remote.test>: Relay access denied",
               ""},
              {"unknown recipient domain",
               {{"smtpd_recipient_restrictions",
                 "reject_unknown_recipient_domain, reject_unauth_destination"},
                {"smtpd_relay_restrictions", "permit"}},
               Rcpt("u@nowhere.test"),
               Stage::kRcpt,
               450,
               "450 4.1.2 <u@nowhere.test>: Recipient address rejected: Domain not found",
               ""},
              {"non-fqdn recipient",
               {{"smtpd_recipient_restrictions",
                 "reject_non_fqdn_recipient, reject_unauth_destination"},
                {"smtpd_relay_restrictions", "permit"}},
               Rcpt("u@local"),
               Stage::kRcpt,
               504,
               "504 5.5.2 <u@local>: Recipient address rejected: need fully-qualified address",
               ""},
              {"sender login mismatch without SASL",
               {{"smtpd_sender_restrictions", "reject_sender_login_mismatch"},
                {"smtpd_sender_login_maps", "inline:{s@sender.test=bob}"}},
               nullptr,
               Stage::kRcpt,
               553,
               "553 5.7.1 <s@sender.test>: Sender address rejected: not logged in",
               ""},
              {"sender login owned by another user",
               {{"smtpd_sender_restrictions", "reject_sender_login_mismatch"},
                {"smtpd_sender_login_maps", "inline:{s@sender.test=bob}"}},
               [](Session& s) { s.sasl_username = "eve"; },
               Stage::kRcpt,
               553,
               "553 5.7.1 <s@sender.test>: Sender address rejected: not owned by user eve",
               ""},
          });
}

TEST_F(CheckTest, SenderLoginMismatchForms) {
  std::map<std::string, std::string> known = {
      {"smtpd_sender_restrictions", "reject_known_sender_login_mismatch"},
      {"smtpd_sender_login_maps", "inline:{s@sender.test=bob}"}};
  std::map<std::string, std::string> authenticated = {
      {"smtpd_sender_restrictions", "reject_authenticated_sender_login_mismatch"},
      {"smtpd_sender_login_maps", "inline:{s@sender.test=bob}"}};
  auto eve = [](Session& s) { s.sasl_username = "eve"; };
  auto eve_unlisted = [](Session& s) {
    s.sasl_username = "eve";
    s.sender = "other@sender.test";
  };
  RunRows(this,
          {
              {"known: an unlisted sender is not checked", known, eve_unlisted, Stage::kRcpt, 0, "",
               ""},
              {"known: a listed sender owned by another user", known, eve, Stage::kRcpt, 553,
               "553 5.7.1 <s@sender.test>: Sender address rejected: not owned by user eve", ""},
              {"authenticated: unauthenticated clients are not checked", authenticated,
               Rcpt("u@local.test"), Stage::kRcpt, 0, "", ""},
          });
}

TEST_F(CheckTest, AccessActions) {
  auto rcpt_table = [](const std::string& value) {
    return std::map<std::string, std::string>{
        {"smtpd_recipient_restrictions",
         "check_recipient_access {inline:{{u@local.test=" + value + "}}}"}};
  };
  RunRows(
      this,
      {
          {"OK", rcpt_table("OK"), Rcpt("u@local.test"), Stage::kRcpt, 0, "", ""},
          {"numeric means OK", rcpt_table("12345"), Rcpt("u@local.test"), Stage::kRcpt, 0, "", ""},
          {"REJECT", rcpt_table("REJECT"), Rcpt("u@local.test"), Stage::kRcpt, 554,
           "554 5.7.1 <u@local.test>: Recipient address rejected: Access denied", ""},
          {"REJECT with DSN and access_map_reject_code",
           [&] {
             auto m = rcpt_table("REJECT 5.7.2 no such list");
             m["access_map_reject_code"] = "550";
             return m;
           }(),
           Rcpt("u@local.test"), Stage::kRcpt, 550,
           "550 5.7.2 <u@local.test>: Recipient address rejected: no such list", ""},
          {"DEFER", rcpt_table("DEFER later"), Rcpt("u@local.test"), Stage::kRcpt, 450,
           "450 4.7.1 <u@local.test>: Recipient address rejected: later", ""},
          {"4NN text", rcpt_table("421 closing"), Rcpt("u@local.test"), Stage::kRcpt, 421,
           "421 4.7.1 <u@local.test>: Recipient address rejected: closing", ""},
          {"DEFER_IF_PERMIT then permitted", rcpt_table("DEFER_IF_PERMIT wait"),
           Rcpt("u@local.test"), Stage::kRcpt, 450,
           "450 4.7.1 <u@local.test>: Recipient address rejected: wait", ""},
          {"DEFER_IF_REJECT then rejected",
           [&] {
             auto m = rcpt_table("DEFER_IF_REJECT maybe");
             m["smtpd_recipient_restrictions"] += ", reject";
             return m;
           }(),
           Rcpt("u@local.test"), Stage::kRcpt, 450,
           "450 4.7.1 <u@local.test>: Recipient address rejected: maybe", ""},
          {"DEFER_IF_REJECT then permitted", rcpt_table("DEFER_IF_REJECT maybe"),
           Rcpt("u@local.test"), Stage::kRcpt, 0, "", ""},
          {"DUNNO", rcpt_table("DUNNO"), Rcpt("u@local.test"), Stage::kRcpt, 0, "", ""},
          {"DISCARD", rcpt_table("DISCARD spam"), Rcpt("u@local.test"), Stage::kRcpt, 0, "",
           "NOQUEUE: discard: RCPT from mail.client.test[192.0.2.1]: <u@local.test>: Recipient "
           "address spam; from=<s@sender.test> to=<u@local.test>"},
          {"HOLD", rcpt_table("HOLD"), Rcpt("u@local.test"), Stage::kRcpt, 0, "",
           "NOQUEUE: hold: RCPT from mail.client.test[192.0.2.1]: <u@local.test>: Recipient "
           "address triggers HOLD action;"},
          {"REDIRECT", rcpt_table("REDIRECT x@y.test"), Rcpt("u@local.test"), Stage::kRcpt, 0, "",
           "<u@local.test>: Recipient address triggers REDIRECT x@y.test;"},
          {"FILTER", rcpt_table("FILTER smtp:[127.0.0.1]:10025"), Rcpt("u@local.test"),
           Stage::kRcpt, 0, "", "triggers FILTER smtp:[127.0.0.1]:10025;"},
          {"WARN", rcpt_table("WARN look at this"), Rcpt("u@local.test"), Stage::kRcpt, 0, "",
           "NOQUEUE: warn: RCPT from mail.client.test[192.0.2.1]: look at this;"},
          {"restriction list as value", rcpt_table("reject_unauth_destination"),
           Rcpt("u@local.test"), Stage::kRcpt, 0, "", ""},
          {"restriction list as value rejects",
           {{"smtpd_recipient_restrictions",
             "check_recipient_access {inline:{remote.test=reject_unauth_destination}}, "
             "defer_unauth_destination"},
            {"smtpd_relay_restrictions", "permit"}},
           nullptr,
           Stage::kRcpt,
           554,
           "554 5.7.1 <u@remote.test>: Relay access denied",
           ""},
          {"restriction class by table value",
           {{"smtpd_restriction_classes", "strict"},
            {"strict", "reject_non_fqdn_sender, reject"},
            {"smtpd_recipient_restrictions",
             "check_recipient_access {inline:{u@local.test=strict}}"}},
           Rcpt("u@local.test"),
           Stage::kRcpt,
           554,
           "554 5.7.1 <u@local.test>: Recipient address rejected: Access denied",
           ""},
          {"restriction class in a list",
           {{"smtpd_restriction_classes", "friendly"},
            {"friendly", "permit"},
            {"smtpd_relay_restrictions", "friendly"},
            {"smtpd_recipient_restrictions", "reject_unauth_destination"}},
           nullptr,
           Stage::kRcpt,
           554,
           "",
           ""},
          {"lookup table in a value is a configuration error", rcpt_table("hash:/x"),
           Rcpt("u@local.test"), Stage::kRcpt, 451, "451 4.3.5 Server configuration error", ""},
          {"warn_if_reject",
           {{"smtpd_recipient_restrictions", "warn_if_reject, reject, permit"}},
           Rcpt("u@local.test"),
           Stage::kRcpt,
           0,
           "",
           "NOQUEUE: reject_warning: RCPT from mail.client.test[192.0.2.1]: 554 5.7.1 "
           "<u@local.test>: Recipient address rejected: Access denied;"},
          {"defer_if_permit restriction",
           {{"smtpd_recipient_restrictions", "defer_if_permit"}},
           Rcpt("u@local.test"),
           Stage::kRcpt,
           450,
           "450 4.7.1 <u@local.test>: Recipient address rejected: defer_if_permit requested",
           ""},
          {"unknown restriction",
           {{"smtpd_recipient_restrictions", "reject_bogus"}},
           Rcpt("u@local.test"),
           Stage::kRcpt,
           451,
           "451 4.3.5 Server configuration error",
           "unknown smtpd restriction: \"reject_bogus\""},
          {"temporary table error",
           {{"smtpd_recipient_restrictions", "check_recipient_access fail:x"}},
           Rcpt("u@local.test"),
           Stage::kRcpt,
           451,
           "451 4.3.0 <u@local.test>: Temporary lookup failure",
           "NOQUEUE: reject: RCPT from mail.client.test[192.0.2.1]: 451 4.3.0 <u@local.test>: "
           "Temporary lookup failure;"},
          {"temporary client table error",
           {{"smtpd_client_restrictions", "check_client_access fail:x"}},
           nullptr,
           Stage::kRcpt,
           451,
           "451 4.3.0 <mail.client.test[192.0.2.1]>: Temporary lookup failure",
           ""},
          {"data restrictions",
           {{"smtpd_data_restrictions", "reject"}},
           nullptr,
           Stage::kData,
           554,
           "554 5.7.1 <DATA>: Data command rejected: Access denied",
           "NOQUEUE: reject: DATA from mail.client.test[192.0.2.1]: 554 5.7.1 <DATA>"},
          {"end-of-data restrictions",
           {{"smtpd_end_of_data_restrictions",
             "check_sender_access inline:{s@sender.test=REJECT}"}},
           nullptr,
           Stage::kEod,
           554,
           "554 5.7.1 <s@sender.test>: Sender address rejected: Access denied",
           "reject: END-OF-MESSAGE from"},
          {"etrn restrictions",
           {{"smtpd_etrn_restrictions", "check_etrn_access inline:{etrn.test=REJECT}"}},
           nullptr,
           Stage::kEtrn,
           554,
           "554 5.7.1 <etrn.test>: Etrn command rejected: Access denied",
           ""},
      });
}

TEST_F(CheckTest, ActionsReachTheSession) {
  auto c = Make({{"smtpd_recipient_restrictions",
                  "check_recipient_access {inline:{{u@local.test=PREPEND X-Tag: yes}, "
                  "{v@local.test=HOLD why}, w@local.test=DISCARD, {x@local.test=REDIRECT "
                  "r@y.test}, {y@local.test=FILTER smtp:h}}}"}});
  ASSERT_TRUE(c.ok()) << c.status().message();
  Session s = DefaultSession();
  for (const char* r :
       {"u@local.test", "v@local.test", "w@local.test", "x@local.test", "y@local.test"}) {
    s.recipient = r;
    EXPECT_EQ((*c)->CheckRecipient(s).code, 0) << r;
  }
  EXPECT_EQ(s.prepend_headers, std::vector<std::string>{"X-Tag: yes"});
  EXPECT_EQ(s.hold_reason, "why");
  EXPECT_TRUE(s.discard);
  EXPECT_EQ(s.redirect, "r@y.test");
  EXPECT_EQ(s.filter, "smtp:h");
}

TEST_F(CheckTest, DelayRejectRepeatsAndResets) {
  auto c =
      Make({{"smtpd_sender_restrictions", "check_sender_access inline:{s@sender.test=REJECT}"}});
  ASSERT_TRUE(c.ok());
  Session s = DefaultSession();
  EXPECT_EQ((*c)->CheckSender(s).code, 0);
  EXPECT_EQ((*c)->CheckRecipient(s).code, 554);
  Logs().clear();
  s.recipient = "v@local.test";
  Verdict v = (*c)->CheckRecipient(s);
  EXPECT_EQ(v.code, 554);
  EXPECT_NE(AllLogs().find("to=<v@local.test>"), std::string::npos) << AllLogs();
  // A new transaction with another sender is evaluated afresh.
  (*c)->ResetTransaction(s);
  s.sender = "ok@sender.test";
  EXPECT_EQ((*c)->CheckSender(s).code, 0);
  EXPECT_EQ((*c)->CheckRecipient(s).code, 0);
}

TEST_F(CheckTest, StartupCheck) {
  struct {
    const char* name;
    std::map<std::string, std::string> set;
    bool ok;
  } rows[] = {
      {"defaults", {}, true},
      {"no relay list, recipient list permits",
       {{"smtpd_relay_restrictions", ""}, {"smtpd_recipient_restrictions", "permit_mynetworks"}},
       false},
      {"no relay list, recipient list rejects",
       {{"smtpd_relay_restrictions", ""},
        {"smtpd_recipient_restrictions", "permit_mynetworks, reject_unauth_destination"}},
       true},
      {"permit before the reject does not count",
       {{"smtpd_relay_restrictions", "permit, reject_unauth_destination"}},
       false},
      {"warn_if_reject does not count",
       {{"smtpd_relay_restrictions", "warn_if_reject reject_unauth_destination"}},
       false},
      {"through a restriction class",
       {{"smtpd_relay_restrictions", "cls"},
        {"smtpd_restriction_classes", "cls"},
        {"cls", "defer_unauth_destination"}},
       true},
      {"bad table type",
       {{"smtpd_client_restrictions", "check_client_access nosuchtype:x"}},
       false},
  };
  for (const auto& row : rows) {
    auto c = Make(row.set);
    EXPECT_EQ(c.ok(), row.ok) << row.name << ": " << (c.ok() ? "" : c.status().message());
    maps::ClearTableCache();
  }
  auto c = Make({{"smtpd_relay_restrictions", ""}});
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("specify at least one working instance of"),
            std::string::npos);
}

TEST_F(CheckTest, Mynetworks) {
  std::string file = dir_.Write("nets", "# trusted\n198.51.100.0/24\n");
  std::string cidr = dir_.Write("nets.cidr", "192.0.2.0/28 x\n");
  struct {
    const char* name;
    std::map<std::string, std::string> set;
    const char* client_name;
    const char* addr;
    bool want;
  } rows[] = {
      {"cidr", {{"mynetworks", "10.0.0.0/8"}}, "unknown", "10.1.2.3", true},
      {"cidr miss", {{"mynetworks", "10.0.0.0/8"}}, "unknown", "11.1.2.3", false},
      {"ipv6 in brackets", {{"mynetworks", "[::1]/128"}}, "unknown", "::1", true},
      {"ipv6 network", {{"mynetworks", "[2001:db8::]/32"}}, "unknown", "2001:db8:1::5", true},
      {"ipv4-mapped", {{"mynetworks", "192.0.2.0/24"}}, "unknown", "::ffff:192.0.2.7", true},
      {"file", {{"mynetworks", file}}, "unknown", "198.51.100.9", true},
      {"table", {{"mynetworks", "inline:{192.0.2.9=x}"}}, "unknown", "192.0.2.9", true},
      {"cidr table", {{"mynetworks", "cidr:" + cidr}}, "unknown", "192.0.2.9", true},
      {"hostname with parent",
       {{"mynetworks", "example.test"}},
       "a.example.test",
       "192.0.2.1",
       true},
      {"negation", {{"mynetworks", "!192.0.2.1 192.0.2.0/24"}}, "unknown", "192.0.2.1", false},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    auto c = Make(row.set);
    ASSERT_TRUE(c.ok()) << c.status().message();
    Session s = DefaultSession();
    s.client_name = row.client_name;
    s.client_addr = row.addr;
    util::StatusOr<bool> m = (*c)->InMynetworks(s);
    ASSERT_TRUE(m.ok());
    EXPECT_EQ(*m, row.want);
    maps::ClearTableCache();
  }
}

TEST_F(CheckTest, MynetworksStyle) {
  struct {
    const char* style;
    const char* addr;
    bool want;
  } rows[] = {
      {"host", "127.0.0.1", true},
      {"host", "127.0.0.2", false},
      {"subnet", "127.0.0.2", true},
      {"class", "127.1.2.3", true},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(std::string(row.style) + " " + row.addr);
    cfg_ = std::make_unique<config::Config>();
    cfg_->Set("mynetworks_style", row.style);
    CheckerEnv env;
    env.resolve = &FakeResolve;
    env.dns = &dns_;
    auto c = Checker::FromConfig(*cfg_, env);
    ASSERT_TRUE(c.ok()) << c.status().message();
    Session s = DefaultSession();
    s.client_addr = row.addr;
    util::StatusOr<bool> m = (*c)->InMynetworks(s);
    ASSERT_TRUE(m.ok());
    EXPECT_EQ(*m, row.want);
  }
  cfg_ = std::make_unique<config::Config>();
  cfg_->Set("mynetworks_style", "bogus");
  EXPECT_FALSE(Checker::FromConfig(*cfg_).ok());
}

TEST_F(CheckTest, ClientMatches) {
  auto c = Make({{"debug_peer_list", "192.0.2.0/24, .example.test"}});
  ASSERT_TRUE(c.ok());
  Session s = DefaultSession();
  EXPECT_TRUE(*(*c)->ClientMatches("debug_peer_list", s));
  s.client_addr = "198.51.100.1";
  EXPECT_FALSE(*(*c)->ClientMatches("debug_peer_list", s));
  s.client_name = "x.example.test";
  EXPECT_TRUE(*(*c)->ClientMatches("debug_peer_list", s));
}

TEST(CheckUtilTest, AddressKeys) {
  EXPECT_EQ(AddressKeys("192.0.2.1"),
            (std::vector<std::string>{"192.0.2.1", "192.0.2", "192.0", "192"}));
  EXPECT_EQ(AddressKeys("2001:DB8::1"),
            (std::vector<std::string>{"2001:db8::1", "2001:db8:", "2001:db8", "2001"}));
  EXPECT_EQ(AddressKeys("::ffff:192.0.2.1")[0], "192.0.2.1");
}

TEST(CheckUtilTest, Syntax) {
  struct {
    const char* name;
    bool valid_helo;
  } rows[] = {{"mail.example.com", true}, {"localhost", true},   {"bad_name!", false},
              {"-x.example", false},      {"[192.0.2.1]", true}, {"[IPv6:2001:db8::1]", true},
              {"[1.2.3]", false},         {"192.0.2.1", true},   {"a..b", false},
              {"example.com.", true},     {"123.456", false}};
  for (const auto& row : rows) EXPECT_EQ(ValidHeloName(row.name), row.valid_helo) << row.name;
  std::string dsn = "5.7.1";
  EXPECT_EQ(SplitDsn("5.7.2 go away", &dsn), "go away");
  EXPECT_EQ(dsn, "5.7.2");
  dsn = "5.7.1";
  EXPECT_EQ(SplitDsn("5 apples", &dsn), "5 apples");
  EXPECT_EQ(dsn, "5.7.1");
  EXPECT_EQ(UnsupportedTableIn("proxy:ldap:/etc/ldap.cf hash:/etc/aliases"), "ldap:/etc/ldap.cf");
  EXPECT_EQ(UnsupportedTableIn("proxy:unix:passwd.byname hash:/etc/aliases"), "");
  EXPECT_EQ(UnsupportedTableIn("hash:/etc/aliases, inline:{a=b}"), "");
  auto list = SplitRestrictions("permit_mynetworks, check_client_access {inline:{a=b, c=d}} ,x");
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(*list, (std::vector<std::string>{"permit_mynetworks", "check_client_access",
                                             "inline:{a=b, c=d}", "x"}));
}

}  // namespace
}  // namespace smtpd_check
