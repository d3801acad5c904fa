// Golden dialogue tests of the protocol engine: a client script goes in
// over a socketpair, the replies come back byte for byte, and a fake queue
// records what would have gone to cleanup.
#include "smtpd/smtpd.h"

#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "global/queue_file.h"
#include "util/msg.h"
#include "util/strings.h"

namespace smtpd {
namespace {

std::mutex g_log_mu;
std::vector<std::string> g_log;

void LogHook(msg::Level, std::string_view line) {
  std::lock_guard<std::mutex> l(g_log_mu);
  size_t colon = line.find("]: ");
  g_log.emplace_back(colon == std::string_view::npos ? line : line.substr(colon + 3));
}

class FakeChecker : public smtpd_check::Checker {
 public:
  smtpd_check::Verdict CheckConnect(smtpd_check::Session&) override { return {}; }
  smtpd_check::Verdict CheckHelo(smtpd_check::Session& s) override {
    if (s.helo_name == "bad.helo") return {550, "550 5.7.1 <bad.helo>: Helo command rejected"};
    return {};
  }
  smtpd_check::Verdict CheckSender(smtpd_check::Session&) override { return {}; }
  smtpd_check::Verdict CheckRecipient(smtpd_check::Session& s) override {
    if (s.recipient.rfind("unknown@", 0) == 0)
      return {550, "550 5.1.1 <" + s.recipient + ">: Recipient address rejected: User unknown"};
    if (s.recipient.rfind("discard@", 0) == 0) s.discard = true;
    if (s.recipient.rfind("prepend@", 0) == 0) s.prepend_headers.push_back("X-Tag: yes");
    return {};
  }
  smtpd_check::Verdict CheckData(smtpd_check::Session&) override { return {}; }
  smtpd_check::Verdict CheckEndOfData(smtpd_check::Session& s) override {
    last_size = s.message_size;
    return {};
  }
  smtpd_check::Verdict CheckVrfy(smtpd_check::Session& s) override {
    if (s.recipient.rfind("unknown@", 0) == 0)
      return {550, "550 5.1.1 <" + s.recipient + ">: Recipient address rejected: User unknown"};
    return {};
  }
  smtpd_check::Verdict CheckEtrn(smtpd_check::Session&, const std::string&) override { return {}; }
  void ResetTransaction(smtpd_check::Session&) override {}
  util::StatusOr<bool> InMynetworks(const smtpd_check::Session&) override { return true; }
  util::StatusOr<bool> ClientMatches(config::AnyParam param,
                                     const smtpd_check::Session& s) override {
    // XFORWARD and XCLIENT: clients in 192.0.2.0/24 when switched on.
    bool ours = s.client_addr.rfind("192.0.2.", 0) == 0;
    if (param.name() == "smtpd_authorized_xforward_hosts") return xforward && ours;
    if (param.name() == "smtpd_authorized_xclient_hosts") return xclient && ours;
    return param.name() == "smtpd_forbid_bare_newline_exclusions" && exempt_bare_lf;
  }
  bool exempt_bare_lf = false;
  bool xforward = false;
  bool xclient = false;
  long long last_size = -1;
};

// A SASL server with PLAIN and LOGIN: bob / secret ("AGJvYgBzZWNyZXQ=",
// LOGIN "Ym9i" then "c2VjcmV0"); "down" makes it unreachable.
class FakeSasl : public dovecot_auth::Authenticator {
 public:
  util::StatusOr<std::vector<dovecot_auth::Mech>> Mechanisms() override {
    if (down) return util::Unavailable("connect to Dovecot auth socket: refused");
    dovecot_auth::Mech plain{.name = "PLAIN", .plaintext = true};
    dovecot_auth::Mech login{.name = "LOGIN", .plaintext = true};
    dovecot_auth::Mech anon{.name = "ANONYMOUS", .anonymous = true};
    return std::vector<dovecot_auth::Mech>{plain, login, anon};
  }
  dovecot_auth::Step Start(const dovecot_auth::Request& req) override {
    last = req;
    mech_ = req.mech;
    if (down) return {dovecot_auth::Step::Kind::kTempFail, "", "", "no server"};
    if (req.mech == "PLAIN") {
      if (!req.response) return {dovecot_auth::Step::Kind::kContinue, "", "", ""};
      return Continue(*req.response);
    }
    return {dovecot_auth::Step::Kind::kContinue, "VXNlcm5hbWU6", "", ""};
  }
  dovecot_auth::Step Continue(std::string_view r) override {
    if (mech_ == "PLAIN" || r != "Ym9i") {
      if (r == "AGJvYgBzZWNyZXQ=" || r == "c2VjcmV0")
        return {dovecot_auth::Step::Kind::kOk, "", "bob@example.com", ""};
      return {dovecot_auth::Step::Kind::kFail, "", "bob@example.com", ""};
    }
    return {dovecot_auth::Step::Kind::kContinue, "UGFzc3dvcmQ6", "", ""};
  }
  bool down = false;
  dovecot_auth::Request last;

 private:
  std::string mech_;
};

struct Recorded {
  std::vector<std::string> records;  // "T:...", "R:bob@x", ...
  int opened = 0;
  int finished = 0;
  cleanup_client::Result verdict;
  std::vector<std::string> Content() const {
    std::vector<std::string> out;
    bool in = false;
    for (const std::string& r : records) {
      if (r[0] == 'M')
        in = true;
      else if (in && (r[0] == 'N' || r[0] == 'L'))
        out.push_back(r.substr(2) + (r[0] == 'L' ? "+" : ""));
    }
    return out;
  }
  std::vector<std::string> Envelope() const {
    std::vector<std::string> out;
    for (const std::string& r : records) {
      if (r[0] == 'M') break;
      out.push_back(r);
    }
    return out;
  }
};

class FakeFile : public QueueFile {
 public:
  explicit FakeFile(Recorded* rec) : rec_(rec), id_("4A3B2C1D") {}
  const std::string& queue_id() const override { return id_; }
  void Record(char type, std::string_view data) override {
    rec_->records.push_back(std::string(1, type) + ":" + std::string(data));
  }
  util::StatusOr<cleanup_client::Result> Finish() override {
    ++rec_->finished;
    cleanup_client::Result r = rec_->verdict;
    r.queue_id = id_;
    return r;
  }

 private:
  Recorded* rec_;
  std::string id_;
};

class SmtpdTest : public ::testing::Test {
 protected:
  void SetUp() override {
    msg::SetHook(LogHook);
    msg::UseStderr(false);
    std::lock_guard<std::mutex> l(g_log_mu);
    g_log.clear();
    st_.myhostname = "mx.example.com";
    st_.banner = "mx.example.com ESMTP Postfix";
    st_.error_sleep_time = 0;
    st_.timeout = 5;
  }
  void TearDown() override { msg::SetHook(nullptr); }

