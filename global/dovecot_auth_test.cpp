// Tests of the Dovecot auth client (dovecot_auth.h): the pure parsers, and
// the connection against a scripted server on a UNIX socket.
#include "global/dovecot_auth.h"

#include <gtest/gtest.h>

#include <sys/socket.h>

#include <atomic>
#include <functional>
#include <thread>

#include "util/scratch_dir.h"
#include "util/sockets.h"
#include "util/strings.h"

namespace dovecot_auth {
namespace {

TEST(DovecotAuth, HandshakeReadsMechanismsUntilDone) {
  Handshake h;
  EXPECT_EQ(h.Feed("VERSION\t1\t2"), Handshake::State::kMore);
  EXPECT_EQ(h.Feed("MECH\tPLAIN\tplaintext"), Handshake::State::kMore);
  EXPECT_EQ(h.Feed("MECH\tlogin\tplaintext"), Handshake::State::kMore);
  EXPECT_EQ(h.Feed("MECH\tANONYMOUS\tanonymous"), Handshake::State::kMore);
  EXPECT_EQ(h.Feed("MECH\tCRAM-MD5\tdictionary\tactive"), Handshake::State::kMore);
  EXPECT_EQ(h.Feed("MECH\tSECRET\tprivate"), Handshake::State::kMore);
  EXPECT_EQ(h.Feed("SPID\t123"), Handshake::State::kMore);
  EXPECT_EQ(h.Feed("CUID\t1"), Handshake::State::kMore);
  EXPECT_EQ(h.Feed("COOKIE\tabc"), Handshake::State::kMore);
  EXPECT_EQ(h.Feed("SOMETHING\tnew"), Handshake::State::kMore);
  EXPECT_EQ(h.Feed("DONE"), Handshake::State::kDone);
  ASSERT_EQ(h.mechs().size(), 5u);
  EXPECT_EQ(h.mechs()[1].name, "LOGIN");

  Security sec = *ParseSecurity("noanonymous");
  EXPECT_EQ(Filter(h.mechs(), sec), (std::vector<std::string>{"PLAIN", "LOGIN", "CRAM-MD5"}));
  sec = *ParseSecurity("noanonymous, noplaintext");
  EXPECT_EQ(Filter(h.mechs(), sec), (std::vector<std::string>{"CRAM-MD5"}));
  sec = *ParseSecurity("noactive nodictionary");
  EXPECT_EQ(Filter(h.mechs(), sec), (std::vector<std::string>{"PLAIN", "LOGIN", "ANONYMOUS"}));
  EXPECT_EQ(Filter(h.mechs(), *ParseSecurity("")).size(), 4u);
  EXPECT_FALSE(ParseSecurity("noanonymous, bogus").ok());
}

TEST(DovecotAuth, HandshakeErrors) {
  Handshake h;
  EXPECT_EQ(h.Feed("VERSION\t2\t0"), Handshake::State::kError);
  Handshake h2;
  EXPECT_EQ(h2.Feed("DONE"), Handshake::State::kError);
  Handshake h3;
  h3.Feed("VERSION\t1\t1");
  EXPECT_EQ(h3.Feed("MECH\tPL AIN"), Handshake::State::kError);
}

TEST(DovecotAuth, Replies) {
  auto r = ParseReply("OK\t7\tuser=bob@example.jp");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->kind, Reply::Kind::kOk);
  EXPECT_EQ(r->id, 7u);
  EXPECT_EQ(r->user, "bob@example.jp");
  r = ParseReply("CONT\t7\tVXNlcm5hbWU6");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->data, "VXNlcm5hbWU6");
  r = ParseReply("FAIL\t7\tuser=a\\tb\treason=no\\nway\ttemp");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->user, "a?b");
  EXPECT_EQ(r->reason, "no?way");
  EXPECT_TRUE(r->temp);
  EXPECT_FALSE(ParseReply("OK"));
  EXPECT_FALSE(ParseReply("OK\tx"));
  EXPECT_FALSE(ParseReply("OK\t0"));
  EXPECT_FALSE(ParseReply("CONT\t1\tbad data"));
  EXPECT_FALSE(ParseReply("HELLO\t1"));
}

// A scripted auth server: answers the handshake, then each request line
// with the reply `answer` gives for it ("" closes the connection).
class FakeDovecot {
 public:
  explicit FakeDovecot(std::function<std::string(const std::string&)> answer)
      : path_(dir_.path() + "/auth"),
        listener_(util::ListenUnix(path_, 0600)->release()),
        answer_(std::move(answer)) {
    thread_ = std::thread([this] { Serve(); });
  }
  ~FakeDovecot() {
    stop_ = true;
    ::shutdown(listener_.get(), SHUT_RDWR);
    thread_.join();
  }
  const std::string& path() const { return path_; }
  std::vector<std::string> lines;  // what the client sent (read after the client is done)
  std::atomic<int> connections{0};

