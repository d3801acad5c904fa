// smtp_session: see smtp_session.h.
#include "smtp/smtp_session.h"

#include "global/address.h"
#include "global/deliver_request.h"
#include "global/queue_file.h"
#include "global/smtp_reply.h"
#include "util/msg.h"
#include "util/strings.h"

namespace smtp {
namespace {

std::string Bracket(std::string_view addr) { return "<" + address::Quote(addr) + ">"; }
std::string QuoteAddr(std::string_view addr) { return addr.empty() ? "<>" : Bracket(addr); }

class Session {
 public:
  Session(util::Stream& conn, const std::string& host, bool final_host, const Message& msg,
          const SessionParams& p)
      : conn_(conn), host_(host), final_(final_host), msg_(msg), p_(p) {
    result_.recipients.resize(msg.recipients.size());
  }

  SessionResult Run() {
    if (Greeting() && Hello()) {
      // STARTTLS and AUTH go here: after the EHLO reply (ehlo_), before MAIL.
      Transaction();
    }
    Quit();
    return std::move(result_);
  }

 private:
  // Every recipient without an outcome gets this one.
  void All(Outcome o, const std::string& dsn, const std::string& reason) {
    for (RecipientResult& r : result_.recipients)
      if (r.outcome == Outcome::kNone) r = RecipientResult{o, dsn, reason};
  }
  // A failed exchange: an I/O problem while `what`.
  void IoFailure(const util::Status& st, const std::string& what) {
    std::string reason;
    if (st.code() == util::Code::kDeadlineExceeded)
      reason = "conversation with " + host_ + " timed out while " + what;
    else
      reason = "lost connection with " + host_ + " while " + what;
    All(Outcome::kSoft, "4.4.2", reason);
    broken_ = true;
  }
  std::string Said(const smtp_reply::Reply& r, const std::string& command) {
    return "host " + host_ + " said: " + r.Text() + " (in reply to " + command + " command)";
  }
  // A non-2xx/3xx reply to a command that concerns every recipient.
  void ReplyFailure(const smtp_reply::Reply& r, const std::string& command) {
    bool hard = r.code >= 500;
    All(hard ? Outcome::kBounced : Outcome::kSoft, r.DsnOr(hard ? "5.0.0" : "4.0.0"),
        Said(r, command));
  }

  util::Status Send(const std::string& line, int timeout) {
    conn_.set_timeout(timeout);
    if (msg::Verbose()) msg::Info("> %s: %s", host_.c_str(), line.c_str());
    util::Status st = conn_.Write(line + "\r\n");
    return st;
  }
  util::Status Flush(int timeout) {
    conn_.set_timeout(timeout);
    return conn_.Flush();
  }
  util::Status Receive(smtp_reply::Reply* r, int timeout) {
    conn_.set_timeout(timeout);
    util::Status st = smtp_reply::Read(conn_, r);
    if (st.ok() && msg::Verbose()) msg::Info("< %s: %s", host_.c_str(), r->Text().c_str());
    // A malformed reply counts as a lost connection: nothing sensible follows.
    if (st.code() == util::Code::kInvalidArgument || st.code() == util::Code::kResourceExhausted)
      return util::Unavailable(st.message());
    return st;
  }

  bool Greeting() {
    smtp_reply::Reply r;
    util::Status st = Receive(&r, p_.timeouts.helo);
    if (!st.ok()) {
      IoFailure(st, "receiving the initial server greeting");
      return false;
    }
    if (r.code / 100 == 2) {
      result_.greeted = true;
      return true;
    }
    bool hard = r.code >= 500 && !(p_.skip_5xx_greeting && !final_);
    All(hard ? Outcome::kBounced : Outcome::kSoft, r.DsnOr(hard ? "5.0.0" : "4.0.0"),
        "host " + host_ + " refused to talk to me: " + r.Text());
    return false;
  }

