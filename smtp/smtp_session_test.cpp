#include "smtp/smtp_session.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>
#include <vector>

namespace smtp {
namespace {

// A scripted server on the other end of a socket pair: `script` is the
// greeting, then one reply per command line received (empty: no reply);
// after a 354 reply the content up to "." is collected into `data` and the
// next reply answers the ".". Every line received goes to `received`; a
// line after the end of the script makes the server hang up.
struct FakeServer {
  std::vector<std::string> script;
  std::vector<std::string> received;
  std::string data;
};

void Serve(int fd, FakeServer* s) {
  util::Stream io(fd, util::Stream::Ownership::kOwned);
  io.set_timeout(10);
  size_t next = 0;
  auto reply = [&]() {
    if (next >= s->script.size()) return std::string();
    std::string r = s->script[next++];
    if (!r.empty()) {
      (void)io.Write(r + "\r\n");
      (void)io.Flush();
    }
    return r;
  };
  reply();  // greeting
  std::string line;
  while (io.ReadLine(&line, 100000).ok()) {
    s->received.push_back(line);
    if (next >= s->script.size()) break;  // script done: hang up
    std::string r = reply();
    if (r.rfind("354", 0) == 0) {
      while (io.ReadLine(&line, 100000).ok() && line != ".") s->data += line + "\n";
      s->received.push_back(".");
      reply();
    }
    if (line == "QUIT") break;
  }
}

SessionResult Talk(FakeServer* server, const Message& m, const SessionParams& p,
                   bool final_host = true, const SessionSecurity& sec = {},
                   const SessionReuse& reuse = {}) {
  int sv[2];
  EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  std::thread t(Serve, sv[1], server);
  SessionResult r;
  {
    util::Stream conn(sv[0], util::Stream::Ownership::kOwned);
    r = RunSession(conn, "mx.example[192.0.2.1]", final_host, m, p, sec, reuse);
  }
  t.join();
  return r;
}

SessionResult Talk(FakeServer* server, const Message& m, bool final_host = true,
                   int helo_timeout = 5, const SessionSecurity& sec = {}) {
  SessionParams p;
  p.helo_name = "me.example";
  p.timeouts.helo = helo_timeout;
  return Talk(server, m, p, final_host, sec);
}

Message TwoRecipients() {
  Message m;
  m.sender = "alice@example.org";
  m.recipients = {{"a@example.com", "", 0}, {"b@example.com", "", 0}};
  m.size = 20;
  m.content = [](smtp_data::DataWriter& w) {
    util::Status st = w.Line("Subject: x");
    if (st.ok()) st = w.Line("");
    if (st.ok()) st = w.Line(".dot");
    return st;
  };
  return m;
}

const char kEhlo[] = "250-mx.example\r\n250-PIPELINING\r\n250-SIZE 1000\r\n250 DSN";

TEST(SmtpSessionTest, PipelinedTransaction) {
  FakeServer s;
  s.script = {"220 mx ESMTP",
              kEhlo,
              "250 2.1.0 Ok",
              "250 2.1.5 Ok",
              "550 5.1.1 <b@example.com>: Recipient address rejected",
              "354 go",
              "250 2.0.0 Ok: queued as ABC",
              ""};
  SessionResult r = Talk(&s, TwoRecipients());
  EXPECT_TRUE(r.greeted);
  ASSERT_EQ(r.recipients.size(), 2u);
  EXPECT_EQ(r.recipients[0].outcome, Outcome::kSent);
  EXPECT_EQ(r.recipients[0].dsn, "2.0.0");
  EXPECT_EQ(r.recipients[0].reason, "250 2.0.0 Ok: queued as ABC");
  EXPECT_EQ(r.recipients[1].outcome, Outcome::kBounced);
  EXPECT_EQ(r.recipients[1].dsn, "5.1.1");
  EXPECT_EQ(r.recipients[1].reason,
            "host mx.example[192.0.2.1] said: 550 5.1.1 <b@example.com>: Recipient address "
            "rejected (in reply to RCPT TO command)");
  EXPECT_EQ(s.received,
            (std::vector<std::string>{"EHLO me.example", "MAIL FROM:<alice@example.org> SIZE=20",
                                      "RCPT TO:<a@example.com>", "RCPT TO:<b@example.com>", "DATA",
                                      ".", "QUIT"}));
  EXPECT_EQ(s.data, "Subject: x\n\n..dot\n");
}

TEST(SmtpSessionTest, HeloFallbackLockStep) {
  FakeServer s;
  s.script = {"220 mx", "502 5.5.2 what?", "250 mx", "250 Ok", "451 4.3.0 later",
              "250 Ok", "354 go",          "250 Ok", ""};
  SessionResult r = Talk(&s, TwoRecipients());
  EXPECT_EQ(r.recipients[0].outcome, Outcome::kSoft);
  EXPECT_EQ(r.recipients[0].dsn, "4.3.0");
  EXPECT_EQ(r.recipients[1].outcome, Outcome::kSent);
  EXPECT_EQ(r.recipients[1].dsn, "2.0.0");
  EXPECT_EQ(s.received,
            (std::vector<std::string>{"EHLO me.example", "HELO me.example",
                                      "MAIL FROM:<alice@example.org>", "RCPT TO:<a@example.com>",
                                      "RCPT TO:<b@example.com>", "DATA", ".", "QUIT"}));
}

TEST(SmtpSessionTest, WholeTransactionFailures) {
  struct Case {
    const char* name;
    std::vector<std::string> script;
    bool final_host;
    Outcome want;
    std::string dsn;
    std::string reason;
  } cases[] = {
      {"421 greeting",
       {"421 4.3.2 busy"},
       true,
       Outcome::kSoft,
       "4.3.2",
       "host mx.example[192.0.2.1] refused to talk to me: 421 4.3.2 busy"},
      {"554 greeting, more hosts",
       {"554 5.7.1 no"},
       false,
       Outcome::kSoft,
       "5.7.1",
       "host mx.example[192.0.2.1] refused to talk to me: 554 5.7.1 no"},
      {"554 greeting, last host",
       {"554 5.7.1 no"},
       true,
       Outcome::kBounced,
       "5.7.1",
       "host mx.example[192.0.2.1] refused to talk to me: 554 5.7.1 no"},
      {"MAIL 452",
       {"220 mx", kEhlo, "452 4.3.1 full", "503 no", "503 no", "554 no", ""},
       true,
       Outcome::kSoft,
       "4.3.1",
       "host mx.example[192.0.2.1] said: 452 4.3.1 full (in reply to MAIL FROM command)"},
      {"DATA 554",
       {"220 mx", kEhlo, "250 Ok", "250 Ok", "250 Ok", "554 5.5.1 no data", ""},
       true,
       Outcome::kBounced,
       "5.5.1",
       "host mx.example[192.0.2.1] said: 554 5.5.1 no data (in reply to DATA command)"},
      {"end of data 552",
       {"220 mx", kEhlo, "250 Ok", "250 Ok", "250 Ok", "354 go", "552 5.3.4 too big", ""},
       true,
       Outcome::kBounced,
       "5.3.4",
       "host mx.example[192.0.2.1] said: 552 5.3.4 too big (in reply to end of DATA command)"},
      {"lost after greeting",
       {"220 mx"},
       true,
       Outcome::kSoft,
       "4.4.2",
       "lost connection with mx.example[192.0.2.1] while performing the EHLO handshake"},
      {"size limit",
       {"220 mx", "250-mx\r\n250 SIZE 10", ""},
       true,
       Outcome::kBounced,
       "5.3.4",
       "message size 20 exceeds size limit 10 of server mx.example[192.0.2.1]"},
      {"smtputf8",
       {"220 mx", kEhlo, ""},
       true,
       Outcome::kBounced,
       "5.6.7",
       "SMTPUTF8 is required, but was not offered by host mx.example[192.0.2.1]"},
  };
  for (const Case& c : cases) {
    FakeServer s;
    s.script = c.script;
    Message m = TwoRecipients();
    if (std::string(c.name) == "smtputf8") m.smtputf8 = true;
    SessionResult r = Talk(&s, m, c.final_host);
    for (const RecipientResult& rr : r.recipients) {
      EXPECT_EQ(rr.outcome, c.want) << c.name;
      EXPECT_EQ(rr.dsn, c.dsn) << c.name;
      EXPECT_EQ(rr.reason, c.reason) << c.name;
    }
  }
}

TEST(SmtpSessionTest, GreetingTimeout) {
  FakeServer s;
  s.script = {""};  // never greets
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  SessionParams p;
  p.timeouts.helo = 1;
  util::Stream conn(sv[0], util::Stream::Ownership::kOwned);
  Message m = TwoRecipients();
  SessionResult r = RunSession(conn, "mx.example[192.0.2.1]", true, m, p);
  close(sv[1]);
  EXPECT_FALSE(r.greeted);
  EXPECT_EQ(r.recipients[0].outcome, Outcome::kSoft);
  EXPECT_EQ(r.recipients[0].reason,
            "conversation with mx.example[192.0.2.1] timed out while receiving the initial "
            "server greeting");
}

TEST(SmtpSessionTest, Commands) {
  Message m;
  m.sender = "john smith@example.org";
  m.size = 1234;
  m.eight_bit = true;
  m.smtputf8 = true;
  m.dsn_ret = 2;
  m.dsn_envid = "id+1";
  Offered all{true, true, true, true};
  EXPECT_EQ(MailCommand(m, all),
            "MAIL FROM:<\"john smith\"@example.org> SIZE=1234 BODY=8BITMIME SMTPUTF8 RET=HDRS "
            "ENVID=id+2B1");
  EXPECT_EQ(MailCommand(m, Offered{}), "MAIL FROM:<\"john smith\"@example.org>");
  Message null;
  EXPECT_EQ(MailCommand(null, all), "MAIL FROM:<>");
  MessageRecipient r{"bob@example.com", "rfc822;Bob@Example.com", 2 | 4};
  EXPECT_EQ(RcptCommand(r, all),
            "RCPT TO:<bob@example.com> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;Bob@Example.com");
  EXPECT_EQ(RcptCommand(r, Offered{}), "RCPT TO:<bob@example.com>");
  MessageRecipient never{"x@y", "", 1};
  EXPECT_EQ(RcptCommand(never, all), "RCPT TO:<x@y> NOTIFY=NEVER");
}

// SASL with security options that allow plain-text mechanisms.
SaslSession Credentials() {
  SaslSession s;
  s.credentials = {"bob@example.jp", "secret"};
  return s;
}

TEST(SmtpSessionTest, AuthPlainThenMail) {
  FakeServer s;
  s.script = {"220 mx",
              "250-mx\r\n250-AUTH LOGIN PLAIN\r\n250 PIPELINING",
              "235 2.7.0 Authentication successful",
              "250 Ok",
              "250 Ok",
              "250 Ok",
              "354 go",
              "250 Ok",
              ""};
  SaslSession sasl = Credentials();
  SessionParams p;
  p.helo_name = "me.example";
  // Asked to keep the session: an authenticated one is never cached.
  SessionResult r = Talk(&s, TwoRecipients(), p, true, {nullptr, &sasl, ""}, {nullptr, true});
  EXPECT_EQ(r.recipients[0].outcome, Outcome::kSent);
  ASSERT_GE(s.received.size(), 2u);
  EXPECT_EQ(s.received[1], "AUTH PLAIN AGJvYkBleGFtcGxlLmpwAHNlY3JldA==");
  EXPECT_FALSE(r.kept);
  EXPECT_EQ(s.received.back(), "QUIT");
}

TEST(SmtpSessionTest, AuthLoginSteps) {
  FakeServer s;
  s.script = {"220 mx",
              "250-mx\r\n250 AUTH=LOGIN",
              "334 VXNlcm5hbWU6",
              "334 UGFzc3dvcmQ6",
              "235 2.7.0 ok",
              "250 Ok",
              "250 Ok",
              "250 Ok",
              "354 go",
              "250 Ok",
              ""};
  SaslSession sasl = Credentials();
  SessionResult r = Talk(&s, TwoRecipients(), true, 5, {nullptr, &sasl, ""});
  EXPECT_EQ(r.recipients[1].outcome, Outcome::kSent);
  EXPECT_EQ(std::vector<std::string>(s.received.begin() + 1, s.received.begin() + 4),
            (std::vector<std::string>{"AUTH LOGIN", "Ym9iQGV4YW1wbGUuanA=", "c2VjcmV0"}));
}

TEST(SmtpSessionTest, AuthFailureDefersSoftly) {
  FakeServer s;
  s.script = {"220 mx", "250-mx\r\n250 AUTH PLAIN",
              "535 5.7.8 Error: authentication failed: authentication failure", "221 bye"};
  SaslSession sasl = Credentials();
  SessionResult r = Talk(&s, TwoRecipients(), true, 5, {nullptr, &sasl, ""});
  EXPECT_EQ(r.recipients[0].outcome, Outcome::kSoft);
  EXPECT_EQ(r.recipients[0].dsn, "4.7.8");
  EXPECT_EQ(r.recipients[0].reason,
            "SASL authentication failed; server mx.example[192.0.2.1] said: 535 5.7.8 Error: "
            "authentication failed: authentication failure");
  EXPECT_EQ(s.received.back(), "QUIT");
  // Without soft bounce the 5xx bounces.
  FakeServer s2;
  s2.script = s.script;
  sasl.soft_bounce = false;
  r = Talk(&s2, TwoRecipients(), true, 5, {nullptr, &sasl, ""});
  EXPECT_EQ(r.recipients[0].outcome, Outcome::kBounced);
  EXPECT_EQ(r.recipients[0].dsn, "5.7.8");
}

TEST(SmtpSessionTest, NoCredentialsInPlainTextByDefault) {
  FakeServer s;
  s.script = {"220 mx", "250-mx\r\n250 AUTH PLAIN LOGIN", "221 bye"};
  SaslSession sasl = Credentials();
  sasl.plain = *dovecot_auth::ParseSecurity("noplaintext, noanonymous");  // Postfix's default
  SessionResult r = Talk(&s, TwoRecipients(), true, 5, {nullptr, &sasl, ""});
  EXPECT_EQ(r.recipients[0].outcome, Outcome::kSoft);
  EXPECT_EQ(r.recipients[0].dsn, "4.7.0");
  EXPECT_EQ(r.recipients[0].reason,
            "SASL authentication failed; cannot authenticate to server mx.example[192.0.2.1]: no "
            "mechanism available");
  EXPECT_EQ(s.received, (std::vector<std::string>{"EHLO me.example", "QUIT"}));
}

TEST(SmtpSessionTest, RequiredTlsNotOffered) {
  FakeServer s;
  s.script = {"220 mx", "250-mx\r\n250 PIPELINING", "221 bye"};
  util::tls::ClientSettings cs;
  auto ctx = util::tls::ClientContext::Create(cs);
  ASSERT_TRUE(ctx.ok());
  TlsSession tls;
  tls.level = TlsLevel::kEncrypt;
  tls.ctx = ctx->get();
  SessionResult r = Talk(&s, TwoRecipients(), true, 5, {&tls, nullptr, ""});
  EXPECT_EQ(r.recipients[0].outcome, Outcome::kSoft);
  EXPECT_EQ(r.recipients[0].dsn, "4.7.4");
  EXPECT_EQ(r.recipients[0].reason,
            "TLS is required, but was not offered by host mx.example[192.0.2.1]");
  // Refused STARTTLS: required -> deferred with the reply; may -> plain text.
  FakeServer s2;
  s2.script = {"220 mx", "250-mx\r\n250 STARTTLS", "454 4.7.0 TLS not available", "221 bye"};
  r = Talk(&s2, TwoRecipients(), true, 5, {&tls, nullptr, ""});
  EXPECT_EQ(r.recipients[0].reason,
            "TLS is required, but host mx.example[192.0.2.1] refused to start TLS: 454 4.7.0 TLS "
            "not available");
  FakeServer s3;
  s3.script = {"220 mx",
               "250-mx\r\n250 STARTTLS",
               "454 4.7.0 TLS not available",
               "250 Ok",
               "250 Ok",
               "250 Ok",
               "354 go",
               "250 Ok",
               ""};
  tls.level = TlsLevel::kMay;
  r = Talk(&s3, TwoRecipients(), true, 5, {&tls, nullptr, ""});
  EXPECT_EQ(r.recipients[0].outcome, Outcome::kSent);
}

// LMTP: LHLO, and one reply per accepted recipient after the final ".".
SessionParams Lmtp(int data_done_timeout = 5) {
  SessionParams p;
  p.helo_name = "me.example";
  p.lmtp = true;
  p.timeouts.data_done = data_done_timeout;
  return p;
}

const char kLhlo[] = "250-lmtp.example\r\n250-PIPELINING\r\n250 ENHANCEDSTATUSCODES";
const char kHost[] = "host mx.example[192.0.2.1] said: ";

// The script of a pipelined LMTP session where both recipients are
// accepted, then `after_dot`: the replies to "." (written as one script
// entry) and what follows.
std::vector<std::string> BothAccepted(std::vector<std::string> after_dot) {
  std::vector<std::string> script = {"220 lmtp.example LMTP ready",
                                     kLhlo,
                                     "250 2.1.0 Ok",
                                     "250 2.1.5 Ok",
                                     "250 2.1.5 Ok",
                                     "354 go"};
  script.insert(script.end(), after_dot.begin(), after_dot.end());
  return script;
}

TEST(LmtpSessionTest, OneReplyPerRecipient) {
  FakeServer s;
  s.script = BothAccepted(
      {"250 2.0.0 <a@example.com> Saved\r\n452 4.2.2 <b@example.com> Quota exceeded", ""});
  SessionResult r = Talk(&s, TwoRecipients(), Lmtp());
  EXPECT_EQ(s.received,
            (std::vector<std::string>{"LHLO me.example", "MAIL FROM:<alice@example.org>",
                                      "RCPT TO:<a@example.com>", "RCPT TO:<b@example.com>", "DATA",
                                      ".", "QUIT"}));
  ASSERT_EQ(r.recipients.size(), 2u);
  EXPECT_EQ(r.recipients[0].outcome, Outcome::kSent);
  EXPECT_EQ(r.recipients[0].dsn, "2.0.0");
  EXPECT_EQ(r.recipients[0].reason, "250 2.0.0 <a@example.com> Saved");
  EXPECT_EQ(r.recipients[1].outcome, Outcome::kSoft);
  EXPECT_EQ(r.recipients[1].dsn, "4.2.2");
  EXPECT_EQ(r.recipients[1].reason, std::string(kHost) +
                                        "452 4.2.2 <b@example.com> Quota exceeded (in reply to "
                                        "end of DATA command)");
  EXPECT_EQ(r.recipients[1].remote.reply, "452 4.2.2 <b@example.com> Quota exceeded");
}

TEST(LmtpSessionTest, RepliesOnlyForAcceptedRecipients) {
  // a is refused at RCPT: the one reply after "." is b's, and the client
  // does not wait for a second one.
  FakeServer s;
  s.script = {"220 lmtp",
              kLhlo,
              "250 2.1.0 Ok",
              "550 5.1.1 <a@example.com> User doesn't exist",
              "250 2.1.5 Ok",
              "354 go",
              "550 5.2.0 <b@example.com> Mailbox broken",
              ""};
  SessionResult r = Talk(&s, TwoRecipients(), Lmtp());
  EXPECT_EQ(r.recipients[0].outcome, Outcome::kBounced);
  EXPECT_EQ(r.recipients[0].reason,
            std::string(kHost) +
                "550 5.1.1 <a@example.com> User doesn't exist (in reply to RCPT TO command)");
  EXPECT_EQ(r.recipients[1].outcome, Outcome::kBounced);
  EXPECT_EQ(r.recipients[1].dsn, "5.2.0");
  EXPECT_EQ(r.recipients[1].reason,
            std::string(kHost) +
                "550 5.2.0 <b@example.com> Mailbox broken (in reply to end of DATA command)");
  EXPECT_EQ(s.received.back(), "QUIT");
}

TEST(LmtpSessionTest, HostileReplies) {
  struct Case {
    const char* what;
    std::vector<std::string> after_dot;
    int data_done_timeout;
    Outcome a, b;
    const char* b_reason;  // "" not checked
  } cases[] = {
      {"multi-line replies",
       {"250-2.0.0 <a@example.com> first line\r\n250 2.0.0 <a@example.com> Saved\r\n"
        "550-5.1.1 <b@example.com> no\r\n550 5.1.1 <b@example.com> such user",
        ""},
       5,
       Outcome::kSent,
       Outcome::kBounced,
       "host mx.example[192.0.2.1] said: 550-5.1.1 <b@example.com> no 550 5.1.1 "
       "<b@example.com> such user (in reply to end of DATA command)"},
      // The second reply never comes: b waits soft, a keeps its delivery.
      {"fewer replies than recipients",
       {"250 2.0.0 <a@example.com> Saved"},
       1,
       Outcome::kSent,
       Outcome::kSoft,
       "conversation with mx.example[192.0.2.1] timed out while sending end of data -- message "
       "may be sent more than once"},
      {"garbage instead of a reply",
       {"250 2.0.0 Saved\r\nthis is no reply"},
       5,
       Outcome::kSent,
       Outcome::kSoft,
       "lost connection with mx.example[192.0.2.1] while sending end of data -- message may be "
       "sent more than once"},
      // A third reply is nobody's; the session still ends with QUIT.
      {"more replies than recipients",
       {"250 2.0.0 a Saved\r\n250 2.0.0 b Saved\r\n550 5.0.0 surprise", "221 2.0.0 Bye"},
       5,
       Outcome::kSent,
       Outcome::kSent,
       "250 2.0.0 b Saved"},
  };
  for (const Case& c : cases) {
    FakeServer s;
    s.script = BothAccepted(c.after_dot);
    SessionParams p = Lmtp(c.data_done_timeout);
    p.skip_quit_response = false;
    SessionResult r = Talk(&s, TwoRecipients(), p);
    EXPECT_EQ(r.recipients[0].outcome, c.a) << c.what;
    EXPECT_EQ(r.recipients[1].outcome, c.b) << c.what;
    EXPECT_EQ(r.recipients[1].reason, c.b_reason) << c.what;
    bool broken = r.recipients[1].outcome == Outcome::kSoft;
    EXPECT_EQ(s.received.back(), broken ? "." : "QUIT") << c.what;  // no QUIT when broken
  }
}

TEST(LmtpSessionTest, LhloRefusedNoHeloFallback) {
  FakeServer s;
  s.script = {"220 lmtp", "500 5.5.1 Unknown command", ""};
  SessionResult r = Talk(&s, TwoRecipients(), Lmtp());
  EXPECT_EQ(s.received, (std::vector<std::string>{"LHLO me.example", "QUIT"}));
  EXPECT_EQ(r.recipients[0].outcome, Outcome::kBounced);
  EXPECT_EQ(r.recipients[0].reason,
            "host mx.example[192.0.2.1] refused to talk to me: 500 5.5.1 Unknown command");
  FakeServer s2;
  s2.script = {"220 lmtp", "421 4.3.2 Shutting down", ""};
  r = Talk(&s2, TwoRecipients(), Lmtp());
  EXPECT_EQ(r.recipients[1].outcome, Outcome::kSoft);
  EXPECT_EQ(r.recipients[1].dsn, "4.3.2");
}

TEST(LmtpSessionTest, LockStepWithoutPipelining) {
  FakeServer s;
  s.script = {"220 lmtp",
              "250 lmtp.example",
              "250 Ok",
              "250 Ok",
              "250 Ok",
              "354 go",
              "250 2.0.0 Ok\r\n250 2.0.0 Ok",
              ""};
  SessionResult r = Talk(&s, TwoRecipients(), Lmtp());
  EXPECT_EQ(r.recipients[0].outcome, Outcome::kSent);
  EXPECT_EQ(r.recipients[1].outcome, Outcome::kSent);
}

TEST(SmtpTlsTest, PolicyValues) {
  auto p = ParseTlsPolicy("secure match=nexthop:.example.net protocols=>=TLSv1.2 ciphers=high");
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_EQ(p->level, TlsLevel::kSecure);
  EXPECT_EQ(p->match, (std::vector<std::string>{"nexthop", ".example.net"}));
  EXPECT_EQ(p->protocols, ">=TLSv1.2");
  EXPECT_EQ(p->ciphers, "high");
  p = ParseTlsPolicy("fingerprint match=AB:CD|EF:01");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->match, (std::vector<std::string>{"AB:CD", "EF:01"}));
  EXPECT_EQ(ParseTlsPolicy("dane")->level, TlsLevel::kMay);
  EXPECT_FALSE(ParseTlsPolicy("bogus").ok());
  EXPECT_FALSE(ParseTlsPolicy("encrypt colour=blue").ok());
  EXPECT_FALSE(ParseTlsPolicy("encrypt match").ok());
  EXPECT_FALSE(ParseTlsPolicy("").ok());
  EXPECT_EQ(NexthopDomain("[mail.isp.example]:submission"), "mail.isp.example");
  EXPECT_EQ(NexthopDomain("Example.COM:2525"), "example.com");
  EXPECT_EQ(NexthopDomain("[192.0.2.1]"), "192.0.2.1");
}

TEST(SmtpSaslTest, MechanismChoice) {
  SaslSession s = Credentials();
  EXPECT_EQ(ChooseMechanism({"LOGIN", "PLAIN"}, s, false, false), "PLAIN");
  EXPECT_EQ(ChooseMechanism({"login", "CRAM-MD5"}, s, false, false), "LOGIN");
  EXPECT_EQ(ChooseMechanism({"CRAM-MD5"}, s, false, false), "");
  s.filter = {"LOGIN"};
  EXPECT_EQ(ChooseMechanism({"LOGIN", "PLAIN"}, s, false, false), "LOGIN");
  s.filter.clear();
  s.plain = *dovecot_auth::ParseSecurity("noplaintext");
  s.tls = *dovecot_auth::ParseSecurity("noanonymous");
  s.verified = *dovecot_auth::ParseSecurity("noplaintext");
  EXPECT_EQ(ChooseMechanism({"PLAIN"}, s, false, false), "");
  EXPECT_EQ(ChooseMechanism({"PLAIN"}, s, true, false), "PLAIN");
  EXPECT_EQ(ChooseMechanism({"PLAIN"}, s, true, true), "");
  EXPECT_EQ(PlainResponse({"u", "p"}), "AHUAcA==");
}

// smtp_send_xforward_command: XFORWARD before MAIL when offered; a
// refusal is a refusal of every recipient, as one of MAIL.
TEST(SmtpSessionTest, Xforward) {
  Message m = TwoRecipients();
  m.xforward =
      smtp_xforward::Attrs{"mail.example.org", "198.51.100.7", "", "ESMTP", "", "ID1", "REMOTE"};
  FakeServer s;
  s.script = {"220 mx",
              "250-mx\r\n250 XFORWARD NAME ADDR PROTO IDENT",
              "250 2.0.0 Ok",
              "250 2.0.0 Ok",
              "250 Ok",
              "250 Ok",
              "250 Ok",
              "354 go",
              "250 2.0.0 Ok: queued",
              ""};
  SessionResult r = Talk(&s, m);
  EXPECT_EQ(r.recipients[0].outcome, Outcome::kSent);
  ASSERT_GE(s.received.size(), 4u);
  EXPECT_EQ(s.received[1], "XFORWARD NAME=mail.example.org ADDR=198.51.100.7");
  EXPECT_EQ(s.received[2], "XFORWARD PROTO=ESMTP IDENT=ID1");
  EXPECT_EQ(s.received[3], "MAIL FROM:<alice@example.org>");

  FakeServer refused;
  refused.script = {"220 mx", "250-mx\r\n250 XFORWARD NAME",
                    "550 5.7.0 Error: insufficient authorization", ""};
  r = Talk(&refused, m);
  EXPECT_EQ(r.recipients[1].outcome, Outcome::kBounced);
  EXPECT_EQ(r.recipients[1].reason,
            "host mx.example[192.0.2.1] said: 550 5.7.0 Error: insufficient authorization (in "
            "reply to XFORWARD name/address command)");

  FakeServer plain;  // not offered: nothing sent
  plain.script = {"220 mx", "250 mx", "250 Ok", "250 Ok", "250 Ok", "354 go", "250 Ok", ""};
  r = Talk(&plain, m);
  EXPECT_EQ(r.recipients[0].outcome, Outcome::kSent);
  EXPECT_EQ(plain.received[1], "MAIL FROM:<alice@example.org>");
}

// Connection reuse (smtp_reuse.h): a finished session is kept without
// QUIT; a resumed one starts at MAIL FROM with the features it had.
SessionParams Plain() {
  SessionParams p;
  p.helo_name = "me.example";
  p.timeouts.helo = 5;
  return p;
}

TEST(SmtpSessionTest, KeptInsteadOfQuit) {
  FakeServer s;
  s.script = {"220 mx ESMTP", kEhlo,    "250 2.1.0 Ok", "250 2.1.5 Ok",
              "250 2.1.5 Ok", "354 go", "250 Ok"};
  SessionResult r = Talk(&s, TwoRecipients(), Plain(), true, {}, {nullptr, true});
  EXPECT_TRUE(r.kept);
  EXPECT_TRUE(r.ehlo.pipelining);
  EXPECT_EQ(r.ehlo.size_limit, 1000);
  EXPECT_EQ(r.recipients[0].outcome, Outcome::kSent);
  EXPECT_EQ(s.received.back(), ".");  // no QUIT
}

TEST(SmtpSessionTest, NotKeptAfterAFailedTransaction) {
  FakeServer s;
  s.script = {"220 mx",
              kEhlo,
              "451 4.3.0 later",
              "503 5.5.1 need MAIL",
              "503 5.5.1 need MAIL",
              "554 5.5.1 no valid recipients",
              "221 bye"};
  SessionResult r = Talk(&s, TwoRecipients(), Plain(), true, {}, {nullptr, true});
  EXPECT_FALSE(r.kept);
  EXPECT_EQ(s.received.back(), "QUIT");
}

TEST(SmtpSessionTest, ResumedStartsAtMail) {
  FakeServer s;
  // No greeting: the connection is past it.
  s.script = {"", "250 2.1.0 Ok", "250 2.1.5 Ok", "250 2.1.5 Ok", "354 go", "250 Ok"};
  smtp_reply::Ehlo ehlo;
  ehlo.pipelining = true;
  ehlo.dsn = true;
  SessionResult r = Talk(&s, TwoRecipients(), Plain(), true, {}, {&ehlo, true});
  EXPECT_TRUE(r.greeted);
  EXPECT_TRUE(r.kept);
  EXPECT_FALSE(r.stale);
  EXPECT_EQ(r.recipients[1].outcome, Outcome::kSent);
  ASSERT_FALSE(s.received.empty());
  EXPECT_EQ(s.received.front(), "MAIL FROM:<alice@example.org>");
  EXPECT_EQ(s.received.back(), ".");
}

TEST(SmtpSessionTest, ResumedConnectionThatIsDeadIsStale) {
  FakeServer s;
  s.script = {""};  // hangs up at the first command
  smtp_reply::Ehlo ehlo;
  ehlo.pipelining = true;
  SessionResult r = Talk(&s, TwoRecipients(), Plain(), true, {}, {&ehlo, true});
  EXPECT_TRUE(r.stale);
  EXPECT_FALSE(r.kept);
  EXPECT_EQ(r.recipients[0].outcome, Outcome::kSoft);
  // A server that answered something before it went away is not stale:
  // that failure is the server's.
  FakeServer t;
  t.script = {"", "250 2.1.0 Ok"};
  r = Talk(&t, TwoRecipients(), Plain(), true, {}, {&ehlo, true});
  EXPECT_FALSE(r.stale);
  EXPECT_EQ(r.recipients[0].outcome, Outcome::kSoft);
}

}  // namespace
}  // namespace smtp