  // Runs a session: writes `input` (then half-closes unless keep_open),
  // returns everything the server wrote.
  // before_greeting: the input is there before the session starts (a
  // client that talks first).
  std::string Session(const std::string& input, bool keep_open = false,
                      bool before_greeting = false) {
    int sv[2];
    EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    Deps deps;
    deps.checker = &checker_;
    deps.open_queue = [this]() -> util::StatusOr<std::unique_ptr<QueueFile>> {
      ++rec_.opened;
      if (queue_down_) return util::Unavailable("connect to cleanup: No such file");
      return std::unique_ptr<QueueFile>(new FakeFile(&rec_));
    };
    deps.now = [] { return 1795222800L; };
    if (st_.sasl_enable) deps.sasl = &sasl_;
    if (queue_space_) deps.queue_space = [this] { return *queue_space_; };
    deps.flush = [](std::string_view site) {
      return site == "flush.example" ? flush_client::Status::kOk : flush_client::Status::kDeny;
    };
    Engine engine(st_, deps);
    auto write_input = [&] {
      size_t off = 0;
      while (off < input.size()) {
        ssize_t n = write(sv[1], input.data() + off, input.size() - off);
        if (n <= 0) break;
        off += static_cast<size_t>(n);
      }
      if (!keep_open) shutdown(sv[1], SHUT_WR);
    };
    if (before_greeting) write_input();
    std::thread server([&] {
      util::Stream s(sv[0], util::Stream::Ownership::kOwned);
      engine.Serve(s, Peer{"192.0.2.1", "4567", "192.0.2.25", "25", ""});
      s.Close();
    });
    // As a real client: the greeting (a whole reply) first, then the
    // input, so that it does not count as talking before the greeting.
    std::string out;
    char buf[4096];
    auto whole_reply = [&out] {
      for (size_t start = 0, end; (end = out.find("\r\n", start)) != std::string::npos;
           start = end + 2) {
        if (end - start >= 4 && out[start + 3] == ' ') return true;
      }
      return false;
    };
    while (!before_greeting && !whole_reply()) {
      ssize_t n = read(sv[1], buf, sizeof buf);
      if (n <= 0) break;
      out.append(buf, static_cast<size_t>(n));
    }
    if (!before_greeting) write_input();
    for (;;) {
      ssize_t n = read(sv[1], buf, sizeof buf);
      if (n <= 0) break;
      out.append(buf, static_cast<size_t>(n));
    }
    server.join();
    close(sv[1]);
    return out;
  }

  std::vector<std::string> Log() {
    std::lock_guard<std::mutex> l(g_log_mu);
    return g_log;
  }
  bool Logged(const std::string& text) {
    for (const std::string& l : Log()) {
      if (l == text) return true;
    }
    return false;
  }