  bool Hello() {
    smtp_reply::Reply r;
    if (!p_.never_send_ehlo) {
      util::Status st = Send("EHLO " + p_.helo_name, p_.timeouts.helo);
      if (st.ok()) st = Flush(p_.timeouts.helo);
      if (st.ok()) st = Receive(&r, p_.timeouts.helo);
      if (!st.ok()) {
        IoFailure(st, "performing the EHLO handshake");
        return false;
      }
      if (r.code / 100 == 2) {
        ehlo_ = smtp_reply::ParseEhlo(r);
        return true;
      }
      if (r.code < 500) {
        ReplyFailure(r, "EHLO");
        return false;
      }
    }
    util::Status st = Send("HELO " + p_.helo_name, p_.timeouts.helo);
    if (st.ok()) st = Flush(p_.timeouts.helo);
    if (st.ok()) st = Receive(&r, p_.timeouts.helo);
    if (!st.ok()) {
      IoFailure(st, "performing the HELO handshake");
      return false;
    }
    if (r.code / 100 != 2) {
      ReplyFailure(r, "HELO");
      return false;
    }
    ehlo_ = smtp_reply::Ehlo();
    return true;
  }

  void Transaction() {
    Offered off{ehlo_.size, ehlo_.eight_bit_mime, ehlo_.smtputf8, ehlo_.dsn};
    if (msg_.smtputf8 && !ehlo_.smtputf8) {
      All(Outcome::kBounced, "5.6.7", "SMTPUTF8 is required, but was not offered by host " + host_);
      return;
    }
    if (ehlo_.size && ehlo_.size_limit > 0 && msg_.size > ehlo_.size_limit) {
      All(Outcome::kBounced, "5.3.4",
          "message size " + std::to_string(msg_.size) + " exceeds size limit " +
              std::to_string(ehlo_.size_limit) + " of server " + host_);
      return;
    }
    bool pipe = ehlo_.pipelining;
    const Timeouts& t = p_.timeouts;

    // MAIL, RCPT..., DATA: in one write when pipelining.
    util::Status st = Send(MailCommand(msg_, off), t.mail);
    if (st.ok() && !pipe) st = Flush(t.mail);
    if (!st.ok()) return IoFailure(st, "sending MAIL FROM");
    smtp_reply::Reply r;
    if (!pipe) {
      if (st = Receive(&r, t.mail); !st.ok()) return IoFailure(st, "sending MAIL FROM");
      if (r.code / 100 != 2) return ReplyFailure(r, "MAIL FROM");
    }
    std::vector<bool> accepted(msg_.recipients.size(), false);
    for (size_t i = 0; i < msg_.recipients.size(); i++) {
      st = Send(RcptCommand(msg_.recipients[i], off), t.rcpt);
      if (st.ok() && !pipe) st = Flush(t.rcpt);
      if (!st.ok()) return IoFailure(st, "sending RCPT TO");
      if (!pipe) {
        if (st = Receive(&r, t.rcpt); !st.ok()) return IoFailure(st, "sending RCPT TO");
        RcptReply(i, r, &accepted);
      }
    }
    size_t naccepted = 0;
    if (pipe) {
      if (st = Send("DATA", t.data_init); st.ok()) st = Flush(t.data_init);
      if (!st.ok()) return IoFailure(st, "sending DATA command");
      if (st = Receive(&r, t.mail); !st.ok()) return IoFailure(st, "sending MAIL FROM");
      bool mail_ok = r.code / 100 == 2;
      if (!mail_ok) ReplyFailure(r, "MAIL FROM");
      for (size_t i = 0; i < msg_.recipients.size(); i++) {
        if (st = Receive(&r, t.rcpt); !st.ok()) return IoFailure(st, "sending RCPT TO");
        if (mail_ok) RcptReply(i, r, &accepted);
      }
      for (bool a : accepted) naccepted += a;
      if (st = Receive(&r, t.data_init); !st.ok()) return IoFailure(st, "sending DATA command");
      if (r.code == 354 && naccepted == 0) {
        // The server wants content nobody will get: end it empty.
        if (st = Send(".", t.data_done); st.ok()) st = Flush(t.data_done);
        if (st.ok()) st = Receive(&r, t.data_done);
        if (!st.ok()) broken_ = true;
        return;
      }
      if (naccepted == 0) return;
    } else {
      for (bool a : accepted) naccepted += a;
      if (naccepted == 0) return;
      if (st = Send("DATA", t.data_init); st.ok()) st = Flush(t.data_init);
      if (st.ok()) st = Receive(&r, t.data_init);
      if (!st.ok()) return IoFailure(st, "sending DATA command");
    }
    if (r.code != 354) return ReplyFailure(r, "DATA");

    conn_.set_timeout(t.data_xfer);
    smtp_data::DataWriter w(conn_, p_.line_length_limit);
    st = msg_.content(w);
    if (st.ok()) st = w.Finish();
    if (st.ok()) st = conn_.Flush();
    if (!st.ok()) {
      if (st.code() == util::Code::kDeadlineExceeded || st.code() == util::Code::kUnavailable ||
          st.code() == util::Code::kNotFound) {
        return IoFailure(st, "sending message body");
      }
      // The queue file could not be read: try again later, not elsewhere.
      All(Outcome::kSoft, "4.3.0", "error reading message content: " + st.message());
      broken_ = true;
      return;
    }
    if (st = Receive(&r, t.data_done); !st.ok())
      return IoFailure(st, "sending end of data -- message may be sent more than once");
    if (r.code / 100 == 2) {
      All(Outcome::kSent, r.DsnOr("2.0.0"), r.Text());
    } else {
      ReplyFailure(r, "end of DATA");
    }
  }