 private:
  void Serve() {
    while (!stop_) {
      auto fd = util::Accept(listener_.get());
      if (!fd.ok()) return;
      ++connections;
      util::Stream s(std::move(*fd));
      s.set_timeout(5);
      s.Write("VERSION\t1\t2\nMECH\tPLAIN\tplaintext\nMECH\tLOGIN\tplaintext\nSPID\t1\nDONE\n");
      s.Flush();
      std::string line;
      while (s.ReadLine(&line, 65536).ok()) {
        lines.push_back(line);
        if (line.rfind("AUTH", 0) != 0 && line.rfind("CONT", 0) != 0) continue;
        std::string a = answer_(line);
        if (a.empty()) break;
        s.Write(a);
        s.Flush();
      }
    }
  }
  util::testing::ScratchDir dir_;
  std::string path_;
  util::Fd listener_;
  std::function<std::string(const std::string&)> answer_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
};

TEST(DovecotAuth, PlainWithInitialResponse) {
  FakeDovecot d([](const std::string& l) {
    return l.find("resp=AGJvYgBzZWNyZXQ=") != std::string::npos ? "OK\t1\tuser=bob\n"
                                                                : "FAIL\t1\tuser=bob\n";
  });
  Client c(d.path(), std::chrono::seconds(5));
  auto m = c.Mechanisms();
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_EQ(m->size(), 2u);
  Request req;
  req.mech = "plain";
  req.local_ip = "127.0.0.1";
  req.remote_ip = "192.0.2.1";
  req.response = "AGJvYgBzZWNyZXQ=";
  Step s = c.Start(req);
  EXPECT_EQ(s.kind, Step::Kind::kOk);
  EXPECT_EQ(s.username, "bob");
  req.mech = "CRAM-MD5";
  s = c.Start(req);
  EXPECT_EQ(s.kind, Step::Kind::kFail);
  EXPECT_EQ(s.reason, "Invalid authentication mechanism");
  req.mech = "PLAIN";
  req.response = "AGJvYgB\tz";
  EXPECT_EQ(c.Start(req).kind, Step::Kind::kFail);
}

TEST(DovecotAuth, LoginWithChallengesAndReconnect) {
  FakeDovecot d([](const std::string& l) -> std::string {
    std::vector<std::string> f = util::Split(l, '\t');
    if (f[0] == "AUTH") return "CONT\t" + f[1] + "\tVXNlcm5hbWU6\n";
    if (f[2] == "Ym9i") return "CONT\t" + f[1] + "\tUGFzc3dvcmQ6\n";
    if (f[2] == "c2VjcmV0") return "OK\t" + f[1] + "\tuser=bob\n";
    if (f[2] == "Y2xvc2U=") return "";
    return "FAIL\t" + f[1] + "\tuser=bob\treason=Password mismatch\n";
  });
  Client c(d.path(), std::chrono::seconds(5));
  Request req;
  req.mech = "LOGIN";
  req.secured = true;
  Step s = c.Start(req);
  ASSERT_EQ(s.kind, Step::Kind::kContinue);
  EXPECT_EQ(s.challenge, "VXNlcm5hbWU6");
  s = c.Continue("Ym9i");
  ASSERT_EQ(s.kind, Step::Kind::kContinue);
  s = c.Continue("c2VjcmV0");
  EXPECT_EQ(s.kind, Step::Kind::kOk);
  s = c.Start(req);
  s = c.Continue("Ym9i");
  s = c.Continue("d3Jvbmc=");
  EXPECT_EQ(s.kind, Step::Kind::kFail);
  EXPECT_EQ(s.reason, "Password mismatch");
  EXPECT_EQ(s.username, "bob");
  // The server goes away in the middle: a temporary failure, and the next
  // request connects again.
  s = c.Start(req);
  s = c.Continue("Y2xvc2U=");
  EXPECT_EQ(s.kind, Step::Kind::kTempFail);
  s = c.Start(req);
  EXPECT_EQ(s.kind, Step::Kind::kContinue);
  EXPECT_EQ(d.connections, 2);
}

TEST(DovecotAuth, RepliesToOtherRequestsAreSkipped) {
  FakeDovecot d([](const std::string& l) -> std::string {
    std::vector<std::string> f = util::Split(l, '\t');
    if (f[2] == "LOGIN") {
      std::string junk;
      for (int i = 0; i < 200; ++i) junk += "FAIL\t999\n";
      return junk;
    }
    return "FAIL\t999\tuser=x\nOK\t" + f[1] + "\tuser=bob\n";
  });
  Client c(d.path(), std::chrono::seconds(5));
  EXPECT_EQ(c.Start(Request{.mech = "PLAIN", .response = ""}).username, "bob");
  Step s = c.Start(Request{.mech = "LOGIN"});
  EXPECT_EQ(s.kind, Step::Kind::kTempFail);
  EXPECT_EQ(s.reason, "too many unexpected replies from Dovecot auth server");
}

TEST(DovecotAuth, UnreachableIsTemporary) {
  util::testing::ScratchDir dir;
  Client c(dir.path() + "/nothing", std::chrono::seconds(1));
  EXPECT_FALSE(c.Mechanisms().ok());
  Request req;
  req.mech = "PLAIN";
  EXPECT_EQ(c.Start(req).kind, Step::Kind::kTempFail);
}

}  // namespace
}  // namespace dovecot_auth
