// smtp_session: see smtp_session.h.
#include "smtp/smtp_session.h"

#include "global/address.h"
#include "global/deliver_request.h"
#include "global/queue_file.h"
#include "global/smtp_reply.h"
#include "util/base64.h"
#include "util/msg.h"
#include "util/strings.h"

namespace smtp {
namespace {

std::string Bracket(std::string_view addr) { return "<" + address::Quote(addr) + ">"; }
std::string QuoteAddr(std::string_view addr) { return addr.empty() ? "<>" : Bracket(addr); }

class Session {
 public:
  Session(util::Stream& conn, const std::string& host, bool final_host, const Message& msg,
          const SessionParams& p, const SessionSecurity& sec, const SessionReuse& reuse)
      : conn_(conn), host_(host), final_(final_host), msg_(msg), p_(p), sec_(sec), reuse_(reuse) {
    result_.recipients.resize(msg.recipients.size());
  }

  SessionResult Run() {
    if (reuse_.resumed != nullptr) {
      ehlo_ = *reuse_.resumed;
      result_.greeted = true;
      if (Xforward()) Transaction();
      if (broken_ && !replied_) result_.stale = true;
    } else {
      const TlsSession* tls = sec_.tls;
      bool wrapped = tls != nullptr && tls->wrappermode && tls->level != TlsLevel::kNone;
      if ((!wrapped || Handshake()) && Greeting() && Hello() && StartTls() && Authenticate() &&
          Xforward())
        Transaction();
    }
    if (reuse_.keep && finished_ && !broken_ && !tls_active_ && !authenticated_) {
      result_.kept = true;
      result_.ehlo = ehlo_;
      return std::move(result_);
    }
    Quit();
    return std::move(result_);
  }

 private:
  // Every recipient without an outcome gets this one.
  void All(Outcome o, const std::string& dsn, const std::string& reason,
           const deliver_status::Remote& remote = {}) {
    for (RecipientResult& r : result_.recipients)
      if (r.outcome == Outcome::kNone) r = RecipientResult{o, dsn, reason, remote};
  }
  // Remote-MTA (the server's name, as in host_ "NAME[ADDR]") and reply.
  deliver_status::Remote RemoteOf(const smtp_reply::Reply& r) const {
    return {host_.substr(0, host_.find('[')), r.Text()};
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
        Said(r, command), RemoteOf(r));
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
    if (st.ok()) replied_ = true;
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
    if (p_.lmtp) return Lhlo();
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

  // One command and its reply, in lock step.
  util::Status Exchange(const std::string& line, int timeout, smtp_reply::Reply* r) {
    util::Status st = Send(line, timeout);
    if (st.ok()) st = Flush(timeout);
    if (st.ok()) st = Receive(r, timeout);
    return st;
  }

  bool Lhlo() {
    smtp_reply::Reply r;
    if (util::Status st = Exchange("LHLO " + p_.helo_name, p_.timeouts.helo, &r); !st.ok()) {
      IoFailure(st, "performing the LHLO handshake");
      return false;
    }
    if (r.code / 100 != 2) {
      bool hard = r.code >= 500;
      All(hard ? Outcome::kBounced : Outcome::kSoft, r.DsnOr(hard ? "5.0.0" : "4.0.0"),
          "host " + host_ + " refused to talk to me: " + r.Text(), RemoteOf(r));
      return false;
    }
    ehlo_ = smtp_reply::ParseEhlo(r);
    return true;
  }

  // STARTTLS when the level asks for it; false when the session ends here.
  bool StartTls() {
    const TlsSession* tls = sec_.tls;
    if (tls == nullptr || tls_active_) return true;
    if (tls->level == TlsLevel::kNone) {
      if (tls->note_starttls_offer && ehlo_.starttls)
        msg::Info("Host offered STARTTLS: [%s]", host_.substr(0, host_.find('[')).c_str());
      return true;
    }
    const bool mandatory = TlsMandatory(tls->level);
    if (!ehlo_.starttls) {
      if (!mandatory) return true;
      All(Outcome::kSoft, "4.7.4", "TLS is required, but was not offered by host " + host_);
      return false;
    }
    if (tls->ctx == nullptr) {
      if (!mandatory) return true;
      msg::Warn("TLS is not available: %s", tls->ctx_error.c_str());
      All(Outcome::kSoft, "4.7.5", "TLS is required, but our TLS engine is unavailable");
      return false;
    }
    smtp_reply::Reply r;
    util::Status st = Send("STARTTLS", p_.timeouts.helo);
    if (st.ok()) st = Flush(p_.timeouts.helo);
    if (st.ok()) st = Receive(&r, p_.timeouts.helo);
    if (!st.ok()) {
      IoFailure(st, "receiving the STARTTLS response");
      return false;
    }
    if (r.code != 220) {
      if (!mandatory) return true;  // opportunistic: go on in plain text
      All(Outcome::kSoft, r.code / 100 == 4 ? r.DsnOr("4.7.5") : "4.7.5",
          "TLS is required, but host " + host_ + " refused to start TLS: " + r.Text());
      return false;
    }
    return Handshake() && Hello();
  }