  void RcptReply(size_t i, const smtp_reply::Reply& r, std::vector<bool>* accepted) {
    RecipientResult& res = result_.recipients[i];
    if (r.code / 100 == 2) {
      (*accepted)[i] = true;
    } else if (res.outcome == Outcome::kNone) {
      bool hard = r.code >= 500;
      res = RecipientResult{hard ? Outcome::kBounced : Outcome::kSoft,
                            r.DsnOr(hard ? "5.0.0" : "4.0.0"), Said(r, "RCPT TO")};
    }
  }

  void Quit() {
    if (broken_) return;
    conn_.DiscardOutput();
    util::Status st = Send("QUIT", p_.timeouts.quit);
    if (st.ok()) st = Flush(p_.timeouts.quit);
    if (st.ok() && !p_.skip_quit_response) {
      smtp_reply::Reply r;
      (void)Receive(&r, p_.timeouts.quit);
    }
  }

  util::Stream& conn_;
  const std::string& host_;
  bool final_;
  const Message& msg_;
  const SessionParams& p_;
  smtp_reply::Ehlo ehlo_;
  SessionResult result_;
  bool broken_ = false;
};

}  // namespace

std::string MailCommand(const Message& msg, const Offered& off) {
  std::string cmd = "MAIL FROM:" + QuoteAddr(msg.sender);
  if (off.size && msg.size > 0) cmd += " SIZE=" + std::to_string(msg.size);
  if (off.eight_bit_mime && msg.eight_bit) cmd += " BODY=8BITMIME";
  if (off.smtputf8 && msg.smtputf8) cmd += " SMTPUTF8";
  if (off.dsn) {
    if (msg.dsn_ret == deliver_request::kDsnRetFull) cmd += " RET=FULL";
    if (msg.dsn_ret == deliver_request::kDsnRetHdrs) cmd += " RET=HDRS";
    if (!msg.dsn_envid.empty()) cmd += " ENVID=" + smtp_reply::XText(msg.dsn_envid);
  }
  return cmd;
}

std::string RcptCommand(const MessageRecipient& r, const Offered& off) {
  std::string cmd = "RCPT TO:" + Bracket(r.address);
  if (off.dsn) {
    if (r.dsn_notify & queue_file::kNotifyNever) {
      cmd += " NOTIFY=NEVER";
    } else if (r.dsn_notify) {
      std::vector<std::string> parts;
      if (r.dsn_notify & queue_file::kNotifySuccess) parts.push_back("SUCCESS");
      if (r.dsn_notify & queue_file::kNotifyFailure) parts.push_back("FAILURE");
      if (r.dsn_notify & queue_file::kNotifyDelay) parts.push_back("DELAY");
      std::string joined;
      for (const std::string& p : parts) joined += (joined.empty() ? "" : ",") + p;
      cmd += " NOTIFY=" + joined;
    }
    if (!r.dsn_orcpt.empty()) {
      size_t semi = r.dsn_orcpt.find(';');
      std::string type = semi == std::string::npos ? "rfc822" : r.dsn_orcpt.substr(0, semi);
      std::string addr = semi == std::string::npos ? r.dsn_orcpt : r.dsn_orcpt.substr(semi + 1);
      cmd += " ORCPT=" + type + ";" + smtp_reply::XText(addr);
    }
  }
  return cmd;
}

SessionResult RunSession(util::Stream& conn, const std::string& host, bool final_host,
                         const Message& msg, const SessionParams& params) {
  Session s(conn, host, final_host, msg, params);
  return s.Run();
}

}  // namespace smtp
