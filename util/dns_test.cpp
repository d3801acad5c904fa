#include "util/dns.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace util::dns {
// Defined in dns.cpp; tested here on hand-built responses.
Answer ParseResponse(const unsigned char* buf, int len, Type type);

namespace {

TEST(DnsTest, ReverseName) {
  struct Case {
    const char* in;
    const char* want;
  } cases[] = {
      {"192.0.2.1", "1.2.0.192.in-addr.arpa"},
      {"127.0.0.1", "1.0.0.127.in-addr.arpa"},
      {"2001:db8::1", "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa"},
      {"example.com", ""},
      {"", ""},
      {"1.2.3", ""},
  };
  for (const Case& c : cases) EXPECT_EQ(ReverseName(c.in), c.want) << c.in;
}

// Builds a DNS response: header, the question, and answer records whose
// rdata is given raw. Names are written uncompressed.
class Packet {
 public:
  Packet(int rcode, const std::string& qname, int qtype) {
    Put16(0x1234);
    Put16(0x8180 | rcode);  // response, RD, RA
    Put16(1);
    ancount_pos_ = buf_.size();
    Put16(0);
    Put16(0);
    Put16(0);
    PutName(qname);
    Put16(qtype);
    Put16(1);
  }
  void Answer(const std::string& name, int type, const std::vector<uint8_t>& rdata,
              uint32_t ttl = 300) {
    PutName(name);
    Put16(type);
    Put16(1);
    Put16(ttl >> 16);
    Put16(ttl & 0xffff);
    Put16(rdata.size());
    buf_.insert(buf_.end(), rdata.begin(), rdata.end());
    ancount_++;
    buf_[ancount_pos_] = ancount_ >> 8;
    buf_[ancount_pos_ + 1] = ancount_ & 0xff;
  }
  static std::vector<uint8_t> Name(const std::string& name) {
    std::vector<uint8_t> out;
    size_t start = 0;
    while (start < name.size()) {
      size_t dot = name.find('.', start);
      if (dot == std::string::npos) dot = name.size();
      out.push_back(dot - start);
      out.insert(out.end(), name.begin() + start, name.begin() + dot);
      start = dot + 1;
    }
    out.push_back(0);
    return out;
  }
  static std::vector<uint8_t> Mx(int pref, const std::string& host) {
    std::vector<uint8_t> out = {uint8_t(pref >> 8), uint8_t(pref & 0xff)};
    std::vector<uint8_t> n = Name(host);
    out.insert(out.end(), n.begin(), n.end());
    return out;
  }
  const unsigned char* data() const { return buf_.data(); }
  int size() const { return static_cast<int>(buf_.size()); }