  // The TLS handshake on the connection (after 220 to STARTTLS, or first
  // thing in wrappermode) and the judgment of the certificate.
  bool Handshake() {
    const TlsSession& tls = *sec_.tls;
    if (tls.ctx == nullptr) {
      msg::Warn("TLS is not available: %s", tls.ctx_error.c_str());
      All(Outcome::kSoft, "4.7.5", "TLS is required, but our TLS engine is unavailable");
      broken_ = true;
      return false;
    }
    // Nothing the server sent in plain text may pass for protected input.
    conn_.DiscardInput();
    util::tls::Summary sum;
    util::tls::PeerCertificate peer;
    auto t = util::tls::Connect(*tls.ctx, conn_.fd(), std::chrono::seconds(tls.starttls_timeout),
                                tls.options, &sum, &peer);
    util::Status st = t.ok() ? conn_.set_transport(std::move(*t)) : t.status();
    if (!st.ok()) {
      msg::Info("SSL_connect error to %s: %s", sec_.peer.c_str(), st.message().c_str());
      All(Outcome::kSoft, "4.7.5", "Cannot start TLS: handshake failure");
      result_.retry_plaintext = tls.level == TlsLevel::kMay && !tls.wrappermode;
      broken_ = true;
      return false;
    }
    tls_active_ = true;
    const char* refusal = nullptr;
    switch (tls.level) {
      case TlsLevel::kFingerprint:
        for (const std::string& f : tls.fingerprints)
          verified_ |= util::tls::FingerprintMatches(peer, f);
        if (!verified_) refusal = "Server certificate not verified";
        break;
      case TlsLevel::kVerify:
      case TlsLevel::kSecure:
        verified_ = peer.matched;
        if (!peer.trusted)
          refusal = "Server certificate not trusted";
        else if (!verified_)
          refusal = "Server certificate not verified";
        break;
      default:
        break;
    }
    const char* trust = !peer.present  ? "Anonymous"
                        : verified_    ? "Verified"
                        : peer.trusted ? "Trusted"
                                       : "Untrusted";
    if (refusal != nullptr) {
      std::string why = tls.level == TlsLevel::kFingerprint
                            ? "fingerprint " + peer.cert_fingerprint + " not listed"
                        : !peer.trusted ? peer.verify_error
                                        : "subject_CN=" + peer.subject_cn + " does not match";
      msg::Info("server certificate verification failed for %s: %s", sec_.peer.c_str(),
                why.c_str());
    }
    if (tls.loglevel >= 2 && sum.resumed) msg::Info("%s: Reusing old session", sec_.peer.c_str());
    if (tls.loglevel >= 1) msg::Info("%s", util::tls::LogLine(sum, "to", sec_.peer, trust).c_str());
    if (refusal != nullptr) {
      All(Outcome::kSoft, "4.7.5", refusal);
      return false;
    }
    return true;
  }