  Settings st_;
  FakeChecker checker_;
  FakeSasl sasl_;
  Recorded rec_;
  bool queue_down_ = false;
  std::optional<util::StatusOr<util::FileSystemSpace>> queue_space_;
};

const char kBanner[] = "220 mx.example.com ESMTP Postfix\r\n";
const char kEhlo[] =
    "250-mx.example.com\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-VRFY\r\n"
    "250-ETRN\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250-DSN\r\n250-SMTPUTF8\r\n250 "
    "CHUNKING\r\n";

// Commands sent ahead of a reply without EHLO, or after DATA, are noted
// once (for reject_unauth_pipelining) with what was waiting.
TEST_F(SmtpdTest, ImproperPipeliningIsNoted) {
  Session("HELO client.example\r\nMAIL FROM:<a@example.com>\r\nQUIT\r\n");
  EXPECT_TRUE(
      Logged("improper command pipelining after HELO from unknown[192.0.2.1]: "
             "MAIL FROM:<a@example.com>\\r\\nQUIT\\r\\n"));
  std::lock_guard<std::mutex> l(g_log_mu);
  g_log.clear();
}

// Postfix's check before the greeting, and smtpd_forbid_unauth_pipelining.
TEST_F(SmtpdTest, TalkingFirstOrPipeliningWithoutEhlo) {
  std::string out = Session("EHLO client.example\r\nQUIT\r\n", false, true);
  EXPECT_TRUE(
      Logged("improper command pipelining after CONNECT from unknown[192.0.2.1]: "
             "EHLO client.example\\r\\nQUIT\\r\\n"));
  EXPECT_EQ(out.substr(0, 4), "220 ");  // noted, not refused by default
  st_.forbid_unauth_pipelining = true;
  EXPECT_EQ(Session("EHLO client.example\r\nQUIT\r\n", false, true),
            "554 5.5.0 Error: SMTP protocol synchronization\r\n");
  // HELO and EHLO must each wait for their reply.
  for (const char* helo : {"HELO", "EHLO"}) {
    EXPECT_EQ(Session(std::string(helo) + " client.example\r\nMAIL FROM:<a@example.com>\r\n"),
              std::string(kBanner) + "554 5.5.0 Error: SMTP protocol synchronization\r\n");
  }
  // (After the EHLO reply MAIL and RCPT may come together:
  // test_smtpd.test_forbid_unauth_pipelining.)
  std::lock_guard<std::mutex> l(g_log_mu);
  g_log.clear();
}

TEST_F(SmtpdTest, NothingWaitingIsNotPipelining) {
  Session("EHLO client.example\r\n");  // then end of file: no input waits
  Session("HELO client.example\r\n");
  for (const std::string& l : Log())
    EXPECT_EQ(l.find("improper command pipelining"), std::string::npos) << l;
  // Before the EHLO reply the client cannot know that PIPELINING is offered.
  Session("EHLO client.example\r\nMAIL FROM:<a@example.com>\r\n");
  EXPECT_TRUE(
      Logged("improper command pipelining after EHLO from unknown[192.0.2.1]: "
             "MAIL FROM:<a@example.com>\\r\\n"));
}

TEST_F(SmtpdTest, OneMessagePipelined) {
  std::string out = Session(
      "EHLO client.example\r\nMAIL FROM:<alice@example.org> BODY=8BITMIME "
      "ENVID=id+2B1\r\nRCPT TO:<bob@example.com> NOTIFY=SUCCESS,FAILURE "
      "ORCPT=rfc822;bob+2Bx@example.com\r\nDATA\r\n"
      "Subject: hi\r\n\r\n..leading dot\r\n\xe2\x82\xac 8bit\r\n.\r\nQUIT\r\n");
  EXPECT_EQ(out, std::string(kBanner) + kEhlo +
                     "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 End data with <CR><LF>.<CR><LF>\r\n"
                     "250 2.0.0 Ok: queued as 4A3B2C1D\r\n221 2.0.0 Bye\r\n");
  EXPECT_EQ(rec_.finished, 1);
  std::vector<std::string> env = rec_.Envelope();
  ASSERT_GE(env.size(), 4u);
  EXPECT_EQ(env[0], "T:1795222800 0");
  auto has = [&env](const std::string& r) {
    return std::find(env.begin(), env.end(), r) != env.end();
  };
  EXPECT_TRUE(has("A:client_name=unknown"));
  EXPECT_TRUE(has("A:client_address=192.0.2.1"));
  EXPECT_TRUE(has("A:helo_name=client.example"));
  EXPECT_TRUE(has("A:protocol=ESMTP"));
  EXPECT_TRUE(has("A:encoding=8bit"));
  EXPECT_TRUE(has("A:dsn_envid=id+1"));
  EXPECT_TRUE(has("A:rewrite_context=remote"));
  EXPECT_TRUE(has("S:alice@example.org"));
  EXPECT_TRUE(has("o:rfc822;bob+x@example.com"));
  EXPECT_TRUE(has("n:6"));
  EXPECT_EQ(env.back(), "R:bob@example.com");
  std::vector<std::string> content = rec_.Content();
  ASSERT_EQ(content.size(), 7u);
  EXPECT_EQ(content[0], "Received: from client.example (unknown [192.0.2.1])");
  EXPECT_EQ(content[1], "\tby mx.example.com (Postfix) with ESMTP id 4A3B2C1D");
  EXPECT_EQ(content[2].substr(0, 24), "\tfor <bob@example.com>; ");
  EXPECT_EQ(content[3], "Subject: hi");
  EXPECT_EQ(content[4], "");
  EXPECT_EQ(content[5], ".leading dot");
  EXPECT_EQ(content[6], "\xe2\x82\xac 8bit");
  EXPECT_TRUE(Logged("connect from unknown[192.0.2.1]"));
  EXPECT_TRUE(Logged("4A3B2C1D: client=unknown[192.0.2.1]"));
  EXPECT_TRUE(
      Logged("disconnect from unknown[192.0.2.1] ehlo=1 mail=1 rcpt=1 data=1 quit=1 "
             "commands=5"));
}

TEST_F(SmtpdTest, SequenceAndSyntaxErrors) {
  struct {
    const char* in;
    const char* want;
  } rows[] = {
      {"RCPT TO:<a@b>", "503 5.5.1 Error: need MAIL command"},
      {"DATA", "503 5.5.1 Error: need RCPT command"},
      {"MAIL FROM <a@b>", "501 5.5.4 Syntax: MAIL FROM:<address>"},
      {"MAIL FROM:<a@b", "501 5.1.7 Bad sender address syntax"},
      {"MAIL FROM:<a@b> FOO=1", "555 5.5.4 Unsupported option: FOO=1"},
      {"MAIL FROM:<a@b> SIZE=x", "501 5.5.4 Bad message size syntax"},
      {"MAIL FROM:<a@b> SIZE=20000000", "552 5.3.4 Message size exceeds fixed limit"},
      {"MAIL FROM:<a@b> RET=ALL", "501 5.5.4 Bad RET parameter syntax"},
      {"MAIL FROM:<a@b> ENVID=a+zz", "501 5.5.4 Bad ENVID parameter syntax"},
      // Decoded CR LF (or any control) would reach notices sent elsewhere.
      {"MAIL FROM:<a@b> ENVID=abc+0D+0A.+0D+0AMAIL+20FROM:<x@y>",
       "501 5.5.4 Bad ENVID parameter syntax"},
      {"MAIL FROM:<a@b> ENVID=a+00b", "501 5.5.4 Bad ENVID parameter syntax"},
      {"HELO", "501 Syntax: HELO hostname"},
      {"EHLO", "501 Syntax: EHLO hostname"},
      {"FOO", "502 5.5.2 Error: command not recognized"},
      {"HELP", "214 2.0.0 Commands: EHLO HELO MAIL RCPT DATA BDAT RSET NOOP VRFY ETRN HELP QUIT"},
      {"RSET x", "501 5.5.4 Syntax: RSET"},
      {"VRFY", "501 5.5.4 Syntax: VRFY address"},
      {"VRFY <unknown@example.com>",
       "550 5.1.1 <unknown@example.com>: Recipient address rejected: User unknown"},
      {"VRFY <bob@example.com>", "252 2.0.0 <bob@example.com>"},
      {"ETRN", "500 Syntax: ETRN domain"},
      {"ETRN flush.example", "250 Queuing started"},
      {"ETRN other.example", "459 <other.example>: service unavailable"},
      {"BDAT x", "501 5.5.4 Syntax: BDAT count [LAST]"},
      {"NOOP", "250 2.0.0 Ok"},
  };
  for (const auto& r : rows) {
    std::string out = Session(std::string(r.in) + "\r\nQUIT\r\n");
    EXPECT_EQ(out, std::string(kBanner) + r.want + "\r\n221 2.0.0 Bye\r\n") << r.in;
  }
}

TEST_F(SmtpdTest, TransactionErrors) {
  std::string out = Session(
      "HELO c\r\nMAIL FROM:<>\r\nMAIL FROM:<>\r\nRCPT TO:<>\r\n"
      "RCPT TO:<unknown@example.com>\r\nDATA\r\nRSET\r\nQUIT\r\n");
  EXPECT_EQ(out, std::string(kBanner) +
                     "250 mx.example.com\r\n250 2.1.0 Ok\r\n"
                     "503 5.5.1 Error: nested MAIL command\r\n"
                     "501 5.1.3 Bad recipient address syntax\r\n"
                     "550 5.1.1 <unknown@example.com>: Recipient address rejected: User unknown\r\n"
                     "554 5.5.1 Error: no valid recipients\r\n250 2.0.0 Ok\r\n221 2.0.0 Bye\r\n");
  EXPECT_EQ(rec_.opened, 0);  // cleanup is opened at the first valid RCPT
  EXPECT_TRUE(
      Logged("disconnect from unknown[192.0.2.1] helo=1 mail=1/2 rcpt=0/2 data=0/1 "
             "rset=1 quit=1 commands=4/8"));
}

TEST_F(SmtpdTest, HeloRequired) {
  st_.helo_required = true;
  std::string out = Session("MAIL FROM:<a@b>\r\nHELO bad.helo\r\nQUIT\r\n");
  EXPECT_EQ(out, std::string(kBanner) +
                     "503 5.5.1 Error: send HELO/EHLO first\r\n"
                     "550 5.7.1 <bad.helo>: Helo command rejected\r\n221 2.0.0 Bye\r\n");
}

TEST_F(SmtpdTest, EhloDiscardAndNoSize) {
  st_.discard_ehlo_keywords = {"pipelining",          "CHUNKING", "dsn", "smtputf8", "8bitmime",
                               "enhancedstatuscodes", "etrn"};
  st_.message_size_limit = 0;
  st_.disable_vrfy = true;
  std::string out = Session("EHLO x\r\nVRFY a@b\r\nQUIT\r\n");
  EXPECT_EQ(out, std::string(kBanner) +
                     "250-mx.example.com\r\n250 SIZE\r\n"
                     "502 5.5.1 VRFY command is disabled\r\n221 2.0.0 Bye\r\n");
}

TEST_F(SmtpdTest, QueueSpaceAtMail) {
  // 4 KB blocks; message_size_limit 100 KB (25 blocks), queue_minfree 1 MB.
  st_.message_size_limit = 100 * 1024;
  st_.queue_minfree = 1024 * 1024;
  const std::string session = "EHLO c\r\nMAIL FROM:<a@b>\r\nQUIT\r\n";
  const std::string refused = "452 4.3.1 Insufficient system storage\r\n";
  struct Case {
    unsigned long long blocks_free;
    bool accepted;
  } cases[] = {
      {256, false},  // exactly queue_minfree
      {257, true},   // more than queue_minfree, and > 1.5 x 25 blocks
  };
  for (const Case& c : cases) {
    queue_space_ = util::FileSystemSpace{4096, c.blocks_free};
    std::string out = Session(session);
    EXPECT_EQ(out.find(refused) == std::string::npos, c.accepted) << c.blocks_free << out;
  }
  // Without queue_minfree: 1.5 x message_size_limit decides (37.5 blocks).
  st_.queue_minfree = 0;
  queue_space_ = util::FileSystemSpace{4096, 38};
  EXPECT_EQ(Session(session).find(refused), std::string::npos);
  queue_space_ = util::FileSystemSpace{4096, 37};
  EXPECT_NE(Session(session).find(refused), std::string::npos);
  EXPECT_TRUE(
      Logged("warning: not enough free space in mail queue: 151552 bytes < "
             "1.5*message size limit"));
  EXPECT_TRUE(
      Logged("NOQUEUE: reject: MAIL from unknown[192.0.2.1]: 452 4.3.1 Insufficient "
             "system storage; proto=ESMTP helo=<c>"));
  // An unreadable file system is not a reason to refuse mail.
  queue_space_ = util::StatusOr<util::FileSystemSpace>(util::Unavailable("statvfs: EIO"));
  EXPECT_EQ(Session(session).find(refused), std::string::npos);
}

TEST_F(SmtpdTest, SizeLimitDuringData) {
  st_.message_size_limit = 100;
  std::string body(300, 'x');
  std::string out = Session("EHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n" + body +
                            "\r\n.\r\nQUIT\r\n");
  EXPECT_NE(out.find("354 End data with <CR><LF>.<CR><LF>\r\n552 5.3.4 Message size exceeds "
                     "fixed limit\r\n221 2.0.0 Bye\r\n"),
            std::string::npos)
      << out;
  EXPECT_EQ(rec_.finished, 0);  // never queued
}

TEST_F(SmtpdTest, LongLinesAreSegmented) {
  st_.line_length_limit = 512;
  std::string line(1300, 'y');
  Session("HELO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n" + line +
          "\r\nend\r\n.\r\nQUIT\r\n");
  EXPECT_EQ(rec_.finished, 1);
  std::vector<std::string> c = rec_.Content();
  ASSERT_EQ(c.size(), 7u);  // 3 Received lines, 2 segments + rest, "end"
  EXPECT_EQ(c[3], std::string(512, 'y') + "+");
  EXPECT_EQ(c[4], std::string(512, 'y') + "+");
  EXPECT_EQ(c[5], std::string(276, 'y'));
  EXPECT_EQ(c[6], "end");
  EXPECT_EQ(checker_.last_size, 1301 + 4);
}

TEST_F(SmtpdTest, LongCommandLine) {
  st_.line_length_limit = 512;
  std::string out = Session("NOOP " + std::string(2000, 'z') + "\r\nQUIT\r\n");
  EXPECT_EQ(out, std::string(kBanner) + "500 5.5.2 Error: line too long\r\n221 2.0.0 Bye\r\n");
}

TEST_F(SmtpdTest, SmugglingGivesOneMessage) {
  std::string out = Session(
      "EHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\nSubject: one\r\n\r\nbody\n.\r\n"
      "MAIL FROM:<evil@x>\r\nRCPT TO:<victim@y>\r\nDATA\r\nSubject: two\r\n\r\n.\n"
      "more\r\n.\r\nQUIT\r\n");
  EXPECT_EQ(rec_.finished, 1);
  std::vector<std::string> c = rec_.Content();
  std::vector<std::string> tail(c.begin() + 3, c.end());
  EXPECT_EQ(tail, (std::vector<std::string>{"Subject: one", "", "body", ".", "MAIL FROM:<evil@x>",
                                            "RCPT TO:<victim@y>", "DATA", "Subject: two", "", ".",
                                            "more"}));
  EXPECT_NE(out.find("250 2.0.0 Ok: queued as 4A3B2C1D\r\n221 2.0.0 Bye\r\n"), std::string::npos);
}

TEST_F(SmtpdTest, BareLfReject) {
  st_.bare_lf = smtpd_input::BareLf::kReject;
  std::string out =
      Session("EHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\nbody\n.\r\nQUIT\r\n");
  EXPECT_NE(out.find("354 End data with <CR><LF>.<CR><LF>\r\n"
                     "550 5.5.2 mx.example.com Error: bare <LF> received\r\n"),
            std::string::npos)
      << out;
  EXPECT_EQ(out.find("221"), std::string::npos);
  EXPECT_EQ(rec_.finished, 0);
  // Excluded clients get the old behaviour.
  checker_.exempt_bare_lf = true;
  out = Session("HELO c\nMAIL FROM:<a@b>\nRCPT TO:<c@d>\nDATA\nbody\n.\nQUIT\n");
  EXPECT_EQ(rec_.finished, 1);
}

TEST_F(SmtpdTest, Bdat) {
  std::string chunk1 = "Subject: chunks\r\n\r\nline one\r\n.not stuffed\r\nspl";
  std::string chunk2 = "it line\r\nlast";
  std::string out =
      Session("EHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nRCPT TO:<e@f>\r\nBDAT " +
              std::to_string(chunk1.size()) + "\r\n" + chunk1 + "BDAT " +
              std::to_string(chunk2.size()) + " LAST\r\n" + chunk2 + "DATA\r\nQUIT\r\n");
  EXPECT_NE(out.find(util::StrFormat("250 2.1.5 Ok\r\n250 2.1.5 Ok\r\n250 2.0.0 Ok: %zu bytes\r\n"
                                     "250 2.0.0 Ok: queued as 4A3B2C1D\r\n"
                                     "503 5.5.1 Error: need RCPT command\r\n221 2.0.0 Bye\r\n",
                                     chunk1.size())),
            std::string::npos)
      << out;
  std::vector<std::string> c = rec_.Content();
  EXPECT_EQ(c[1], "\tby mx.example.com (Postfix) with ESMTP id 4A3B2C1D;");  // 2 recipients
  std::vector<std::string> tail(c.begin() + 3, c.end());
  EXPECT_EQ(tail, (std::vector<std::string>{"Subject: chunks", "", "line one", ".not stuffed",
                                            "split line", "last"}));
}

TEST_F(SmtpdTest, BdatWithoutRecipientsSkipsChunk) {
  std::string out = Session("EHLO c\r\nBDAT 6 LAST\r\nQUIT\r\nNOOP\r\n");
  EXPECT_EQ(out, std::string(kBanner) + kEhlo +
                     "503 5.5.1 Error: need RCPT command\r\n"
                     "250 2.0.0 Ok\r\n");  // the chunk "QUIT\r\n" was data; then EOF
}

TEST_F(SmtpdTest, HardErrorLimit) {
  st_.hard_error_limit = 3;
  std::string out = Session("FOO\r\nBAR\r\nBAZ\r\nQUIT\r\n");
  EXPECT_EQ(out, std::string(kBanner) +
                     "502 5.5.2 Error: command not recognized\r\n"
                     "502 5.5.2 Error: command not recognized\r\n"
                     "502 5.5.2 Error: command not recognized\r\n"
                     "421 4.7.0 mx.example.com Error: too many errors\r\n");
  EXPECT_TRUE(Logged("too many errors after UNKNOWN from unknown[192.0.2.1]"));
}

TEST_F(SmtpdTest, JunkCommandLimit) {
  st_.junk_command_limit = 2;
  st_.hard_error_limit = 2;
  // As Postfix's junk_cmds++ > limit: commands 4 and 5 are errors, the
  // sixth gets 421.
  std::string out = Session("NOOP\r\nNOOP\r\nNOOP\r\nNOOP\r\nNOOP\r\nNOOP\r\n");
  EXPECT_EQ(out, std::string(kBanner) +
                     "250 2.0.0 Ok\r\n250 2.0.0 Ok\r\n250 2.0.0 Ok\r\n"
                     "250 2.0.0 Ok\r\n250 2.0.0 Ok\r\n"
                     "421 4.7.0 mx.example.com Error: too many errors\r\n");
}

TEST_F(SmtpdTest, HeloAndEhloAreJunkCommands) {
  st_.junk_command_limit = 2;
  st_.hard_error_limit = 2;
  std::string out = Session("HELO a\r\nHELO a\r\nHELO a\r\nHELO a\r\nHELO a\r\nHELO a\r\n");
  EXPECT_EQ(out, std::string(kBanner) +
                     "250 mx.example.com\r\n250 mx.example.com\r\n"
                     "250 mx.example.com\r\n250 mx.example.com\r\n250 mx.example.com\r\n"
                     "421 4.7.0 mx.example.com Error: too many errors\r\n");
  std::string ehlo;
  for (int i = 0; i < 200; i++) ehlo += "EHLO loop.example\r\n";
  st_.junk_command_limit = 100;
  st_.hard_error_limit = 20;
  out = Session(ehlo);
  EXPECT_NE(out.find("421 4.7.0 mx.example.com Error: too many errors\r\n"), std::string::npos);
  EXPECT_TRUE(Logged("too many errors after EHLO from unknown[192.0.2.1]"));
}

TEST_F(SmtpdTest, JunkCountResetsAfterDelivery) {
  st_.junk_command_limit = 2;
  st_.hard_error_limit = 1;
  // Three NOOPs, a message, three NOOPs: never past the limit.
  std::string out = Session(
      "NOOP\r\nNOOP\r\nNOOP\r\nMAIL FROM:<a@b>\r\nRCPT TO:<bob@example.com>\r\nDATA\r\n"
      "x\r\n.\r\nNOOP\r\nNOOP\r\nNOOP\r\nQUIT\r\n");
  EXPECT_EQ(out.find("too many errors"), std::string::npos) << out;
  EXPECT_NE(out.find("221 2.0.0 Bye"), std::string::npos) << out;
}

TEST_F(SmtpdTest, RecipientLimit) {
  st_.recipient_limit = 2;
  std::string out = Session(
      "HELO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<1@x>\r\nRCPT TO:<2@x>\r\nRCPT TO:<3@x>\r\nQUIT\r\n");
  EXPECT_NE(out.find("250 2.1.5 Ok\r\n250 2.1.5 Ok\r\n452 4.5.3 Error: too many recipients\r\n"),
            std::string::npos);
}

TEST_F(SmtpdTest, Timeout) {
  st_.timeout = 1;
  std::string out = Session("HELO c\r\nMAIL FROM:<a@b>\r\n", /*keep_open=*/true);
  EXPECT_EQ(out, std::string(kBanner) +
                     "250 mx.example.com\r\n250 2.1.0 Ok\r\n"
                     "421 4.4.2 mx.example.com Error: timeout exceeded\r\n");
  EXPECT_TRUE(Logged("timeout after MAIL from unknown[192.0.2.1]"));
}

TEST_F(SmtpdTest, LostConnectionInData) {
  Session("HELO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\nhalf a message\r\n");
  EXPECT_EQ(rec_.opened, 1);
  EXPECT_EQ(rec_.finished, 0);
  EXPECT_TRUE(Logged("lost connection after DATA from unknown[192.0.2.1]"));
}

TEST_F(SmtpdTest, QueueFailures) {
  queue_down_ = true;
  std::string out = Session("HELO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nQUIT\r\n");
  EXPECT_NE(out.find("451 4.3.0 Error: queue file write error\r\n"), std::string::npos);
  queue_down_ = false;
  rec_.verdict.status = 4;
  rec_.verdict.dsn = "4.3.0";
  rec_.verdict.reason = "Temporary lookup failure";
  out = Session("HELO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\nx\r\n.\r\nQUIT\r\n");
  EXPECT_NE(out.find("354 End data with <CR><LF>.<CR><LF>\r\n"
                     "451 4.3.0 Error: queue file write error\r\n"),
            std::string::npos);
  rec_.verdict.status = 5;
  rec_.verdict.dsn = "5.3.4";
  out = Session("HELO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\nx\r\n.\r\nQUIT\r\n");
  EXPECT_NE(out.find("552 5.3.4 Message size exceeds fixed limit\r\n"), std::string::npos);
}

TEST_F(SmtpdTest, PrependAndDiscard) {
  std::string out = Session(
      "HELO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<prepend@x>\r\nDATA\r\nbody\r\n.\r\n"
      "MAIL FROM:<a@b>\r\nRCPT TO:<discard@x>\r\nDATA\r\nbody\r\n.\r\nQUIT\r\n");
  EXPECT_EQ(rec_.finished, 2);  // cleanup drops the discarded one
  EXPECT_EQ(rec_.records.back(), "A:discard=1");
  EXPECT_EQ(rec_.records[rec_.records.size() - 2], "X:");
  EXPECT_EQ(rec_.Content()[0], "X-Tag: yes");
  EXPECT_EQ(rec_.Content()[1].substr(0, 15), "Received: from ");
  size_t first = out.find("queued as");
  EXPECT_NE(out.find("queued as", first + 1), std::string::npos) << out;
}

TEST_F(SmtpdTest, SmtputF8Protocol) {
  Session("EHLO c\r\nMAIL FROM:<\xc3\xa9@b> SMTPUTF8\r\nRCPT TO:<c@d>\r\nDATA\r\nx\r\n.\r\n");
  EXPECT_EQ(rec_.Content()[1], "\tby mx.example.com (Postfix) with UTF8SMTP id 4A3B2C1D");
  std::vector<std::string> env = rec_.Envelope();
  EXPECT_NE(std::find(env.begin(), env.end(), "A:smtputf8=1"), env.end());
  EXPECT_NE(std::find(env.begin(), env.end(), "S:\xc3\xa9@b"), env.end());
}

TEST_F(SmtpdTest, BadUtf8IsRefused) {
  std::string out = Session("EHLO c\r\nMAIL FROM:<\xff\xfe@b>\r\nHELO \xc3\r\nQUIT\r\n");
  EXPECT_NE(out.find("250 CHUNKING\r\n500 5.5.2 Error: bad UTF-8 syntax\r\n"
                     "500 5.5.2 Error: bad UTF-8 syntax\r\n221 2.0.0 Bye"),
            std::string::npos)
      << out;
  // Without smtputf8_enable the bytes are the restrictions' business, and
  // SMTPUTF8 is neither offered nor accepted.
  st_.smtputf8_enable = false;
  out = Session("EHLO c\r\nMAIL FROM:<a@b> SMTPUTF8\r\nQUIT\r\n");
  EXPECT_EQ(out.find("SMTPUTF8\r\n250"), std::string::npos) << out;
  EXPECT_NE(out.find("555 5.5.4 Unsupported option: SMTPUTF8"), std::string::npos) << out;
}

TEST_F(SmtpdTest, HeloControlCharactersNeverReachTheQueue) {
  Session(
      "HELO a\x01"
      "b\tc\x7f\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\nx\r\n.\r\n");
  std::vector<std::string> env = rec_.Envelope();
  EXPECT_NE(std::find(env.begin(), env.end(), "A:helo_name=a?b?c?"), env.end());
  ASSERT_FALSE(rec_.Content().empty());
  EXPECT_EQ(rec_.Content()[0], "Received: from a?b?c? (unknown [192.0.2.1])");
}

const char kEhloAuth[] =
    "250-mx.example.com\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-VRFY\r\n"
    "250-ETRN\r\n250-AUTH PLAIN LOGIN\r\n250-AUTH=PLAIN LOGIN\r\n"
    "250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250-DSN\r\n250-SMTPUTF8\r\n250 CHUNKING\r\n";

TEST_F(SmtpdTest, AuthPlainThenMail) {
  st_.sasl_enable = true;
  st_.broken_sasl_auth_clients = true;
  st_.sasl_authenticated_header = true;
  std::string out = Session(
      "AUTH PLAIN AGJvYgBzZWNyZXQ=\r\nEHLO c.example\r\nAUTH\r\nAUTH CRAM-MD5\r\n"
      "AUTH ANONYMOUS\r\nAUTH PLAIN AGJvYgBzZWNyZXQ=\r\nAUTH PLAIN\r\n"
      "MAIL FROM:<bob@example.com> AUTH=bob+40example.com\r\nAUTH PLAIN\r\n"
      "RCPT TO:<x@remote.example>\r\nDATA\r\nSubject: x\r\n\r\nhi\r\n.\r\nQUIT\r\n");
  EXPECT_EQ(out, std::string(kBanner) + "235 2.7.0 Authentication successful\r\n" + kEhloAuth +
                     "503 5.5.1 Error: already authenticated\r\n"
                     "503 5.5.1 Error: already authenticated\r\n"
                     "503 5.5.1 Error: already authenticated\r\n"
                     "503 5.5.1 Error: already authenticated\r\n"
                     "503 5.5.1 Error: already authenticated\r\n"
                     "250 2.1.0 Ok\r\n503 5.5.1 Error: MAIL transaction in progress\r\n"
                     "250 2.1.5 Ok\r\n354 End data with <CR><LF>.<CR><LF>\r\n"
                     "250 2.0.0 Ok: queued as 4A3B2C1D\r\n221 2.0.0 Bye\r\n");
  EXPECT_EQ(sasl_.last.remote_ip, "192.0.2.1");
  EXPECT_EQ(sasl_.last.local_ip, "192.0.2.25");
  EXPECT_TRUE(
      Logged("4A3B2C1D: client=unknown[192.0.2.1], sasl_method=PLAIN, "
             "sasl_username=bob@example.com, sasl_sender=bob@example.com"));
  std::vector<std::string> env = rec_.Envelope();
  EXPECT_NE(std::find(env.begin(), env.end(), "A:sasl_username=bob@example.com"), env.end());
  std::vector<std::string> content = rec_.Content();
  ASSERT_GE(content.size(), 3u);
  EXPECT_EQ(content[1], "\t(Authenticated sender: bob@example.com)");
  EXPECT_EQ(content[2], "\tby mx.example.com (Postfix) with ESMTPA id 4A3B2C1D");
  EXPECT_TRUE(
      Logged("disconnect from unknown[192.0.2.1] ehlo=1 auth=1/7 mail=1 rcpt=1 data=1 "
             "quit=1 commands=6/12"));
}

TEST_F(SmtpdTest, AuthSyntaxAndFailures) {
  st_.sasl_enable = true;
  std::string out = Session(
      "EHLO c.example\r\nAUTH\r\nAUTH a b c\r\nAUTH CRAM-MD5\r\nAUTH ANONYMOUS\r\n"
      "AUTH PLAIN AGJvYgB3cm9uZw==\r\nAUTH LOGIN\r\nYm9i\r\n*\r\n"
      "AUTH PLAIN\r\nAGJvYgB3cm9uZw==\r\n"
      "MAIL FROM:<a@example.com> AUTH=<>\r\nAUTH LOGIN\r\nRSET\r\n"
      "AUTH LOGIN\r\nYm9i\r\nc2VjcmV0\r\nQUIT\r\n");
  EXPECT_EQ(out,
            std::string(kBanner) +
                "250-mx.example.com\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-VRFY\r\n"
                "250-ETRN\r\n250-AUTH PLAIN LOGIN\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n"
                "250-DSN\r\n250-SMTPUTF8\r\n250 CHUNKING\r\n"
                "501 5.5.4 Syntax: AUTH mechanism\r\n"
                "501 5.5.4 Syntax: AUTH mechanism\r\n"
                "504 5.5.4 Unsupported authentication mechanism\r\n"
                "504 5.5.4 Unsupported authentication mechanism\r\n"
                "535 5.7.8 Error: authentication failed: (reason unavailable)\r\n"
                "334 VXNlcm5hbWU6\r\n334 UGFzc3dvcmQ6\r\n"
                "501 5.7.0 Authentication aborted\r\n"
                "334 \r\n535 5.7.8 Error: authentication failed: (reason unavailable)\r\n"
                "250 2.1.0 Ok\r\n503 5.5.1 Error: MAIL transaction in progress\r\n"
                "250 2.0.0 Ok\r\n"
                "334 VXNlcm5hbWU6\r\n334 UGFzc3dvcmQ6\r\n"
                "235 2.7.0 Authentication successful\r\n221 2.0.0 Bye\r\n");
  EXPECT_TRUE(
      Logged("warning: unknown[192.0.2.1]: SASL PLAIN authentication failed: "
             "(reason unavailable), sasl_username=bob@example.com"));
}

TEST_F(SmtpdTest, AuthNotOffered) {
  // Not enabled.
  std::string out = Session("AUTH PLAIN AGJvYgBzZWNyZXQ=\r\nQUIT\r\n");
  EXPECT_EQ(out, std::string(kBanner) +
                     "503 5.5.1 Error: authentication not enabled\r\n"
                     "221 2.0.0 Bye\r\n");
  // smtpd_tls_auth_only without TLS.
  st_.sasl_enable = true;
  st_.tls_auth_only = true;
  out = Session("EHLO c.example\r\nAUTH PLAIN AGJvYgBzZWNyZXQ=\r\nQUIT\r\n");
  EXPECT_EQ(out, std::string(kBanner) + kEhlo +
                     "503 5.5.1 Error: authentication not enabled\r\n221 2.0.0 Bye\r\n");
  // The auth server is down: no AUTH keyword, 454 for the command.
  st_.tls_auth_only = false;
  sasl_.down = true;
  out = Session("EHLO c.example\r\nAUTH PLAIN AGJvYgBzZWNyZXQ=\r\nQUIT\r\n");
  EXPECT_EQ(out, std::string(kBanner) + kEhlo +
                     "454 4.7.0 Temporary authentication failure: authentication server "
                     "unavailable\r\n221 2.0.0 Bye\r\n");
  EXPECT_TRUE(Logged("warning: SASL: connect to Dovecot auth socket: refused"));
  // noplaintext hides PLAIN and LOGIN.
  sasl_.down = false;
  st_.sasl_security = {.noanonymous = false, .noplaintext = true};
  out = Session("EHLO c.example\r\nQUIT\r\n");
  EXPECT_NE(out.find("250-AUTH ANONYMOUS\r\n"), std::string::npos) << out;
}

// STARTTLS without a TLS context (tests have none: the handshake itself
// is tested in util/tls_test.cpp and tests/test_tls.py).
TEST_F(SmtpdTest, StartTlsOfferedAndRefusedWithoutContext) {
  std::string out = Session("EHLO c\r\nSTARTTLS\r\nQUIT\r\n");
  EXPECT_EQ(out.find("STARTTLS"), std::string::npos) << out;
  EXPECT_NE(out.find("502 5.5.1 Error: command not implemented\r\n"), std::string::npos) << out;
  st_.tls_level = TlsLevel::kMay;
  out = Session("EHLO c\r\nSTARTTLS x\r\nSTARTTLS\r\nMAIL FROM:<a@b>\r\nQUIT\r\n");
  EXPECT_NE(out.find("250-VRFY\r\n250-ETRN\r\n250-STARTTLS\r\n250-ENHANCEDSTATUSCODES\r\n"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("501 5.5.4 Syntax: STARTTLS\r\n"
                     "454 4.7.0 TLS not available due to local problem\r\n"
                     "250 2.1.0 Ok\r\n"),
            std::string::npos)
      << out;
  EXPECT_TRUE(
      Logged("disconnect from unknown[192.0.2.1] ehlo=1 starttls=0/2 mail=1 quit=1 "
             "commands=3/5"));
  // Discarded like any other keyword.
  st_.discard_ehlo_keywords = {"starttls", "silent-discard"};
  out = Session("EHLO c\r\nQUIT\r\n");
  EXPECT_EQ(out.find("STARTTLS"), std::string::npos) << out;
}

TEST_F(SmtpdTest, EncryptRequiresStartTlsFirst) {
  st_.tls_level = TlsLevel::kEncrypt;
  std::string out = Session(
      "EHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\nVRFY c\r\nETRN x\r\n"
      "RSET\r\nNOOP\r\nHELO c\r\nQUIT\r\n");
  const std::string must = "530 5.7.0 Must issue a STARTTLS command first\r\n";
  std::string want;
  for (int i = 0; i < 6; ++i) want += must;
  want += "250 2.0.0 Ok\r\n250 mx.example.com\r\n221 2.0.0 Bye\r\n";
  EXPECT_NE(out.find("250 CHUNKING\r\n" + want), std::string::npos) << out;
  EXPECT_EQ(rec_.opened, 0);
}

const char kEhloXforward[] =
    "250-mx.example.com\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-VRFY\r\n"
    "250-ETRN\r\n250-XCLIENT NAME ADDR PROTO HELO REVERSE_NAME PORT LOGIN DESTADDR DESTPORT\r\n"
    "250-XFORWARD NAME ADDR PROTO HELO SOURCE PORT IDENT\r\n250-ENHANCEDSTATUSCODES\r\n"
    "250-8BITMIME\r\n250-DSN\r\n250-SMTPUTF8\r\n250 CHUNKING\r\n";
const char kMessage[] =
    "MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\nDATA\r\nSubject: x\r\n\r\nbody\r\n."
    "\r\n";
const char kQueued[] =
    "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 End data with <CR><LF>.<CR><LF>\r\n"
    "250 2.0.0 Ok: queued as 4A3B2C1D\r\n";

bool HasRecord(const Recorded& rec, const std::string& r) {
  return std::find(rec.records.begin(), rec.records.end(), r) != rec.records.end();
}

// Replies, log line and queue file attributes as Debian's Postfix 3.7 gives
// them; the forwarded client lasts one transaction.
TEST_F(SmtpdTest, XforwardForAuthorizedClients) {
  checker_.xforward = checker_.xclient = true;
  std::string out = Session(
      std::string("EHLO filter.example\r\n"
                  "XFORWARD NAME=mail.example.org ADDR=198.51.100.7 PORT=4711\r\n"
                  "xforward proto=ESMTP helo=helo.example.org ident=ABCDEF source=REMOTE\r\n") +
      kMessage + "XFORWARD NAME=x.example\r\n" + kMessage + "QUIT\r\n");
  EXPECT_EQ(out, std::string(kBanner) + kEhloXforward + "250 2.0.0 Ok\r\n250 2.0.0 Ok\r\n" +
                     kQueued + "250 2.0.0 Ok\r\n" + kQueued + "221 2.0.0 Bye\r\n");
  EXPECT_TRUE(
      Logged("4A3B2C1D: client=unknown[192.0.2.1], orig_queue_id=ABCDEF, "
             "orig_client=mail.example.org[198.51.100.7]"));
  EXPECT_TRUE(Logged("4A3B2C1D: client=unknown[192.0.2.1], orig_client=x.example"));
  EXPECT_TRUE(
      Logged("disconnect from unknown[192.0.2.1] ehlo=1 xforward=3 mail=2 rcpt=2 data=2 quit=1 "
             "commands=11"));
  for (const char* r :
       {"A:log_client_name=mail.example.org", "A:log_client_address=198.51.100.7",
        "A:log_client_port=4711", "A:log_message_origin=mail.example.org[198.51.100.7]",
        "A:log_helo_name=helo.example.org", "A:log_protocol_name=ESMTP", "A:log_ident=ABCDEF",
        "A:rewrite_context=remote", "A:client_address=192.0.2.1", "A:helo_name=filter.example",
        "A:log_client_name=x.example", "A:log_client_address=unknown",
        "A:log_protocol_name=unknown"})
    EXPECT_TRUE(HasRecord(rec_, r)) << r;
  // The Received: header names the real client, as Postfix's.
  EXPECT_EQ(rec_.Content()[0], "Received: from filter.example (unknown [192.0.2.1])");
}

TEST_F(SmtpdTest, XforwardRefusals) {
  std::string out = Session(
      "EHLO filter.example\r\nXFORWARD NAME=a.example\r\nMAIL FROM:<a@example.org>\r\n"
      "XFORWARD NAME=a.example\r\nQUIT\r\n");
  EXPECT_EQ(out, std::string(kBanner) + kEhlo +
                     "550 5.7.0 Error: insufficient authorization\r\n250 2.1.0 Ok\r\n"
                     "503 5.5.1 Error: MAIL transaction in progress\r\n221 2.0.0 Bye\r\n");
  checker_.xforward = checker_.xclient = true;
  // Hostile and broken attributes: 501 each, nothing applied.
  struct {
    const char* cmd;
    const char* reply;
  } rows[] = {
      {"XFORWARD", "501 5.5.4 Syntax: XFORWARD attribute=value..."},
      {"XFORWARD NAME", "501 5.5.4 Error: attribute=value expected"},
      {"XFORWARD =x", "501 5.5.4 Bad XFORWARD attribute name: "},
      {"XFORWARD FOO=bar", "501 5.5.4 Bad XFORWARD attribute name: FOO"},
      {"XFORWARD NAME=ok.example LOGIN=x", "501 5.5.4 Bad XFORWARD attribute name: LOGIN"},
      {"XFORWARD NAME=bad_host!", "501 5.5.4 Bad NAME syntax: bad_host!"},
      {"XFORWARD NAME=+ZZ", "501 5.5.4 Bad NAME syntax: +ZZ"},
      {"XFORWARD NAME=a+", "501 5.5.4 Bad NAME syntax: a+"},
      {"XFORWARD NAME=a+0Db", "501 5.5.4 Bad NAME syntax: a?b"},
      {"XFORWARD ADDR=300.1.1.1", "501 5.5.4 Bad ADDR syntax: 300.1.1.1"},
      {"XFORWARD ADDR=192.0.2.1<x>", "501 5.5.4 Bad ADDR syntax: 192.0.2.1?x?"},
      {"XFORWARD PORT=123456", "501 5.5.4 Bad PORT syntax: 123456"},
      {"XFORWARD PORT=-1", "501 5.5.4 Bad PORT syntax: -1"},
      // No reply injection through a decoded CR LF.
      {"XFORWARD PORT=1+0D+0A250+20ok", "501 5.5.4 Bad PORT syntax: 1??250 ok"},
      {"XFORWARD SOURCE=+0D+0A", "501 5.5.4 Bad SOURCE syntax: ??"},
      {"XFORWARD SOURCE=ELSEWHERE", "501 5.5.4 Bad SOURCE syntax: ELSEWHERE"},
      {"XFORWARD PROTO=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
       "501 5.5.4 Bad PROTO syntax: "
       "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"},
  };
  for (const auto& r : rows) {
    rec_ = Recorded();
    out = Session(std::string("EHLO filter.example\r\n") + r.cmd + "\r\n" + kMessage);
    EXPECT_EQ(out, std::string(kBanner) + kEhloXforward + r.reply + "\r\n" + kQueued) << r.cmd;
    EXPECT_FALSE(HasRecord(rec_, "A:log_client_name=ok.example")) << r.cmd;
  }
  std::string too_long = "XFORWARD HELO=" + std::string(256, 'a');
  out = Session("EHLO filter.example\r\n" + too_long + "\r\n");
  EXPECT_NE(out.find("501 5.5.4 Error: attribute value too long\r\n"), std::string::npos);
  // A header-breaking HELO or IDENT is neutered, [UNAVAILABLE] understood.
  rec_ = Recorded();
  out = Session(
      std::string("EHLO filter.example\r\nXFORWARD HELO=a+0D+0AX-Evil:+20<x> IDENT=[UNAVAILABLE] "
                  "NAME=[UNAVAILABLE] ADDR=IPv6:2001:DB8::1\r\n") +
      kMessage);
  EXPECT_EQ(out, std::string(kBanner) + kEhloXforward + "250 2.0.0 Ok\r\n" + kQueued);
  EXPECT_TRUE(HasRecord(rec_, "A:log_helo_name=a??X-Evil:??x?"));
  EXPECT_TRUE(HasRecord(rec_, "A:log_message_origin=unknown[2001:db8::1]"));
  EXPECT_TRUE(HasRecord(rec_, "A:log_ident=4A3B2C1D"));
}

// XCLIENT: a new client, greeted again; the restrictions and XCLIENT's own
// authorization see the new one.
TEST_F(SmtpdTest, XclientReplacesTheClient) {
  checker_.xclient = true;
  std::string out = Session(
      std::string("EHLO x\r\nXCLIENT PROTO=LMTP\r\n"
                  "XCLIENT NAME=good.example ADDR=192.0.2.9 HELO=fake.example PROTO=esmtp\r\n") +
      kMessage + "XCLIENT NAME=other.example ADDR=203.0.113.5 PORT=[UNAVAILABLE] LOGIN=joe\r\n" +
      kMessage + "XCLIENT NAME=again.example\r\nQUIT\r\n");
  EXPECT_EQ(out, std::string(kBanner) +
                     "250-mx.example.com\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-VRFY\r\n"
                     "250-ETRN\r\n250-XCLIENT NAME ADDR PROTO HELO REVERSE_NAME PORT LOGIN "
                     "DESTADDR DESTPORT\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250-DSN\r\n"
                     "250-SMTPUTF8\r\n250 CHUNKING\r\n"
                     "501 5.5.4 Bad PROTO syntax: LMTP\r\n" +
                     kBanner + kQueued + kBanner + kQueued +
                     "550 5.7.0 Error: insufficient authorization\r\n221 2.0.0 Bye\r\n");
  EXPECT_TRUE(Logged("4A3B2C1D: client=good.example[192.0.2.9]"));
  EXPECT_TRUE(Logged(
      "4A3B2C1D: client=other.example[203.0.113.5], sasl_method=XCLIENT, sasl_username=joe"));
  EXPECT_TRUE(Logged(
      "disconnect from other.example[203.0.113.5] ehlo=1 xclient=0/4 mail=2 rcpt=2 data=2 quit=1 "
      "commands=8/12"));
  EXPECT_TRUE(HasRecord(rec_, "A:helo_name=fake.example"));
  EXPECT_TRUE(HasRecord(rec_, "A:protocol=ESMTP"));
  EXPECT_TRUE(HasRecord(rec_, "A:client_port=unknown"));
  EXPECT_TRUE(HasRecord(rec_, "A:protocol=SMTP"));
  EXPECT_TRUE(HasRecord(rec_, "A:sasl_username=joe"));
}

}  // namespace
}  // namespace smtpd