 private:
  void Put16(int v) {
    buf_.push_back((v >> 8) & 0xff);
    buf_.push_back(v & 0xff);
  }
  void PutName(const std::string& name) {
    std::vector<uint8_t> n = Name(name);
    buf_.insert(buf_.end(), n.begin(), n.end());
  }
  std::vector<uint8_t> buf_;
  size_t ancount_pos_ = 0;
  int ancount_ = 0;
};

constexpr int kTA = 1, kTCname = 5, kTPtr = 12, kTMx = 15, kTTxt = 16, kTAaaa = 28;

TEST(DnsTest, ParseStatus) {
  struct Case {
    const char* name;
    int rcode;
    Result want;
    const char* error;
  } cases[] = {
      {"nxdomain", 3, Result::kNxDomain, "Host not found"},
      {"servfail", 2, Result::kTempFail, "Host not found, try again"},
      {"refused", 5, Result::kTempFail, "Non-recoverable error"},
      {"nodata", 0, Result::kNoData, "No address associated with hostname"},
  };
  for (const Case& c : cases) {
    Packet p(c.rcode, "example.com", kTMx);
    Answer a = ParseResponse(p.data(), p.size(), Type::kMx);
    EXPECT_EQ(a.status, c.want) << c.name;
    EXPECT_EQ(a.error, c.error) << c.name;
    EXPECT_TRUE(a.records.empty()) << c.name;
  }
  unsigned char junk[5] = {1, 2, 3, 4, 5};
  EXPECT_EQ(ParseResponse(junk, sizeof(junk), Type::kA).status, Result::kTempFail);
}

TEST(DnsTest, ParseRecords) {
  {
    Packet p(0, "www.example.com", kTA);
    p.Answer("www.example.com", kTCname, Packet::Name("host.example.com"));
    p.Answer("host.example.com", kTA, {192, 0, 2, 7}, 60);
    Answer a = ParseResponse(p.data(), p.size(), Type::kA);
    ASSERT_EQ(a.status, Result::kFound);
    ASSERT_EQ(a.records.size(), 1u);
    EXPECT_EQ(a.records[0].value, "192.0.2.7");
    EXPECT_EQ(a.records[0].name, "host.example.com");
    EXPECT_EQ(a.records[0].ttl, 60u);
  }
  {
    Packet p(0, "h.example", kTAaaa);
    p.Answer("h.example", kTAaaa, {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1});
    Answer a = ParseResponse(p.data(), p.size(), Type::kAaaa);
    ASSERT_EQ(a.status, Result::kFound);
    EXPECT_EQ(a.records[0].value, "2001:db8::1");
  }
  {
    Packet p(0, "1.2.0.192.in-addr.arpa", kTPtr);
    p.Answer("1.2.0.192.in-addr.arpa", kTPtr, Packet::Name("mail.example.org"));
    Answer a = ParseResponse(p.data(), p.size(), Type::kPtr);
    ASSERT_EQ(a.status, Result::kFound);
    EXPECT_EQ(a.records[0].value, "mail.example.org");
  }
  {
    Packet p(0, "example.org", kTTxt);
    p.Answer("example.org", kTTxt, {5, 'v', '=', 's', 'p', 'f', 3, '1', ' ', 'a'});
    Answer a = ParseResponse(p.data(), p.size(), Type::kTxt);
    ASSERT_EQ(a.status, Result::kFound);
    EXPECT_EQ(a.records[0].value, "v=spf1 a");
  }
  {
    // Only a CNAME when A was asked: no data of that type.
    Packet p(0, "alias.example", kTA);
    p.Answer("alias.example", kTCname, Packet::Name("target.example"));
    EXPECT_EQ(ParseResponse(p.data(), p.size(), Type::kA).status, Result::kNoData);
    Answer c = ParseResponse(p.data(), p.size(), Type::kCname);
    ASSERT_EQ(c.status, Result::kFound);
    EXPECT_EQ(c.records[0].value, "target.example");
  }
  {
    Packet p(0, "null.example", kTMx);
    p.Answer("null.example", kTMx, Packet::Mx(0, ""));
    Answer a = ParseResponse(p.data(), p.size(), Type::kMx);
    ASSERT_EQ(a.status, Result::kFound);
    EXPECT_EQ(a.records[0].value, ".");
  }
}

TEST(DnsTest, MxSortedAndEqualPreferencesShuffled) {
  Packet p(0, "example.com", kTMx);
  p.Answer("example.com", kTMx, Packet::Mx(20, "c.example.com"));
  p.Answer("example.com", kTMx, Packet::Mx(10, "a.example.com"));
  p.Answer("example.com", kTMx, Packet::Mx(10, "b.example.com"));
  p.Answer("example.com", kTMx, Packet::Mx(5, "first.example.com"));
  std::set<std::string> seconds;
  for (int i = 0; i < 64; i++) {
    Answer a = ParseResponse(p.data(), p.size(), Type::kMx);
    ASSERT_EQ(a.records.size(), 4u);
    EXPECT_EQ(a.records[0].value, "first.example.com");
    EXPECT_EQ(a.records[0].preference, 5);
    EXPECT_EQ(a.records[1].preference, 10);
    EXPECT_EQ(a.records[2].preference, 10);
    EXPECT_EQ(a.records[3].value, "c.example.com");
    seconds.insert(a.records[1].value);
  }
  EXPECT_EQ(seconds, (std::set<std::string>{"a.example.com", "b.example.com"}));
}

class FakeResolver : public Resolver {
 public:
  std::map<std::pair<std::string, Type>, Answer> answers;
  Answer Lookup(std::string_view name, Type type) override {
    auto it = answers.find({std::string(name), type});
    if (it != answers.end()) return it->second;
    Answer a;
    a.status = Result::kNxDomain;
    a.error = "Host not found";
    return a;
  }
};

Answer Make(Result r, std::vector<std::string> values = {}, std::string error = "") {
  Answer a;
  a.status = r;
  a.error = error;
  for (auto& v : values) a.records.push_back(Record{"h", v, 0, 60});
  return a;
}

TEST(DnsTest, LookupAddresses) {
  FakeResolver r;
  r.answers[{"both", Type::kA}] = Make(Result::kFound, {"192.0.2.1"});
  r.answers[{"both", Type::kAaaa}] = Make(Result::kFound, {"2001:db8::1"});
  r.answers[{"v6only", Type::kA}] = Make(Result::kNoData);
  r.answers[{"v6only", Type::kAaaa}] = Make(Result::kFound, {"2001:db8::2"});
  r.answers[{"half", Type::kA}] = Make(Result::kTempFail, {}, "Host not found, try again");
  r.answers[{"half", Type::kAaaa}] = Make(Result::kNoData);
  r.answers[{"empty", Type::kA}] = Make(Result::kNoData);
  r.answers[{"empty", Type::kAaaa}] = Make(Result::kNoData);

  struct Case {
    const char* host;
    bool v4, v6;
    Result want;
    std::vector<std::string> values;
  } cases[] = {
      {"both", true, true, Result::kFound, {"192.0.2.1", "2001:db8::1"}},
      {"both", true, false, Result::kFound, {"192.0.2.1"}},
      {"both", false, true, Result::kFound, {"2001:db8::1"}},
      {"v6only", true, false, Result::kNoData, {}},
      {"v6only", true, true, Result::kFound, {"2001:db8::2"}},
      {"half", true, true, Result::kTempFail, {}},
      {"empty", true, true, Result::kNoData, {}},
      {"missing", true, true, Result::kNxDomain, {}},
  };
  for (const Case& c : cases) {
    Answer a = LookupAddresses(r, c.host, c.v4, c.v6);
    EXPECT_EQ(a.status, c.want) << c.host << c.v4 << c.v6;
    std::vector<std::string> got;
    for (auto& rec : a.records) got.push_back(rec.value);
    EXPECT_EQ(got, c.values) << c.host;
  }
  EXPECT_EQ(LookupAddresses(r, "half", true, true).error, "Host not found, try again");
  EXPECT_EQ(LookupAddresses(r, "missing", true, false).error, "Host not found");
}

}  // namespace
}  // namespace util::dns