  // AUTH, when we have credentials and the server offers it.
  bool Authenticate() {
    const SaslSession* sasl = sec_.sasl;
    if (sasl == nullptr || ehlo_.auth_mechanisms.empty()) return true;
    std::string mech = ChooseMechanism(ehlo_.auth_mechanisms, *sasl, tls_active_, verified_);
    if (mech.empty()) {
      All(Outcome::kSoft, "4.7.0",
          "SASL authentication failed; cannot authenticate to server " + host_ +
              ": no mechanism available");
      return false;
    }
    const int timeout = p_.timeouts.helo;
    smtp_reply::Reply r;
    auto step = [&](const std::string& line, bool secret) -> bool {
      // The credentials are not logged, even verbosely.
      util::Status st =
          secret ? (conn_.set_timeout(timeout), conn_.Write(line + "\r\n")) : Send(line, timeout);
      if (st.ok()) st = Flush(timeout);
      if (st.ok()) st = Receive(&r, timeout);
      if (!st.ok()) IoFailure(st, "authenticating");
      return st.ok();
    };
    if (mech == "PLAIN") {
      if (!step("AUTH PLAIN " + PlainResponse(sasl->credentials), true)) return false;
    } else {
      if (!step("AUTH LOGIN", false)) return false;
      if (r.code == 334 && !step(util::base64::Encode(sasl->credentials.user), true)) return false;
      if (r.code == 334 && !step(util::base64::Encode(sasl->credentials.password), true))
        return false;
    }
    if (r.code == 235) return authenticated_ = true;
    if (r.code == 334) {  // more challenges than the mechanism has: give up
      (void)step("*", false);
    }
    bool hard = r.code >= 500 && !sasl->soft_bounce;
    std::string dsn = r.DsnOr(r.code >= 500 ? "5.7.0" : "4.7.0");
    if (!hard && dsn[0] == '5') dsn[0] = '4';
    All(hard ? Outcome::kBounced : Outcome::kSoft, dsn,
        "SASL authentication failed; server " + host_ + " said: " + r.Text());
    return false;
  }

  // XFORWARD before MAIL (smtp_xforward.h), when asked for and offered.
  bool Xforward() {
    if (!msg_.xforward) return true;
    for (const smtp_xforward::Command& c :
         smtp_xforward::Commands(*msg_.xforward, ehlo_.xforward)) {
      smtp_reply::Reply r;
      util::Status st = Send(c.line, p_.timeouts.xforward);
      if (st.ok()) st = Flush(p_.timeouts.xforward);
      if (st.ok()) st = Receive(&r, p_.timeouts.xforward);
      if (!st.ok()) {
        IoFailure(st, "sending " + c.what);
        return false;
      }
      if (r.code / 100 != 2) {
        ReplyFailure(r, c.what);
        return false;
      }
    }
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
    if (p_.lmtp) {
      LmtpReplies(accepted);
      finished_ = !broken_;
      return;
    }
    if (st = Receive(&r, t.data_done); !st.ok())
      return IoFailure(st, "sending end of data -- message may be sent more than once");
    finished_ = true;
    if (r.code / 100 == 2) {
      All(Outcome::kSent, r.DsnOr("2.0.0"), r.Text());
    } else {
      ReplyFailure(r, "end of DATA");
    }
  }

  // LMTP: one reply to the final "." per accepted recipient, in order.
  void LmtpReplies(const std::vector<bool>& accepted) {
    for (size_t i = 0; i < accepted.size(); i++) {
      if (!accepted[i]) continue;
      smtp_reply::Reply r;
      if (util::Status st = Receive(&r, p_.timeouts.data_done); !st.ok())
        return IoFailure(st, "sending end of data -- message may be sent more than once");
      bool hard = r.code >= 500;
      result_.recipients[i] = r.code / 100 == 2
                                  ? RecipientResult{Outcome::kSent, r.DsnOr("2.0.0"), r.Text(), {}}
                                  : RecipientResult{hard ? Outcome::kBounced : Outcome::kSoft,
                                                    r.DsnOr(hard ? "5.0.0" : "4.0.0"),
                                                    Said(r, "end of DATA"), RemoteOf(r)};
    }
  }

  void RcptReply(size_t i, const smtp_reply::Reply& r, std::vector<bool>* accepted) {
    RecipientResult& res = result_.recipients[i];
    if (r.code / 100 == 2) {
      (*accepted)[i] = true;
    } else if (res.outcome == Outcome::kNone) {
      bool hard = r.code >= 500;
      res = RecipientResult{hard ? Outcome::kBounced : Outcome::kSoft,
                            r.DsnOr(hard ? "5.0.0" : "4.0.0"), Said(r, "RCPT TO"), RemoteOf(r)};
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
  const SessionSecurity& sec_;
  bool tls_active_ = false;
  bool verified_ = false;  // the certificate met the verify/secure/fingerprint level
  const SessionReuse& reuse_;
  smtp_reply::Ehlo ehlo_;
  SessionResult result_;
  bool broken_ = false;
  bool replied_ = false;        // the server has answered something in this session
  bool finished_ = false;       // the transaction ran to the reply to the final "."
  bool authenticated_ = false;  // AUTH succeeded
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
                         const Message& msg, const SessionParams& params,
                         const SessionSecurity& security, const SessionReuse& reuse) {
  Session s(conn, host, final_host, msg, params, security, reuse);
  return s.Run();
}

}  // namespace smtp
