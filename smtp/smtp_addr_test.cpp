#include "smtp/smtp_addr.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

namespace smtp {
namespace {

using util::dns::Answer;
using util::dns::Result;
using util::dns::Type;

class FakeResolver : public util::dns::Resolver {
 public:
  std::map<std::pair<std::string, Type>, Answer> answers;
  Answer Lookup(std::string_view name, Type type) override {
    auto it = answers.find({std::string(name), type});
    if (it != answers.end()) return it->second;
    for (const auto& [key, a] : answers)
      if (key.first == name) {  // the name exists, not with this type
        Answer nd;
        nd.status = Result::kNoData;
        nd.error = "No address associated with hostname";
        return nd;
      }
    Answer a;
    a.status = Result::kNxDomain;
    a.error = "Host not found";
    return a;
  }
  void Mx(const std::string& name, std::vector<std::pair<int, std::string>> mx) {
    Answer a;
    a.status = Result::kFound;
    for (auto& [p, h] : mx) a.records.push_back({name, h, p, 60});
    answers[{name, Type::kMx}] = a;
  }
  void A(const std::string& name, std::vector<std::string> addrs) {
    Answer a;
    a.status = Result::kFound;
    for (auto& v : addrs) a.records.push_back({name, v, 0, 60});
    answers[{name, Type::kA}] = a;
  }
  void Fail(const std::string& name, Type t) {
    Answer a;
    a.status = Result::kTempFail;
    a.error = "Host not found, try again";
    answers[{name, t}] = a;
  }
};

std::vector<std::string> Hosts(const Plan& p) {
  std::vector<std::string> out;
  for (const Host& h : p.hosts)
    out.push_back(h.name + "[" + h.address + "]:" + std::to_string(h.port));
  return out;
}

TEST(SmtpAddrTest, Plans) {
  FakeResolver r;
  r.Mx("example.com", {{10, "mx1.example.com"}, {20, "mx2.example.com"}});
  r.A("mx1.example.com", {"192.0.2.1"});
  r.A("mx2.example.com", {"192.0.2.2", "192.0.2.3"});
  r.A("nomx.example", {"192.0.2.9"});
  r.Fail("broken.example", Type::kMx);
  r.Mx("loop.example", {{10, "me.example"}, {20, "mx2.example.com"}});
  r.Mx("backup.example", {{5, "mx1.example.com"}, {10, "me.example"}, {20, "mx2.example.com"}});
  r.Mx("selfaddr.example", {{10, "alias-of-me.example"}});
  r.A("alias-of-me.example", {"198.51.100.7"});
  r.Mx("null.example", {{0, "."}});
  r.Mx("deadmx.example", {{10, "nowhere.example"}});
  r.Mx("tempmx.example", {{10, "flaky.example"}});
  r.Fail("flaky.example", Type::kA);

  LookupOptions o;
  o.ipv6 = false;
  o.myhostname = "me.example";
  o.own_addresses = {"198.51.100.7"};

  struct Case {
    const char* nexthop;
    std::vector<std::string> hosts;
    std::string dsn;
    std::string reason;
  } cases[] = {
      {"example.com",
       {"mx1.example.com[192.0.2.1]:25", "mx2.example.com[192.0.2.2]:25",
        "mx2.example.com[192.0.2.3]:25"},
       "",
       ""},
      {"example.com:2525",
       {"mx1.example.com[192.0.2.1]:2525", "mx2.example.com[192.0.2.2]:2525",
        "mx2.example.com[192.0.2.3]:2525"},
       "",
       ""},
      {"[mx1.example.com]:submission", {"mx1.example.com[192.0.2.1]:587"}, "", ""},
      {"[192.0.2.77]", {"192.0.2.77[192.0.2.77]:25"}, "", ""},
      {"nomx.example", {"nomx.example[192.0.2.9]:25"}, "", ""},
      {"gone.example",
       {},
       "5.4.4",
       "Host or domain name not found. Name service error for name=gone.example type=A: Host "
       "not found"},
      {"broken.example",
       {},
       "4.4.3",
       "Host or domain name not found. Name service error for name=broken.example type=MX: "
       "Host not found, try again"},
      {"loop.example", {}, "5.4.6", "mail for loop.example loops back to myself"},
      {"backup.example", {"mx1.example.com[192.0.2.1]:25"}, "", ""},
      {"selfaddr.example", {}, "5.4.6", "mail for selfaddr.example loops back to myself"},
      {"null.example", {}, "5.1.10", "Domain null.example does not accept mail (nullMX)"},
      {"deadmx.example",
       {},
       "5.4.4",
       "Host or domain name not found. Name service error for name=nowhere.example type=A: "
       "Host not found"},
      {"tempmx.example",
       {},
       "4.4.3",
       "Host or domain name not found. Name service error for name=flaky.example type=A: "
       "Host not found, try again"},
      {"[::1", {}, "4.3.5", "bad nexthop \"[::1\""},
  };
  for (const Case& c : cases) {
    Plan p = PlanDestination(c.nexthop, o, r);
    EXPECT_EQ(Hosts(p), c.hosts) << c.nexthop;
    EXPECT_EQ(p.dsn, c.dsn) << c.nexthop;
    EXPECT_EQ(p.reason, c.reason) << c.nexthop;
  }
}

TEST(SmtpAddrTest, LimitsAndFallback) {
  FakeResolver r;
  r.Mx("example.com", {{10, "mx1.example.com"}, {20, "mx2.example.com"}});
  r.A("mx1.example.com", {"192.0.2.1"});
  r.A("mx2.example.com", {"192.0.2.2", "192.0.2.3"});
  r.A("relay.example", {"203.0.113.5"});
  LookupOptions o;
  o.ipv6 = false;
  o.mx_address_limit = 2;
  EXPECT_EQ(
      Hosts(PlanDestination("example.com", o, r)),
      (std::vector<std::string>{"mx1.example.com[192.0.2.1]:25", "mx2.example.com[192.0.2.2]:25"}));
  o.fallback_relays = {"[relay.example]"};
  EXPECT_EQ(
      Hosts(PlanDelivery("example.com", o, r)),
      (std::vector<std::string>{"mx1.example.com[192.0.2.1]:25", "mx2.example.com[192.0.2.2]:25",
                                "relay.example[203.0.113.5]:25"}));
  // A destination that does not resolve goes to the fallback relay alone.
  EXPECT_EQ(Hosts(PlanDelivery("gone.example", o, r)),
            (std::vector<std::string>{"relay.example[203.0.113.5]:25"}));
}

TEST(SmtpAddrTest, LmtpDestinations) {
  FakeResolver r;
  r.Mx("lmtp.example", {{10, "mx.example"}});
  r.A("mx.example", {"192.0.2.9"});
  r.A("lmtp.example", {"192.0.2.24"});
  LookupOptions o;
  o.ipv6 = false;
  o.lmtp = true;
  o.default_port = 24;
  o.myhostname = "me.example";
  o.own_addresses = {"127.0.0.1"};
  Plan p = PlanDelivery("unix:private/dovecot-lmtp", o, r);
  ASSERT_EQ(p.hosts.size(), 1u);
  EXPECT_TRUE(p.hosts[0].local);
  EXPECT_EQ(p.hosts[0].name, "me.example");
  EXPECT_EQ(p.hosts[0].address, "private/dovecot-lmtp");
  EXPECT_EQ(p.hosts[0].port, 0);
  // No MX lookups, no loop detection (a content filter on this host).
  EXPECT_EQ(Hosts(PlanDelivery("inet:lmtp.example", o, r)),
            (std::vector<std::string>{"lmtp.example[192.0.2.24]:24"}));
  EXPECT_EQ(Hosts(PlanDelivery("lmtp.example:2424", o, r)),
            (std::vector<std::string>{"lmtp.example[192.0.2.24]:2424"}));
  EXPECT_EQ(Hosts(PlanDelivery("inet:[127.0.0.1]:10024", o, r)),
            (std::vector<std::string>{"127.0.0.1[127.0.0.1]:10024"}));
  EXPECT_FALSE(PlanDelivery("inet:", o, r).ok());
  // A fallback relay does not apply to a UNIX socket.
  o.fallback_relays = {"[192.0.2.50]"};
  EXPECT_EQ(PlanDelivery("unix:/run/lmtp", o, r).hosts.size(), 1u);
  EXPECT_EQ(PlanDelivery("inet:lmtp.example", o, r).hosts.size(), 2u);
  // SMTP keeps unix: and inet: as host names.
  o.lmtp = false;
  o.fallback_relays.clear();
  EXPECT_FALSE(PlanDelivery("unix:private/x", o, r).ok());
}

}  // namespace
}  // namespace smtp
