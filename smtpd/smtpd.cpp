#include "smtpd/smtpd.h"

#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <optional>
#include <utility>

#include "global/address.h"
#include "global/mail_date.h"
#include "global/queue_file.h"
#include "global/resolve_local.h"
#include "global/smtp_reply.h"
#include "global/tls_ciphers.h"
#include "smtpd/smtpd_proto.h"
#include "smtpd/smtpd_xclient.h"
#include "util/msg.h"
#include "util/strings.h"
#include "util/tls_ccert.h"

namespace smtpd {

namespace {

using smtpd_input::End;
using smtpd_input::Piece;

class CleanupFile : public QueueFile {
 public:
  explicit CleanupFile(std::unique_ptr<cleanup_client::CleanupClient> c) : c_(std::move(c)) {}
  const std::string& queue_id() const override { return c_->queue_id(); }
  void Record(char type, std::string_view data) override { c_->Record(type, data); }
  util::StatusOr<cleanup_client::Result> Finish() override { return c_->Finish(); }

 private:
  std::unique_ptr<cleanup_client::CleanupClient> c_;
};

// How a read ended when no line came.
enum class ReadResult { kOk, kEof, kTimeout, kError };

class Session {
 public:
  Session(const Settings& st, const Deps& deps, util::Stream& io, const Peer& peer)
      : st_(st), deps_(deps), io_(io), peer_(peer) {}
  void Run();

 private:
  // --- I/O ---
  void Reply(const std::string& text);
  ReadResult Fill();
  ReadResult ReadCommand(Piece* line, bool* too_long, size_t limit = 0);
  void LogReadFailure(ReadResult r);
  // True when this noted it (the first time in the session).
  bool NoteImproperPipelining(const std::string& verb);

  // --- commands; each returns true on success (for the counters) ---
  bool Helo(const smtpd_proto::Command& c, bool esmtp);
  bool Mail(const smtpd_proto::Command& c);
  bool QueueHasSpace();
  void LogMailReject(const std::string& reply);
  bool Rcpt(const smtpd_proto::Command& c);
  bool NonAsciiDomain(const std::string& address, const char* command);
  bool Data(const smtpd_proto::Command& c);
  bool Bdat(const smtpd_proto::Command& c);
  bool Rset(const smtpd_proto::Command& c);
  bool Noop(const smtpd_proto::Command& c);
  bool Help(const smtpd_proto::Command& c);
  bool Vrfy(const smtpd_proto::Command& c);
  bool Etrn(const smtpd_proto::Command& c);
  bool Auth(const smtpd_proto::Command& c);
  bool StartTls(const smtpd_proto::Command& c);
  bool Xforward(const smtpd_proto::Command& c);
  bool Xclient(const smtpd_proto::Command& c);
  // The checks and attributes of XFORWARD/XCLIENT: false after the reply.
  bool ClientAttributes(const smtpd_proto::Command& c, bool allowed, smtpd_xclient::Kind kind,
                        std::vector<smtpd_xclient::Attr>* attrs);

  // --- TLS ---
  bool TlsOffered() const { return st_.tls_level != TlsLevel::kNone || st_.tls_wrappermode; }
  // The handshake on the client's connection; false ends the session.
  bool Handshake(const char* after);
  void ClientCertificate();

  // --- helpers ---
  void LookupClientName();
  bool AnvilConnect();
  // The connect-time restrictions and the 220 greeting (again after XCLIENT).
  void Greet();
  // False (and 503) when smtpd_helo_required and no HELO/EHLO came yet.
  bool HeloSeen() {
    if (!st_.helo_required || !sess_.helo_name.empty()) return true;
    Reply("503 5.5.1 Error: send HELO/EHLO first");
    return false;
  }
  bool RateOk(int limit, util::StatusOr<int> (anvil_client::AnvilClient::*count)(std::string_view),
              const char* what, const std::string& reply);
  bool LimitExempt();
  bool OpenQueue();
  void StartContent();
  void PutLine(const std::string& line, bool segment);
  bool EndOfMessage();
  void ResetTransaction();
  bool SkipBytes(size_t n);
  std::string NamAddr() const {
    std::string s = sess_.client_name + "[" + sess_.client_addr + "]";
    if (st_.client_port_logging) s += ":" + sess_.client_port;
    return s;
  }
  long Now() const { return deps_.now ? deps_.now() : static_cast<long>(time(nullptr)); }
  bool LocalRewrite();
  // The mechanisms AUTH offers now (empty: AUTH not offered).
  std::vector<std::string> AuthMechanisms(bool warn);
  bool AuthActive() const {
    return st_.sasl_enable && deps_.sasl != nullptr && (!st_.tls_auth_only || Tls());
  }
  // Whether this session is encrypted (STARTTLS or wrappermode). AUTH
  // uses it for smtpd_tls_auth_only, smtpd_sasl_tls_security_options and
  // Dovecot's "secured".
  bool Tls() const { return tls_active_; }

  const Settings& st_;
  const Deps& deps_;
  util::Stream& io_;
  Peer peer_;
  smtpd_input::LineSplitter in_;
  smtpd_check::Session sess_;
  smtpd_proto::CommandCounts counts_;
  std::string last_cmd_ = "CONNECT";
  End last_end_ = End::kCrLf;  // how the last command line ended
  std::string access_denied_;
  int error_count_ = 0;
  int junk_count_ = 0;
  bool quit_ = false;  // end the session after this command
  bool esmtp_ = false;
  bool bare_lf_exempt_ = false;
  std::string anvil_ident_;
  bool anvil_connected_ = false;
  std::optional<bool> limit_exempt_;  // smtpd_client_event_limit_exceptions, once
  bool tls_active_ = false;
  util::tls::Summary tls_;
  bool xforward_allowed_ = false;  // smtpd_authorized_xforward_hosts, at connect
  bool xclient_allowed_ = false;   // smtpd_authorized_xclient_hosts, the client in effect
  bool restarted_ = false;         // an XCLIENT started the session over
  smtpd_xclient::Forward fwd_;     // XFORWARD, until the end of the transaction

  // The transaction.
  struct Txn {
    bool mail = false;
    std::string sender;
    long long size = 0;
    std::string encoding;
    bool smtputf8 = false;
    std::string envid;
    std::string sasl_sender;  // MAIL FROM ... AUTH=
    int ret = 0;
    long arrival = 0;       // MAIL FROM time: seconds,
    long arrival_usec = 0;  // and microseconds (the queue file's T record)
    std::vector<queue_file::Recipient> rcpts;
    std::unique_ptr<QueueFile> queue;
    bool content_started = false;
    long long content_size = 0;
    bool too_big = false;
    bool bdat = false;
    bool bdat_failed = false;
    std::string bdat_error;
    smtpd_input::LineSplitter bdat_lines;
  };
  Txn txn_;
};

void Session::Reply(const std::string& text) {
  if (error_count_ >= st_.soft_error_limit && st_.error_sleep_time > 0 &&
      (text[0] == '4' || text[0] == '5')) {
    io_.Flush();
    sleep(st_.error_sleep_time);
  }
  if (msg::Verbose()) msg::Info("> %s: %s", NamAddr().c_str(), text.c_str());
  io_.Write(text);
  io_.Write("\r\n");
}

ReadResult Session::Fill() {
  // Replies go out only when the client has nothing more waiting.
  if (io_.buffered_output() > 0) {
    util::Status fs = io_.Flush();
    if (!fs.ok()) {
      return fs.code() == util::Code::kDeadlineExceeded ? ReadResult::kTimeout : ReadResult::kError;
    }
  }
  std::string data;
  util::Status s = io_.ReadSome(&data);
  if (s.ok()) {
    in_.Append(data);
    return ReadResult::kOk;
  }
  if (io_.eof() || s.code() == util::Code::kNotFound) return ReadResult::kEof;
  if (s.code() == util::Code::kDeadlineExceeded) return ReadResult::kTimeout;
  return ReadResult::kError;
}

ReadResult Session::ReadCommand(Piece* line, bool* too_long, size_t limit) {
  *too_long = false;
  for (;;) {
    while (in_.Next(limit ? limit : st_.line_length_limit, line)) {
      if (line->end != End::kSegment) return ReadResult::kOk;
      *too_long = true;  // swallow the rest of this line
    }
    ReadResult r = Fill();
    if (r != ReadResult::kOk) return r;
  }
}

void Session::LogReadFailure(ReadResult r) {
  if (r == ReadResult::kTimeout) {
    Reply("421 4.4.2 " + st_.myhostname + " Error: timeout exceeded");
    io_.Flush();
    msg::Info("timeout after %s from %s", last_cmd_.c_str(), NamAddr().c_str());
  } else {
    msg::Info("lost connection after %s from %s", last_cmd_.c_str(), NamAddr().c_str());
  }
}

void Session::LookupClientName() {
  sess_.client_addr = peer_.client_addr;
  sess_.client_port = peer_.client_port;
  sess_.server_addr = peer_.server_addr;
  sess_.server_port = peer_.server_port;
  sess_.service_name = st_.service_name;
  if (!peer_.client_name.empty()) {
    sess_.client_name = sess_.client_reverse_name = peer_.client_name;
    sess_.client_name_status = sess_.client_reverse_name_status = 0;
    return;
  }
  if (!st_.peername_lookup || deps_.resolver == nullptr) return;
  util::dns::Answer ptr = deps_.resolver->Lookup(peer_.client_addr, util::dns::Type::kPtr);
  if (ptr.status == util::dns::Result::kTempFail) {
    sess_.client_reverse_name_status = 4;
    sess_.client_name_status = 4;
    return;
  }
  if (ptr.status != util::dns::Result::kFound || ptr.records.empty()) return;
  std::string name = util::Lowercase(ptr.records[0].value);
  sess_.client_reverse_name = name;
  sess_.client_reverse_name_status = 0;
  bool v6 = peer_.client_addr.find(':') != std::string::npos;
  util::dns::Answer fwd =
      deps_.resolver->Lookup(name, v6 ? util::dns::Type::kAaaa : util::dns::Type::kA);
  if (fwd.status == util::dns::Result::kTempFail) {
    sess_.client_name_status = 4;
    return;
  }
  for (const auto& rec : fwd.records) {
    if (rec.value == peer_.client_addr) {
      sess_.client_name = name;
      sess_.client_name_status = 0;
      return;
    }
  }
  msg::Warn("hostname %s does not resolve to address %s", name.c_str(), peer_.client_addr.c_str());
}

bool Session::LimitExempt() {
  if (!limit_exempt_) {
    auto m = deps_.checker->ClientMatches("smtpd_client_event_limit_exceptions", sess_);
    limit_exempt_ = m.ok() && *m;
  }
  return *limit_exempt_;
}

// False when the client must be turned away. As Postfix's smtpd, a client
// in smtpd_client_event_limit_exceptions is not counted at all: anvil never
// hears of it.
bool Session::AnvilConnect() {
  if (deps_.anvil == nullptr || LimitExempt()) return true;
  anvil_ident_ = anvil_client::Ident(st_.service_name, sess_.client_addr);
  auto c = deps_.anvil->Connect(anvil_ident_);
  if (!c.ok()) {
    msg::Warn("problem talking to server private/anvil: %s", c.status().message().c_str());
    return true;
  }
  anvil_connected_ = true;
  if ((st_.connection_count_limit > 0 && c->count > st_.connection_count_limit) ||
      (st_.connection_rate_limit > 0 && c->rate > st_.connection_rate_limit)) {
    bool count = st_.connection_count_limit > 0 && c->count > st_.connection_count_limit;
    msg::Warn("Connection %s limit exceeded: %d from %s for service %s",
              count ? "concurrency" : "rate", count ? c->count : c->rate, NamAddr().c_str(),
              st_.service_name.c_str());
    Reply("421 4.7.0 " + st_.myhostname + " Error: too many connections from " + sess_.client_addr);
    return false;
  }
  return true;
}

// Asks anvil for one of the client's rates (unless the limit is off or the
// client exempt); past `limit`: "WHAT rate limit exceeded" and `reply`.
bool Session::RateOk(int limit,
                     util::StatusOr<int> (anvil_client::AnvilClient::*count)(std::string_view),
                     const char* what, const std::string& reply) {
  if (deps_.anvil == nullptr || limit <= 0 || LimitExempt()) return true;
  auto rate = (deps_.anvil->*count)(anvil_ident_);
  if (!rate.ok()) {
    msg::Warn("problem talking to server private/anvil: %s", rate.status().message().c_str());
    return true;
  }
  if (*rate <= limit) return true;
  msg::Warn("%s rate limit exceeded: %d from %s for service %s", what, *rate, NamAddr().c_str(),
            st_.service_name.c_str());
  Reply(reply);
  return false;
}

bool Session::LocalRewrite() {
  for (const std::string& item : st_.local_header_rewrite_clients) {
    if (item == "permit_inet_interfaces") {
      const auto& own = st_.interface_addresses;
      if (std::find(own.begin(), own.end(), sess_.client_addr) != own.end()) return true;
    } else if (item == "permit_mynetworks") {
      auto m = deps_.checker->InMynetworks(sess_);
      if (m.ok() && *m) return true;
    } else if (item == "static:all") {
      return true;
    }
  }
  return false;
}

bool Session::OpenQueue() {
  if (txn_.queue) return true;
  auto q = deps_.open_queue();
  if (!q.ok()) {
    msg::Warn("connect to cleanup service: %s", q.status().message().c_str());
    return false;
  }
  txn_.queue = std::move(*q);
  QueueFile& f = *txn_.queue;
  sess_.queue_id = f.queue_id();
  std::string sasl;
  if (!sess_.sasl_username.empty())
    sasl = ", sasl_method=" + sess_.sasl_method + ", sasl_username=" + sess_.sasl_username;
  if (!txn_.sasl_sender.empty()) sasl += ", sasl_sender=" + txn_.sasl_sender;
  if (!fwd_.ident.empty()) sasl += ", orig_queue_id=" + fwd_.ident;
  if (fwd_.client_attr) sasl += ", orig_client=" + fwd_.NamAddr(st_.client_port_logging);
  msg::Info("%s: client=%s%s", f.queue_id().c_str(), NamAddr().c_str(), sasl.c_str());
  f.Record(queue_file::kTime, util::StrFormat("%ld %ld", txn_.arrival, txn_.arrival_usec));
  auto attr = [&f](std::string_view n, std::string_view v) {
    std::string d(n);
    d += '=';
    d += v;
    f.Record(queue_file::kAttr, d);
  };
  // content_filter first: a FILTER action later in the stream overrides it.
  if (!st_.content_filter.empty()) attr(cleanup_client::kAttrFilter, st_.content_filter);
  attr(cleanup_client::kAttrRewriteContext, !fwd_.context.empty() ? fwd_.context
                                            : LocalRewrite()      ? "local"
                                                                  : "remote");
  if (fwd_.active) {  // what is logged from here on, and forwarded again
    attr(cleanup_client::kAttrLogClientName, fwd_.name);
    attr(cleanup_client::kAttrLogClientAddress, fwd_.addr);
    attr(cleanup_client::kAttrLogClientPort, fwd_.port);
    attr(cleanup_client::kAttrLogMessageOrigin, fwd_.NamAddr(false));
    if (!fwd_.helo.empty()) attr(cleanup_client::kAttrLogHeloName, fwd_.helo);
    attr(cleanup_client::kAttrLogProtocolName, fwd_.proto);
  }
  attr("client_name", sess_.client_name);
  attr("reverse_client_name", sess_.client_reverse_name);
  attr("client_address", sess_.client_addr);
  attr("client_port", sess_.client_port);
  if (!sess_.helo_name.empty()) attr("helo_name", sess_.helo_name);
  attr("protocol", sess_.protocol);
  attr("log_ident", fwd_.ident.empty() ? f.queue_id() : fwd_.ident);
  if (!txn_.encoding.empty()) attr("encoding", txn_.encoding);
  if (txn_.smtputf8) attr("smtputf8", "1");
  if (!txn_.envid.empty()) attr("dsn_envid", txn_.envid);
  if (txn_.ret) attr("dsn_ret", std::to_string(txn_.ret));
  if (!sess_.sasl_username.empty()) {
    attr("sasl_method", sess_.sasl_method);
    attr("sasl_username", sess_.sasl_username);
  }
  if (!txn_.sasl_sender.empty()) attr("sasl_sender", txn_.sasl_sender);
  f.Record(queue_file::kSender, txn_.sender);
  for (const auto& r : txn_.rcpts) {
    if (!r.dsn_orcpt.empty()) f.Record(queue_file::kDsnOrcpt, r.dsn_orcpt);
    if (r.dsn_notify) f.Record(queue_file::kDsnNotify, std::to_string(r.dsn_notify));
    f.Record(queue_file::kRecipient, r.address);
  }
  return true;
}

void Session::ResetTransaction() {
  txn_.queue.reset();  // an unfinished file is dropped by cleanup
  txn_.mail = false;
  txn_.sender.clear();
  txn_.size = 0;
  txn_.encoding.clear();
  txn_.smtputf8 = false;
  txn_.envid.clear();
  txn_.sasl_sender.clear();
  txn_.ret = 0;
  txn_.rcpts.clear();
  txn_.content_started = false;
  txn_.content_size = 0;
  txn_.too_big = false;
  txn_.bdat = false;
  txn_.bdat_failed = false;
  txn_.bdat_error.clear();
  txn_.bdat_lines = smtpd_input::LineSplitter();
  sess_.has_sender = false;
  sess_.sender.clear();
  sess_.recipient.clear();
  sess_.rcpt_count = 0;
  sess_.message_size = 0;
  sess_.queue_id.clear();
  sess_.prepend_headers.clear();
  sess_.discard = false;
  sess_.hold_reason.clear();
  sess_.redirect.clear();
  sess_.filter.clear();
  sess_.bcc.clear();
  deps_.checker->ResetTransaction(sess_);
}

void Session::Greet() {
  auto ex = deps_.checker->ClientMatches("smtpd_forbid_bare_newline_exclusions", sess_);
  bare_lf_exempt_ = ex.ok() && *ex;
  auto xc = deps_.checker->ClientMatches("smtpd_authorized_xclient_hosts", sess_);
  xclient_allowed_ = xc.ok() && *xc;
  access_denied_.clear();
  smtpd_check::Verdict v = deps_.checker->CheckConnect(sess_);
  if (v.rejected()) {
    access_denied_ = v.reply;
    Reply(v.reply);
    ++error_count_;
  } else {
    Reply("220 " + st_.banner);
  }
}

void Session::Run() {
  io_.set_timeout(st_.timeout);
  LookupClientName();
  msg::Info("connect from %s", NamAddr().c_str());
  bool go_on = AnvilConnect();
  if (go_on && st_.tls_wrappermode) {
    if (deps_.tls == nullptr || io_.fd() != io_.write_fd()) {
      msg::Warn("TLS wrappermode: TLS not available due to local problem; dropping %s",
                NamAddr().c_str());
      go_on = false;
    } else {
      go_on = Handshake("CONNECT") && !quit_;
    }
  }
  // A client that talks before the greeting (not after a wrappermode
  // handshake, where it may well have sent its first command).
  if (go_on && !st_.tls_wrappermode && NoteImproperPipelining("CONNECT") &&
      st_.forbid_unauth_pipelining) {
    Reply("554 5.5.0 Error: SMTP protocol synchronization");
    go_on = false;
  }
  if (go_on) {
    auto xf = deps_.checker->ClientMatches("smtpd_authorized_xforward_hosts", sess_);
    xforward_allowed_ = xf.ok() && *xf;
    Greet();
  }
  while (go_on && !quit_) {
    if (error_count_ >= st_.hard_error_limit) {
      Reply("421 4.7.0 " + st_.myhostname + " Error: too many errors");
      msg::Info("too many errors after %s from %s", last_cmd_.c_str(), NamAddr().c_str());
      break;
    }
    Piece line;
    bool too_long = false;
    ReadResult r = ReadCommand(&line, &too_long);
    if (r != ReadResult::kOk) {
      LogReadFailure(r);
      break;
    }
    last_end_ = line.end;
    if (msg::Verbose())
      msg::Info("< %s: %s", NamAddr().c_str(), util::Printable(line.text).c_str());
    if (line.end == End::kLf && st_.bare_lf == smtpd_input::BareLf::kReject && !bare_lf_exempt_) {
      Reply(util::StrFormat("%d 5.5.2 %s Error: bare <LF> received", st_.bare_lf_reject_code,
                            st_.myhostname.c_str()));
      msg::Info("disconnect: bare <LF> received from %s", NamAddr().c_str());
      break;
    }
    if (too_long) {
      Reply("500 5.5.2 Error: line too long");
      ++error_count_;
      counts_.Count("unknown", false);
      continue;
    }
    if (st_.smtputf8_enable && !util::ValidUtf8(line.text)) {
      Reply("500 5.5.2 Error: bad UTF-8 syntax");
      ++error_count_;
      counts_.Count("unknown", false);
      continue;
    }
    smtpd_proto::Command c = smtpd_proto::SplitCommand(line.text);
    if (c.verb.empty()) {
      Reply("500 5.5.2 Error: bad syntax");
      ++error_count_;
      counts_.Count("unknown", false);
      continue;
    }
    if (std::find(st_.forbidden_commands.begin(), st_.forbidden_commands.end(), c.verb) !=
        st_.forbidden_commands.end()) {
      msg::Warn("non-SMTP command from %s: %s", NamAddr().c_str(),
                util::Printable(line.text.substr(0, 100)).c_str());
      Reply("221 2.7.0 Error: I can break rules, too. Goodbye.");
      break;
    }
    struct Handler {
      const char* verb;
      bool (Session::*fn)(const smtpd_proto::Command&);
      bool junk;
    };
    static const Handler kHandlers[] = {
        {"MAIL", &Session::Mail, false},         {"RCPT", &Session::Rcpt, false},
        {"DATA", &Session::Data, false},         {"BDAT", &Session::Bdat, false},
        {"RSET", &Session::Rset, true},          {"NOOP", &Session::Noop, true},
        {"VRFY", &Session::Vrfy, true},          {"ETRN", &Session::Etrn, true},
        {"HELP", &Session::Help, true},          {"AUTH", &Session::Auth, false},
        {"STARTTLS", &Session::StartTls, false}, {"XFORWARD", &Session::Xforward, false},
        {"XCLIENT", &Session::Xclient, false},
    };
    std::string name = util::Lowercase(c.verb);
    bool known = c.verb == "HELO" || c.verb == "EHLO" || c.verb == "QUIT";
    const Handler* h = nullptr;
    for (const Handler& cand : kHandlers) {
      if (c.verb == cand.verb) h = &cand;
    }
    if (!known && h == nullptr) {
      last_cmd_ = "UNKNOWN";
      Reply("502 5.5.2 Error: command not recognized");
      ++error_count_;
      counts_.Count("unknown", false);
      continue;
    }
    last_cmd_ = c.verb;
    if (st_.tls_level == TlsLevel::kEncrypt && !tls_active_ && c.verb != "HELO" &&
        c.verb != "EHLO" && c.verb != "STARTTLS" && c.verb != "NOOP" && c.verb != "QUIT") {
      Reply("530 5.7.0 Must issue a STARTTLS command first");
      ++error_count_;
      counts_.Count(name, false);
      continue;
    }
    if (NoteImproperPipelining(c.verb) && st_.forbid_unauth_pipelining) {
      Reply("554 5.5.0 Error: SMTP protocol synchronization");
      break;
    }
    if (!access_denied_.empty() && c.verb != "QUIT") {
      Reply("503 5.7.0 Error: access denied for " + NamAddr());
      ++error_count_;
      counts_.Count(name, false);
      continue;
    }
    bool ok;
    if (c.verb == "QUIT") {
      Reply("221 2.0.0 Bye");
      quit_ = true;
      ok = true;
    } else if (c.verb == "HELO" || c.verb == "EHLO") {
      ok = Helo(c, c.verb == "EHLO");
    } else {
      ok = (this->*(h->fn))(c);
    }
    counts_.Count(name, ok);
    if (!ok && !std::exchange(restarted_, false)) ++error_count_;
    // Junk commands (HELO EHLO RSET NOOP VRFY ETRN HELP) count once their
    // reply is out; past smtpd_junk_command_limit each is also an error,
    // so a client looping on EHLO or NOOP reaches the hard error limit.
    bool junk = c.verb == "HELO" || c.verb == "EHLO" || (h != nullptr && h->junk);
    if (junk && junk_count_++ > st_.junk_command_limit) ++error_count_;
  }
  io_.Flush();
  ResetTransaction();
  if (anvil_connected_) deps_.anvil->Disconnect(anvil_ident_);
  msg::Info("disconnect from %s%s", NamAddr().c_str(), counts_.Format().c_str());
}

// Postfix's check (RFC 2920): input waiting behind a command is improper
// when the client has not said EHLO, or when the command must be the last
// of a pipelined group (it waits for its reply). Noted once per session,
// with what was waiting, for reject_unauth_pipelining.
bool Session::NoteImproperPipelining(const std::string& verb) {
  if (sess_.improper_pipelining || st_.stand_alone) return false;
  static const char* const kLast[] = {"HELO", "EHLO", "STARTTLS", "AUTH", "DATA",
                                      "QUIT", "VRFY", "ETRN",     "NOOP"};
  bool last = std::find(std::begin(kLast), std::end(kLast), verb) != std::end(kLast);
  if (esmtp_ && !last) return false;
  std::string waiting = in_.Peek(100);
  if (waiting.empty()) {
    // Bytes not read yet (an end of file is not input).
    int unread = 0;
    if (io_.buffered_input() == 0 && (ioctl(io_.fd(), FIONREAD, &unread) < 0 || unread <= 0))
      return false;
    // As Postfix, read them (they stay buffered for the next command) to
    // log what they are; not under TLS, where they may be half a record.
    std::string data;
    if (!tls_active_ && io_.ReadSome(&data).ok() && !data.empty()) in_.Append(data);
    waiting = in_.Peek(100);
    if (waiting.empty()) waiting = "(more input)";
  }
  sess_.improper_pipelining = true;
  msg::Info("improper command pipelining after %s from %s: %s", verb.c_str(), NamAddr().c_str(),
            util::CEscape(waiting).c_str());
  return true;
}

bool Session::Helo(const smtpd_proto::Command& c, bool esmtp) {
  if (c.args.empty()) {
    Reply(esmtp ? "501 Syntax: EHLO hostname" : "501 Syntax: HELO hostname");
    return false;
  }
  if (txn_.mail) ResetTransaction();
  // Multiple words are kept, as Postfix collapses them; control characters
  // become '?' (Postfix's printable()) before the name reaches a check, a
  // log line, the Received: header or the queue.
  std::string helo = util::ReplaceControls(c.args);
  sess_.helo_name = helo;
  // As Postfix: ESMTP or SMTP in the logs and the queue file; the
  // Received: header adds "S" for TLS.
  sess_.protocol = esmtp ? "ESMTP" : "SMTP";
  deps_.checker->ResetTransaction(sess_);
  smtpd_check::Verdict v = deps_.checker->CheckHelo(sess_);
  if (v.rejected()) {
    sess_.helo_name.clear();
    Reply(v.reply);
    return false;
  }
  esmtp_ = esmtp;
  if (!esmtp) {
    Reply("250 " + st_.myhostname);
    return true;
  }
  smtpd_proto::EhloOptions opt;
  opt.message_size_limit = st_.message_size_limit;
  opt.vrfy = !st_.disable_vrfy;
  opt.starttls = TlsOffered() && !tls_active_;
  opt.discard = st_.discard_ehlo_keywords;
  opt.auth = AuthMechanisms(true);
  opt.auth_broken = st_.broken_sasl_auth_clients;
  opt.xclient = xclient_allowed_;
  opt.xforward = xforward_allowed_;
  if (!st_.smtputf8_enable) opt.discard.push_back("SMTPUTF8");
  std::vector<std::string> kw = smtpd_proto::EhloKeywords(opt);
  bool silent = false;
  std::vector<std::string> dropped;
  for (const std::string& d : st_.discard_ehlo_keywords) {
    if (util::EqualsIgnoreCase(d, "silent-discard"))
      silent = true;
    else
      dropped.push_back(d);
  }
  if (!silent && !dropped.empty())
    msg::Info("discarding EHLO keywords: %s", util::Join(dropped, " ").c_str());
  if (kw.empty()) {
    Reply("250 " + st_.myhostname);
    return true;
  }
  Reply("250-" + st_.myhostname);
  for (size_t i = 0; i < kw.size(); ++i) Reply((i + 1 < kw.size() ? "250-" : "250 ") + kw[i]);
  return true;
}

// Postfix's smtpd_check_queue(): room for queue_minfree and for one and a
// half messages of the largest size accepted, counted in file system blocks.
bool Session::QueueHasSpace() {
  if (!deps_.queue_space) return true;
  util::StatusOr<util::FileSystemSpace> space = deps_.queue_space();
  if (!space.ok()) {
    msg::Warn("%s", space.status().message().c_str());
    return true;
  }
  if (space->block_size == 0) return true;
  auto blocks = [&](long long bytes) {
    return static_cast<unsigned long long>(std::max(0LL, bytes)) / space->block_size;
  };
  constexpr double kSpaceMultiplier = 1.5;
  if (blocks(st_.queue_minfree) >= space->blocks_free ||
      static_cast<double>(blocks(st_.message_size_limit)) >=
          static_cast<double>(space->blocks_free) / kSpaceMultiplier) {
    msg::Warn("not enough free space in mail queue: %llu bytes < %g*message size limit",
              space->blocks_free * space->block_size, kSpaceMultiplier);
    return false;
  }
  return true;
}

// The log line of a MAIL command refused before the sender is known.
void Session::LogMailReject(const std::string& reply) {
  msg::Info("NOQUEUE: reject: MAIL from %s: %s; proto=%s helo=<%s>", NamAddr().c_str(),
            reply.c_str(), sess_.protocol.c_str(), sess_.helo_name.c_str());
}

// smtputf8_enable = no: an address whose domain is not ASCII is bad
// syntax, as Postfix's smtpd says (501 and a warning, every non-ASCII or
// non-printable byte shown as "?"); the local part is not looked at.
bool Session::NonAsciiDomain(const std::string& address, const char* command) {
  if (st_.smtputf8_enable) return false;
  size_t at = address.rfind('@');
  if (at == std::string::npos) return false;
  std::string_view domain = std::string_view(address).substr(at + 1);
  if (std::all_of(domain.begin(), domain.end(),
                  [](char ch) { return static_cast<unsigned char>(ch) < 0x80; }))
    return false;
  std::string shown = "<" + address + ">";
  for (char& ch : shown) {
    auto u = static_cast<unsigned char>(ch);
    if (u < 0x20 || u >= 0x7f) ch = '?';
  }
  msg::Warn("Illegal address syntax from %s in %s command: %s", NamAddr().c_str(), command,
            shown.c_str());
  return true;
}

bool Session::Mail(const smtpd_proto::Command& c) {
  if (!HeloSeen()) return false;
  if (txn_.mail) {
    Reply("503 5.5.1 Error: nested MAIL command");
    return false;
  }
  smtpd_proto::PathArg p;
  switch (smtpd_proto::ParsePath(c.args, "FROM:", &p)) {
    case smtpd_proto::PathStatus::kSyntax:
      Reply("501 5.5.4 Syntax: MAIL FROM:<address>");
      return false;
    case smtpd_proto::PathStatus::kBadAddress:
      Reply("501 5.1.7 Bad sender address syntax");
      return false;
    case smtpd_proto::PathStatus::kOk:
      break;
  }
  if (NonAsciiDomain(p.address, "MAIL")) {
    Reply("501 5.1.7 Bad sender address syntax");
    return false;
  }
  ResetTransaction();
  for (const std::string& param : p.params) {
    std::string u = util::Uppercase(param);
    if (u == "BODY=8BITMIME") {
      txn_.encoding = "8bit";
    } else if (u == "BODY=7BIT") {
      txn_.encoding = "7bit";
    } else if (u.rfind("SIZE=", 0) == 0) {
      auto n = util::ParseInt(param.substr(5));
      if (!util::AllDigits(param.substr(5)) || !n || *n < 0) {
        Reply("501 5.5.4 Bad message size syntax");
        return false;
      }
      txn_.size = *n;
    } else if (u == "SMTPUTF8" && st_.smtputf8_enable) {
      txn_.smtputf8 = true;
    } else if (u.rfind("RET=", 0) == 0) {
      if (txn_.ret) {
        Reply("501 5.5.4 Duplicate RET parameter");
        return false;
      }
      if (u == "RET=FULL")
        txn_.ret = 1;
      else if (u == "RET=HDRS")
        txn_.ret = 2;
      else {
        Reply("501 5.5.4 Bad RET parameter syntax");
        return false;
      }
    } else if (u.rfind("ENVID=", 0) == 0) {
      if (!txn_.envid.empty()) {
        Reply("501 5.5.4 Duplicate ENVID parameter");
        return false;
      }
      auto e = smtp_reply::XTextDecode(param.substr(6));
      // Decoded, it must be printable ASCII (Postfix's allprint()): it is
      // copied into the queue and into notices sent to other servers.
      if (!e || e->empty() || e->size() > 100 || !util::AllPrintableAscii(*e)) {
        Reply("501 5.5.4 Bad ENVID parameter syntax");
        return false;
      }
      txn_.envid = *e;
    } else if (u.rfind("AUTH=", 0) == 0) {
      // RFC 4954 5: honoured only from an authenticated client, and "<>"
      // says no one; otherwise ignored.
      if (!sess_.sasl_username.empty()) {
        auto a = smtp_reply::XTextDecode(param.substr(5));
        if (!a || a->empty() || a->size() > 1000 || !util::AllPrintableAscii(*a)) {
          Reply("501 5.5.4 Bad AUTH parameter syntax");
          return false;
        }
        if (*a != "<>") txn_.sasl_sender = *a;
      }
    } else {
      Reply("555 5.5.4 Unsupported option: " + param);
      return false;
    }
  }
  if (st_.message_size_limit > 0 && txn_.size > st_.message_size_limit) {
    LogMailReject("552 5.3.4 Message size exceeds fixed limit");
    Reply("552 5.3.4 Message size exceeds fixed limit");
    return false;
  }
  if (!QueueHasSpace()) {
    LogMailReject("452 4.3.1 Insufficient system storage");
    Reply("452 4.3.1 Insufficient system storage");
    return false;
  }
  if (!RateOk(st_.message_rate_limit, &anvil_client::AnvilClient::Message,
              "Message delivery request",
              "450 4.7.1 Error: too much mail from " + sess_.client_addr))
    return false;
  sess_.has_sender = true;
  sess_.sender = p.address;
  sess_.message_size = txn_.size;
  smtpd_check::Verdict v = deps_.checker->CheckSender(sess_);
  if (v.rejected()) {
    Reply(v.reply);
    ResetTransaction();
    return false;
  }
  txn_.mail = true;
  txn_.sender = p.address;
  // With microseconds, as Postfix: the delays= figures start here (a
  // test clock gives whole seconds).
  if (deps_.now) {
    txn_.arrival = deps_.now();
  } else {
    struct timeval tv;
    gettimeofday(&tv, nullptr);
    txn_.arrival = tv.tv_sec;
    txn_.arrival_usec = tv.tv_usec;
  }
  if (!st_.delay_open_until_valid_rcpt && !OpenQueue()) {
    Reply("451 4.3.0 Error: queue file write error");
    ResetTransaction();
    return false;
  }
  Reply("250 2.1.0 Ok");
  return true;
}

bool Session::Rcpt(const smtpd_proto::Command& c) {
  if (!txn_.mail) {
    Reply("503 5.5.1 Error: need MAIL command");
    return false;
  }
  smtpd_proto::PathArg p;
  switch (smtpd_proto::ParsePath(c.args, "TO:", &p)) {
    case smtpd_proto::PathStatus::kSyntax:
      Reply("501 5.5.4 Syntax: RCPT TO:<address>");
      return false;
    case smtpd_proto::PathStatus::kBadAddress:
      Reply("501 5.1.3 Bad recipient address syntax");
      return false;
    case smtpd_proto::PathStatus::kOk:
      break;
  }
  if (p.address.empty() || NonAsciiDomain(p.address, "RCPT")) {
    Reply("501 5.1.3 Bad recipient address syntax");
    return false;
  }
  if (static_cast<int>(txn_.rcpts.size()) >= st_.recipient_limit) {
    Reply("452 4.5.3 Error: too many recipients");
    return false;
  }
  queue_file::Recipient r;
  r.address = p.address;
  for (const std::string& param : p.params) {
    std::string u = util::Uppercase(param);
    if (u.rfind("NOTIFY=", 0) == 0) {
      int bits = smtpd_proto::ParseNotify(param.substr(7));
      if (bits == 0 || r.dsn_notify) {
        Reply("501 5.5.4 Bad NOTIFY parameter syntax");
        return false;
      }
      r.dsn_notify = bits;
    } else if (u.rfind("ORCPT=", 0) == 0) {
      auto o = smtpd_proto::ParseOrcpt(param.substr(6));
      if (!o || !r.dsn_orcpt.empty()) {
        Reply("501 5.5.4 Bad ORCPT parameter syntax");
        return false;
      }
      r.dsn_orcpt = *o;
    } else {
      Reply("555 5.5.4 Unsupported option: " + param);
      return false;
    }
  }
  if (!RateOk(st_.recipient_rate_limit, &anvil_client::AnvilClient::Recipient, "Recipient address",
              "450 4.7.1 Error: too many recipients from " + sess_.client_addr))
    return false;
  sess_.recipient = p.address;
  smtpd_check::Verdict v = deps_.checker->CheckRecipient(sess_);
  if (v.rejected()) {
    Reply(v.reply);
    return false;
  }
  if (!OpenQueue()) {
    Reply("451 4.3.0 Error: queue file write error");
    return false;
  }
  if (!r.dsn_orcpt.empty()) txn_.queue->Record(queue_file::kDsnOrcpt, r.dsn_orcpt);
  if (r.dsn_notify) txn_.queue->Record(queue_file::kDsnNotify, std::to_string(r.dsn_notify));
  txn_.queue->Record(queue_file::kRecipient, r.address);
  txn_.rcpts.push_back(r);
  sess_.rcpt_count = static_cast<int>(txn_.rcpts.size());
  Reply("250 2.1.5 Ok");
  return true;
}

void Session::StartContent() {
  txn_.content_started = true;
  QueueFile& f = *txn_.queue;
  // An access table's HOLD (client to DATA stages): cleanup puts the
  // message in the hold queue instead of incoming.
  if (!sess_.hold_reason.empty())
    f.Record(queue_file::kAttr, std::string(cleanup_client::kAttrHold) + "=" + sess_.hold_reason);
  // REDIRECT, FILTER and BCC: cleanup applies them to the message.
  if (!sess_.redirect.empty())
    f.Record(queue_file::kAttr, std::string(cleanup_client::kAttrRedirect) + "=" + sess_.redirect);
  if (!sess_.filter.empty())
    f.Record(queue_file::kAttr, std::string(cleanup_client::kAttrFilter) + "=" + sess_.filter);
  if (!sess_.bcc.empty())
    f.Record(queue_file::kAttr, std::string(cleanup_client::kAttrBcc) + "=" + sess_.bcc);
  f.Record(queue_file::kMessage, "");
  for (const std::string& h : sess_.prepend_headers) f.Record(queue_file::kLine, h);
  smtpd_proto::ReceivedInfo ri;
  ri.helo_name = sess_.helo_name;
  if (tls_active_ && st_.tls_received_header) ri.tls_clause = util::tls::ReceivedClause(tls_);
  ri.client_name = sess_.client_name;
  ri.client_addr = sess_.client_addr;
  ri.myhostname = st_.myhostname;
  ri.mail_name = st_.mail_name;
  // RFC 3848 / Postfix: UTF8SMTP for SMTPUTF8 mail, "S" over TLS (also
  // when the client sent MAIL without a new EHLO after STARTTLS: the
  // protocol of the EHLO before it stays, as in Postfix).
  ri.protocol = txn_.smtputf8 && esmtp_  ? std::string("UTF8SMTP")
                : sess_.protocol.empty() ? std::string("SMTP")
                                         : sess_.protocol;
  if (tls_active_) ri.protocol += "S";
  // RFC 3848: "A" for an authenticated client.
  if (!sess_.sasl_username.empty() && esmtp_) ri.protocol += "A";
  if (st_.sasl_authenticated_header) ri.authenticated_sender = sess_.sasl_username;
  ri.queue_id = f.queue_id();
  if (txn_.rcpts.size() == 1) ri.single_recipient = txn_.rcpts[0].address;
  ri.date = mail_date::MailDate(static_cast<time_t>(txn_.arrival));
  for (const std::string& l : smtpd_proto::ReceivedHeader(ri)) f.Record(queue_file::kLine, l);
}

void Session::PutLine(const std::string& line, bool segment) {
  txn_.content_size += static_cast<long long>(line.size()) + (segment ? 0 : 1);
  if (st_.message_size_limit > 0 && txn_.content_size > st_.message_size_limit) txn_.too_big = true;
  if (txn_.too_big) return;  // read and discard the rest
  txn_.queue->Record(segment ? queue_file::kSegment : queue_file::kLine, line);
}

// The content is complete: verdict, queue, reply. Returns success.
bool Session::EndOfMessage() {
  last_cmd_ = "END-OF-MESSAGE";
  bool ok = false;
  if (txn_.too_big) {
    msg::Info(
        "%s: reject: %s from %s: 552 5.3.4 Message size exceeds fixed limit; from=<%s> "
        "proto=%s helo=<%s>",
        txn_.queue->queue_id().c_str(), txn_.bdat ? "BDAT" : "DATA", NamAddr().c_str(),
        txn_.sender.c_str(), sess_.protocol.c_str(), sess_.helo_name.c_str());
    Reply("552 5.3.4 Message size exceeds fixed limit");
  } else {
    sess_.message_size = txn_.content_size;
    smtpd_check::Verdict v = deps_.checker->CheckEndOfData(sess_);
    if (v.rejected()) {
      Reply(v.reply);
    } else {
      // DISCARD (the Checker logged "discard"): cleanup reads the message
      // and drops it, then says "queued" like for any other message.
      if (sess_.discard) {
        txn_.queue->Record(queue_file::kExtra, "");  // after the content
        txn_.queue->Record(queue_file::kAttr, std::string(cleanup_client::kAttrDiscard) + "=1");
      }
      auto r = txn_.queue->Finish();
      if (!r.ok()) {
        msg::Warn("%s: cleanup: %s", txn_.queue->queue_id().c_str(), r.status().message().c_str());
        Reply("451 4.3.0 Error: queue file write error");
      } else if (r->status == 0) {
        Reply("250 2.0.0 Ok: queued as " + r->queue_id);
        junk_count_ = 0;  // "reset after mail is delivered" (postconf(5))
        ok = true;
      } else if (r->content) {
        // header_checks / body_checks REJECT: the table's text as it is
        // (Postfix: "550 5.7.1 message content rejected").
        Reply(std::string(r->status == 4 ? "451 " : "550 ") + r->dsn + " " + r->reason);
      } else if (r->dsn == "5.3.4") {
        Reply("552 5.3.4 Message size exceeds fixed limit");
      } else if (r->dsn == "5.4.0") {
        Reply("554 5.4.0 Error: too many hops");
      } else if (r->status == 5) {
        Reply("550 " + r->dsn + " Error: " + r->reason);
      } else {
        Reply("451 4.3.0 Error: queue file write error");
      }
    }
  }
  ResetTransaction();
  fwd_ = smtpd_xclient::Forward();
  return ok;
}

bool Session::Data(const smtpd_proto::Command& c) {
  if (!c.args.empty()) {
    Reply("501 5.5.4 Syntax: DATA");
    return false;
  }
  if (txn_.rcpts.empty()) {
    Reply(txn_.mail ? "554 5.5.1 Error: no valid recipients"
                    : "503 5.5.1 Error: need RCPT command");
    return false;
  }
  if (txn_.bdat) {
    Reply("503 5.5.1 Error: DATA after BDAT");
    return false;
  }
  smtpd_check::Verdict v = deps_.checker->CheckData(sess_);
  if (v.rejected()) {
    Reply(v.reply);
    return false;
  }
  Reply("354 End data with <CR><LF>.<CR><LF>");
  StartContent();
  smtpd_input::BareLf mode = bare_lf_exempt_ ? smtpd_input::BareLf::kAllow : st_.bare_lf;
  smtpd_input::DataFilter filter(mode, last_end_);
  for (;;) {
    Piece p;
    while (!in_.Next(st_.line_length_limit, &p)) {
      ReadResult r = Fill();
      if (r != ReadResult::kOk) {
        LogReadFailure(r);
        ResetTransaction();
        quit_ = true;
        return false;
      }
    }
    std::string line;
    bool segment = false;
    switch (filter.Feed(p, &line, &segment)) {
      case smtpd_input::DataFilter::Action::kContent:
        PutLine(line, segment);
        break;
      case smtpd_input::DataFilter::Action::kEnd:
        return EndOfMessage();
      case smtpd_input::DataFilter::Action::kReject:
        Reply(util::StrFormat("%d 5.5.2 %s Error: bare <LF> received", st_.bare_lf_reject_code,
                              st_.myhostname.c_str()));
        msg::Info("disconnect: bare <LF> received from %s", NamAddr().c_str());
        ResetTransaction();
        quit_ = true;
        return false;
    }
  }
}

// Reads and drops n bytes of a chunk; false when the connection failed.
bool Session::SkipBytes(size_t n) {
  while (n > 0) {
    std::string junk;
    n -= in_.Take(n, &junk);
    if (n == 0) break;
    ReadResult r = Fill();
    if (r != ReadResult::kOk) {
      LogReadFailure(r);
      quit_ = true;
      return false;
    }
  }
  return true;
}

bool Session::Bdat(const smtpd_proto::Command& c) {
  std::vector<std::string> words = util::SplitAny(c.args, " \t");
  bool last = words.size() == 2 && util::EqualsIgnoreCase(words[1], "LAST");
  if (words.empty() || words.size() > 2 || (words.size() == 2 && !last) ||
      !util::AllDigits(words[0]) || words[0].size() > 18) {
    Reply("501 5.5.4 Syntax: BDAT count [LAST]");
    return false;
  }
  size_t n = static_cast<size_t>(std::stoll(words[0]));
  std::string error;
  if (txn_.bdat_failed) {
    error = txn_.bdat_error;
  } else if (txn_.rcpts.empty()) {
    error =
        txn_.mail ? "554 5.5.1 Error: no valid recipients" : "503 5.5.1 Error: need RCPT command";
  } else if (!txn_.bdat) {
    smtpd_check::Verdict v = deps_.checker->CheckData(sess_);
    if (v.rejected()) error = v.reply;
  }
  if (!error.empty()) {
    if (!SkipBytes(n)) return false;
    // Later chunks of a failed transaction get the same answer until LAST.
    if (txn_.mail && !last) {
      txn_.bdat_failed = true;
      txn_.bdat_error = error;
    } else if (last && txn_.bdat_failed) {
      ResetTransaction();
    }
    Reply(error);
    return false;
  }
  if (!txn_.bdat) {
    txn_.bdat = true;
    StartContent();
  }
  smtpd_input::BareLf mode = bare_lf_exempt_ ? smtpd_input::BareLf::kAllow : st_.bare_lf;
  size_t left = n;
  bool bare_lf = false;
  while (left > 0) {
    std::string chunk;
    left -= in_.Take(left, &chunk);
    txn_.bdat_lines.Append(chunk);
    Piece p;
    while (txn_.bdat_lines.Next(st_.line_length_limit, &p)) {
      if (p.end == End::kLf && mode == smtpd_input::BareLf::kReject) bare_lf = true;
      PutLine(p.text, p.end == End::kSegment);
    }
    if (left == 0) break;
    ReadResult r = Fill();
    if (r != ReadResult::kOk) {
      LogReadFailure(r);
      ResetTransaction();
      quit_ = true;
      return false;
    }
  }
  if (bare_lf) {
    Reply(util::StrFormat("%d 5.5.2 %s Error: bare <LF> received", st_.bare_lf_reject_code,
                          st_.myhostname.c_str()));
    msg::Info("disconnect: bare <LF> received from %s", NamAddr().c_str());
    ResetTransaction();
    quit_ = true;
    return false;
  }
  if (!last) {
    if (txn_.too_big) {
      txn_.bdat_failed = true;
      txn_.bdat_error = "552 5.3.4 Message size exceeds fixed limit";
      Reply(txn_.bdat_error);
      return false;
    }
    Reply(util::StrFormat("250 2.0.0 Ok: %zu bytes", n));
    return true;
  }
  std::string rest = txn_.bdat_lines.TakeAll();
  if (!rest.empty()) PutLine(rest, false);
  return EndOfMessage();
}

bool Session::Rset(const smtpd_proto::Command& c) {
  if (!c.args.empty()) {
    Reply("501 5.5.4 Syntax: RSET");
    return false;
  }
  ResetTransaction();
  fwd_ = smtpd_xclient::Forward();
  Reply("250 2.0.0 Ok");
  return true;
}

bool Session::ClientAttributes(const smtpd_proto::Command& c, bool allowed,
                               smtpd_xclient::Kind kind, std::vector<smtpd_xclient::Attr>* attrs) {
  if (txn_.mail) {
    Reply("503 5.5.1 Error: MAIL transaction in progress");
    return false;
  }
  if (c.args.empty()) {
    Reply("501 5.5.4 Syntax: " + c.verb + " attribute=value...");
    return false;
  }
  if (!allowed) {
    Reply("550 5.7.0 Error: insufficient authorization");
    return false;
  }
  if (auto bad = smtpd_xclient::Parse(kind, c.args, attrs)) {
    Reply(*bad);
    return false;
  }
  return true;
}

bool Session::Xforward(const smtpd_proto::Command& c) {
  std::vector<smtpd_xclient::Attr> attrs;
  if (!ClientAttributes(c, xforward_allowed_, smtpd_xclient::Kind::kXforward, &attrs)) return false;
  fwd_.Apply(attrs);
  Reply("250 2.0.0 Ok");
  return true;
}

// As Postfix: the session starts over with the new client (no HELO, no
// transaction, no AUTH unless LOGIN: an earlier AUTH is forgotten), the
// connect-time restrictions run again, and the reply is the greeting.
bool Session::Xclient(const smtpd_proto::Command& c) {
  std::vector<smtpd_xclient::Attr> attrs;
  if (!ClientAttributes(c, xclient_allowed_, smtpd_xclient::Kind::kXclient, &attrs)) return false;
  ResetTransaction();
  fwd_ = smtpd_xclient::Forward();
  sess_.helo_name.clear();
  sess_.protocol = "SMTP";
  esmtp_ = false;
  sess_.check_state.reset();
  limit_exempt_.reset();
  // An earlier AUTH was the proxy's, not the new client's.
  sess_.sasl_username.clear();
  sess_.sasl_method.clear();
  bool got_name = false, got_reverse = false;
  for (const smtpd_xclient::Attr& a : attrs) {
    const std::string value = a.unavailable ? std::string() : a.value;
    if (a.name == "NAME") {
      sess_.client_name = a.unavailable ? "unknown" : value;
      sess_.client_name_status = a.unavailable;
      got_name = true;
    } else if (a.name == "REVERSE_NAME") {
      sess_.client_reverse_name = a.unavailable ? "unknown" : value;
      sess_.client_reverse_name_status = a.unavailable;
      got_reverse = true;
    } else if (a.name == "ADDR") {
      sess_.client_addr = a.unavailable ? "unknown" : value;
    } else if (a.name == "PORT") {
      sess_.client_port = a.unavailable ? "unknown" : value;
    } else if (a.name == "DESTADDR") {
      sess_.server_addr = a.unavailable ? "unknown" : value;
    } else if (a.name == "DESTPORT") {
      sess_.server_port = a.unavailable ? "unknown" : value;
    } else if (a.name == "HELO") {
      sess_.helo_name = value;
    } else if (a.name == "PROTO") {
      sess_.protocol = value;
      esmtp_ = value == "ESMTP";
    } else if (a.name == "LOGIN" && !a.unavailable) {
      sess_.sasl_method = "XCLIENT";
      sess_.sasl_username = value;
    }
  }
  if (got_name && !got_reverse) {
    sess_.client_reverse_name = sess_.client_name;
    sess_.client_reverse_name_status = sess_.client_name_status;
  }
  Greet();
  restarted_ = true;  // counted as "xclient=0/1", but not as an error
  return false;
}

bool Session::Noop(const smtpd_proto::Command&) {
  Reply("250 2.0.0 Ok");
  return true;
}

// HELP (RFC 5321 4.1.1.8). Postfix's smtpd does not know it and answers
// 502; we list the commands instead, and count HELP as a junk command
// like NOOP.
bool Session::Help(const smtpd_proto::Command&) {
  Reply("214 2.0.0 Commands: EHLO HELO MAIL RCPT DATA BDAT RSET NOOP VRFY ETRN HELP QUIT");
  return true;
}

bool Session::Vrfy(const smtpd_proto::Command& c) {
  if (st_.disable_vrfy) {
    Reply("502 5.5.1 VRFY command is disabled");
    return false;
  }
  if (c.args.empty()) {
    Reply("501 5.5.4 Syntax: VRFY address");
    return false;
  }
  std::string_view a = c.args;
  if (a.size() >= 2 && a.front() == '<' && a.back() == '>') a = a.substr(1, a.size() - 2);
  if (!smtpd_proto::ValidAddressSyntax(a)) {
    Reply("501 5.1.3 Bad recipient address syntax");
    return false;
  }
  std::string saved = sess_.recipient;
  sess_.recipient = address::Unquote(a);
  smtpd_check::Verdict v = deps_.checker->CheckVrfy(sess_);
  sess_.recipient = saved;
  if (v.rejected()) {
    Reply(v.reply);
    return false;
  }
  Reply("252 2.0.0 " + c.args);
  return true;
}

bool Session::Handshake(const char* after) {
  util::tls::Summary sum;
  auto t =
      util::tls::Accept(*deps_.tls, io_.fd(), std::chrono::seconds(st_.starttls_timeout), &sum);
  if (t.ok()) {
    util::Status s = io_.set_transport(std::move(*t));
    if (s.ok()) {
      tls_active_ = true;
      tls_ = sum;
      ClientCertificate();
      if (st_.tls_loglevel >= 1)
        msg::Info(
            "%s",
            util::tls::LogLine(tls_, "from", NamAddr(), util::tls::ClientTrust(tls_)).c_str());
      if (st_.tls_req_ccert && !tls_.peer_cert_trusted) {
        const char* why = tls_.peer_cert_present ? "Client certificate not trusted"
                                                 : "No client certificate presented";
        msg::Info("NOQUEUE: abort: TLS from %s: %s", NamAddr().c_str(), why);
        Reply("421 4.7.1 " + st_.myhostname + " Error: " + why);
        quit_ = true;
      }
      return true;
    }
    msg::Warn("%s: %s", NamAddr().c_str(), s.message().c_str());
  } else if (t.status().code() == util::Code::kDeadlineExceeded) {
    msg::Info("SSL_accept error from %s: timeout", NamAddr().c_str());
  } else {
    msg::Info("SSL_accept error from %s: %s", NamAddr().c_str(), t.status().message().c_str());
  }
  msg::Info("lost connection after %s from %s", after, NamAddr().c_str());
  return false;
}

// What the restrictions and the logs learn of the client's certificate.
void Session::ClientCertificate() {
  sess_.tls = true;
  sess_.ccert_present = tls_.peer_cert_present;
  sess_.ccert_trusted = tls_.peer_cert_trusted;
  sess_.ccert_subject = tls_.peer_CN;
  sess_.ccert_issuer = tls_.issuer_CN;
  sess_.tls_protocol = tls_.protocol;
  sess_.tls_cipher = tls_.cipher;
  sess_.tls_cipher_bits = tls_.cipher_bits;
  if (!tls_.peer_cert_present) return;
  auto fp = util::tls::CertFingerprint(tls_.peer_cert_der, st_.tls_fingerprint_digest);
  auto pkey = util::tls::PublicKeyFingerprint(tls_.peer_cert_der, st_.tls_fingerprint_digest);
  sess_.ccert_fingerprint = fp.ok() ? *fp : "";
  sess_.ccert_pkey_fingerprint = pkey.ok() ? *pkey : "";
  if (st_.tls_loglevel >= 2)
    msg::Info("%s: subject_CN=%s, issuer=%s, fingerprint=%s, pkey_fingerprint=%s",
              NamAddr().c_str(), tls_.peer_CN.c_str(), tls_.issuer_CN.c_str(),
              sess_.ccert_fingerprint.c_str(), sess_.ccert_pkey_fingerprint.c_str());
  // As Postfix, why the chain did not verify is logged only where a
  // certificate is required.
  if (!tls_.peer_cert_trusted && st_.tls_req_ccert && !tls_.resumed)
    msg::Info("certificate verification failed for %s: %s", NamAddr().c_str(),
              tls_.peer_verify_failure.c_str());
}

// STARTTLS (RFC 3207).
bool Session::StartTls(const smtpd_proto::Command& c) {
  if (!TlsOffered()) {
    Reply("502 5.5.1 Error: command not implemented");
    return false;
  }
  if (!c.args.empty()) {
    Reply("501 5.5.4 Syntax: STARTTLS");
    return false;
  }
  if (tls_active_) {
    Reply("554 5.5.1 Error: TLS already active");
    return false;
  }
  // As Postfix, STARTTLS is accepted in a transaction, which it ends.
  if (deps_.tls == nullptr || io_.fd() != io_.write_fd()) {
    Reply("454 4.7.0 TLS not available due to local problem");
    return false;
  }
  Reply("220 2.0.0 Ready to start TLS");
  if (!io_.Flush().ok()) {
    msg::Info("lost connection after STARTTLS from %s", NamAddr().c_str());
    quit_ = true;
    return false;
  }
  // Whatever the client sent after STARTTLS in plain text is not part of
  // the TLS session: dropped, never executed (CVE-2011-0411).
  in_ = smtpd_input::LineSplitter();
  io_.DiscardInput();
  if (!Handshake("STARTTLS")) {
    quit_ = true;
    return false;
  }
  // The session starts over (RFC 3207 4.2).
  ResetTransaction();
  sess_.helo_name.clear();
  esmtp_ = false;
  return true;
}

// ETRN's own replies carry no enhanced status code, as Postfix's (RFC 1985).
bool Session::Etrn(const smtpd_proto::Command& c) {
  if (!HeloSeen()) return false;
  if (txn_.mail) {
    Reply("503 Error: MAIL transaction in progress");
    return false;
  }
  if (c.args.empty() || c.args.find_first_of(" \t") != std::string::npos) {
    Reply("500 Syntax: ETRN domain");
    return false;
  }
  std::string site = c.args;
  if (site[0] == '@' || site[0] == '#') site.erase(0, 1);
  if (!flush_client::ValidSite(site)) {
    Reply("501 Error: invalid parameter syntax");
    return false;
  }
  smtpd_check::Verdict v = deps_.checker->CheckEtrn(sess_, site);
  if (v.rejected()) {
    Reply(v.reply);
    return false;
  }
  flush_client::Status fs = deps_.flush ? deps_.flush(site) : flush_client::Status::kFail;
  switch (fs) {
    case flush_client::Status::kOk:
      Reply("250 Queuing started");
      return true;
    case flush_client::Status::kDeny:
      Reply("459 <" + site + ">: service unavailable");
      return false;
    case flush_client::Status::kBad:
      Reply("458 Error: invalid request");
      return false;
    case flush_client::Status::kFail:
      break;
  }
  Reply("458 Unable to queue messages");
  return false;
}

std::vector<std::string> Session::AuthMechanisms(bool warn) {
  if (!AuthActive()) return {};
  // smtpd_sasl_exceptions_networks: not offered to these clients (the
  // AUTH command still works, as Postfix's).
  if (warn) {
    auto ex = deps_.checker->ClientMatches("smtpd_sasl_exceptions_networks", sess_);
    if (ex.ok() && *ex) return {};
  }
  auto mechs = deps_.sasl->Mechanisms();
  if (!mechs.ok()) {
    if (warn) msg::Warn("SASL: %s", mechs.status().message().c_str());
    return {};
  }
  return dovecot_auth::Filter(*mechs, Tls() ? st_.sasl_tls_security : st_.sasl_security);
}

// AUTH mechanism [initial-response] (RFC 4954), Postfix's replies.
bool Session::Auth(const smtpd_proto::Command& c) {
  if (!AuthActive()) {
    Reply("503 5.5.1 Error: authentication not enabled");
    return false;
  }
  if (!HeloSeen()) return false;
  if (txn_.mail) {
    Reply("503 5.5.1 Error: MAIL transaction in progress");
    return false;
  }
  if (!sess_.sasl_username.empty()) {
    Reply("503 5.5.1 Error: already authenticated");
    return false;
  }
  std::vector<std::string> words = util::SplitAny(c.args, " \t");
  if (words.empty() || words.size() > 2) {
    Reply("501 5.5.4 Syntax: AUTH mechanism");
    return false;
  }
  if (!RateOk(st_.auth_rate_limit, &anvil_client::AnvilClient::Auth, "AUTH command",
              "450 4.7.1 Error: too many AUTH commands from " + sess_.client_addr))
    return false;
  std::string mech = util::Uppercase(words[0]);
  std::vector<std::string> offered = AuthMechanisms(false);
  auto tempfail = [&](const std::string& why) {
    msg::Warn("%s: SASL %s authentication failed: %s", NamAddr().c_str(), mech.c_str(),
              why.c_str());
    Reply("454 4.7.0 Temporary authentication failure: " + why);
    return false;
  };
  if (offered.empty()) return tempfail("authentication server unavailable");
  if (std::find(offered.begin(), offered.end(), mech) == offered.end()) {
    Reply("504 5.5.4 Unsupported authentication mechanism");
    return false;
  }
  dovecot_auth::Request req;
  req.mech = mech;
  req.service = st_.sasl_service;
  req.local_ip = sess_.server_addr;
  req.local_port = sess_.server_port;
  req.remote_ip = sess_.client_addr;
  req.remote_port = sess_.client_port;
  req.secured = Tls();
  if (words.size() == 2) req.response = words[1] == "=" ? "" : words[1];
  dovecot_auth::Step step = deps_.sasl->Start(req);
  while (step.kind == dovecot_auth::Step::Kind::kContinue) {
    Reply("334 " + step.challenge);
    Piece line;
    bool too_long = false;
    ReadResult r = ReadCommand(&line, &too_long, st_.sasl_response_limit);
    if (r != ReadResult::kOk) {
      LogReadFailure(r);
      quit_ = true;
      return false;
    }
    if (too_long) {
      Reply("500 5.5.6 Authentication exchange line is too long");
      return false;
    }
    if (line.text == "*") {
      Reply("501 5.7.0 Authentication aborted");
      return false;
    }
    step = deps_.sasl->Continue(line.text);
  }
  switch (step.kind) {
    case dovecot_auth::Step::Kind::kOk:
      sess_.sasl_username = step.username;
      sess_.sasl_method = mech;
      Reply("235 2.7.0 Authentication successful");
      return true;
    case dovecot_auth::Step::Kind::kTempFail:
      return tempfail(step.reason.empty() ? "(reason unavailable)" : step.reason);
    default:
      break;
  }
  std::string why = step.reason.empty() ? "(reason unavailable)" : step.reason;
  msg::Warn("%s: SASL %s authentication failed: %s%s%s", NamAddr().c_str(), mech.c_str(),
            why.c_str(), step.username.empty() ? "" : ", sasl_username=", step.username.c_str());
  Reply("535 5.7.8 Error: authentication failed: " + why);
  return false;
}

}  // namespace

Settings Settings::FromConfig(const config::Config& cfg) {
  Settings s;
  s.myhostname = cfg.Get("myhostname");
  s.mail_name = cfg.Get("mail_name");
  s.banner = cfg.Get("smtpd_banner");
  s.service_name = cfg.Get("service_name");
  if (s.service_name.empty()) s.service_name = "smtp";
  s.helo_required = cfg.GetBool("smtpd_helo_required");
  s.content_filter = std::string(util::Trim(cfg.Get("content_filter")));
  s.disable_vrfy = cfg.GetBool("disable_vrfy_command");
  s.message_size_limit = cfg.GetInt("message_size_limit");
  s.queue_minfree = cfg.GetInt("queue_minfree");
  s.line_length_limit = static_cast<size_t>(std::max(512LL, cfg.GetInt("line_length_limit")));
  s.timeout = static_cast<int>(cfg.GetTime("smtpd_timeout"));
  s.soft_error_limit = static_cast<int>(cfg.GetInt("smtpd_soft_error_limit"));
  s.hard_error_limit = static_cast<int>(cfg.GetInt("smtpd_hard_error_limit"));
  s.error_sleep_time = static_cast<int>(cfg.GetTime("smtpd_error_sleep_time"));
  s.recipient_limit = static_cast<int>(cfg.GetInt("smtpd_recipient_limit"));
  s.junk_command_limit = static_cast<int>(cfg.GetInt("smtpd_junk_command_limit"));
  s.smtputf8_enable = cfg.GetBool("smtputf8_enable");
  std::string bare = cfg.Get("smtpd_forbid_bare_newline");
  if (!smtpd_input::ParseBareLf(bare, &s.bare_lf))
    msg::Fatal("bad smtpd_forbid_bare_newline value: %s (specify normalize, reject or no)",
               bare.c_str());
  s.bare_lf_reject_code = static_cast<int>(cfg.GetInt("smtpd_forbid_bare_newline_reject_code"));
  s.forbid_unauth_pipelining = cfg.GetBool("smtpd_forbid_unauth_pipelining");
  s.discard_ehlo_keywords = cfg.GetList("smtpd_discard_ehlo_keywords");
  s.peername_lookup = cfg.GetBool("smtpd_peername_lookup");
  s.client_port_logging = cfg.GetBool("smtpd_client_port_logging");
  s.delay_open_until_valid_rcpt = cfg.GetBool("smtpd_delay_open_until_valid_rcpt");
  s.connection_count_limit = static_cast<int>(cfg.GetInt("smtpd_client_connection_count_limit"));
  s.connection_rate_limit = static_cast<int>(cfg.GetInt("smtpd_client_connection_rate_limit"));
  s.message_rate_limit = static_cast<int>(cfg.GetInt("smtpd_client_message_rate_limit"));
  s.recipient_rate_limit = static_cast<int>(cfg.GetInt("smtpd_client_recipient_rate_limit"));
  s.local_header_rewrite_clients = cfg.GetList("local_header_rewrite_clients");
  if (auto local = resolve_local::LocalDomains::FromConfig(cfg); local.ok())
    s.interface_addresses = local->addresses();
  else
    msg::Warn("%s", local.status().message().c_str());
  s.forbidden_commands.clear();
  for (const std::string& w : cfg.GetList("smtpd_forbidden_commands")) {
    if (w.find(':') == std::string::npos && w.find('{') == std::string::npos &&
        w.find('}') == std::string::npos && w.find('/') == std::string::npos)
      s.forbidden_commands.push_back(util::Uppercase(w));
  }
  s.sasl_enable = cfg.GetBool("smtpd_sasl_auth_enable");
  if (s.sasl_enable) {
    std::string type = cfg.Get("smtpd_sasl_type");
    if (type != "dovecot")
      msg::Fatal("unsupported SASL server implementation: %s (this mail system has dovecot)",
                 type.c_str());
  }
  s.broken_sasl_auth_clients = cfg.GetBool("broken_sasl_auth_clients");
  s.sasl_authenticated_header = cfg.GetBool("smtpd_sasl_authenticated_header");
  s.tls_auth_only = cfg.GetBool("smtpd_tls_auth_only");
  auto security = [](const char* name, const std::string& value) {
    auto sec = dovecot_auth::ParseSecurity(value);
    if (!sec.ok()) msg::Fatal("%s: %s", name, sec.status().message().c_str());
    return *sec;
  };
  s.sasl_security = security("smtpd_sasl_security_options", cfg.Get("smtpd_sasl_security_options"));
  s.sasl_tls_security =
      security("smtpd_sasl_tls_security_options", cfg.Get("smtpd_sasl_tls_security_options"));
  s.sasl_service = cfg.Get("smtpd_sasl_service");
  s.sasl_response_limit =
      static_cast<size_t>(std::max(512LL, cfg.GetInt("smtpd_sasl_response_limit")));
  s.auth_rate_limit = static_cast<int>(cfg.GetInt("smtpd_client_auth_rate_limit"));
  std::string level = util::Lowercase(util::Trim(cfg.Get("smtpd_tls_security_level")));
  if (level.empty()) {
    s.tls_level = cfg.GetBool("smtpd_enforce_tls") ? TlsLevel::kEncrypt
                  : cfg.GetBool("smtpd_use_tls")   ? TlsLevel::kMay
                                                   : TlsLevel::kNone;
  } else if (level == "none") {
    s.tls_level = TlsLevel::kNone;
  } else if (level == "may") {
    s.tls_level = TlsLevel::kMay;
  } else if (level == "encrypt") {
    s.tls_level = TlsLevel::kEncrypt;
  } else {
    msg::Fatal("bad smtpd_tls_security_level value: %s (specify none, may or encrypt)",
               level.c_str());
  }
  s.tls_wrappermode = cfg.GetBool("smtpd_tls_wrappermode");
  s.tls_loglevel = static_cast<int>(cfg.GetInt("smtpd_tls_loglevel"));
  s.tls_received_header = cfg.GetBool("smtpd_tls_received_header");
  s.starttls_timeout = static_cast<int>(cfg.GetTime("smtpd_starttls_timeout"));
  // As Postfix: requiring a certificate needs mandatory TLS (else it is
  // ignored, with a warning at start: main.cpp), and implies asking.
  s.tls_req_ccert = cfg.GetBool("smtpd_tls_req_ccert") &&
                    (s.tls_level == TlsLevel::kEncrypt || s.tls_wrappermode);
  s.tls_ask_ccert = cfg.GetBool("smtpd_tls_ask_ccert") || s.tls_req_ccert;
  s.tls_fingerprint_digest = std::string(util::Trim(cfg.Get("smtpd_tls_fingerprint_digest")));
  return s;
}

std::string TlsSessionContext(const config::Config& cfg, const Settings& st) {
  std::string id = "smtpd/" + st.service_name;
  if (st.tls_ask_ccert)
    id += "/ccert/" + cfg.Get("smtpd_tls_CAfile") + "/" + cfg.Get("smtpd_tls_CApath") + "/" +
          std::to_string(cfg.GetInt("smtpd_tls_ccert_verifydepth"));
  return id;
}

util::StatusOr<std::unique_ptr<util::tls::ServerContext>> TlsContext(const config::Config& cfg,
                                                                     const Settings& st) {
  util::tls::ServerSettings ts;
  std::string cert(util::Trim(cfg.Get("smtpd_tls_cert_file")));
  if (!cert.empty())
    ts.cert_key.push_back({cert, std::string(util::Trim(cfg.Get("smtpd_tls_key_file")))});
  std::string eccert(util::Trim(cfg.Get("smtpd_tls_eccert_file")));
  if (!eccert.empty())
    ts.cert_key.push_back({eccert, std::string(util::Trim(cfg.Get("smtpd_tls_eckey_file")))});
  // As Postfix: smtpd_tls_chain_files, when set, replaces the pairs.
  std::vector<std::string> chains = cfg.GetList("smtpd_tls_chain_files");
  if (!chains.empty()) {
    ts.cert_key.clear();
    ts.chain_files = chains;
  }
  // Mandatory: the level requires TLS (encrypt).
  const bool mandatory = st.tls_level == TlsLevel::kEncrypt;
  ts.protocols =
      mandatory ? cfg.Get("smtpd_tls_mandatory_protocols") : cfg.Get("smtpd_tls_protocols");
  // smtpd_tls_exclude_ciphers always, the mandatory one too at encrypt.
  std::vector<std::string> exclude = cfg.GetList("smtpd_tls_exclude_ciphers");
  if (mandatory) {
    for (const std::string& c : cfg.GetList("smtpd_tls_mandatory_exclude_ciphers"))
      exclude.push_back(c);
  }
  auto list = tls_ciphers::ForGrade(
      cfg, mandatory ? cfg.Get("smtpd_tls_mandatory_ciphers") : cfg.Get("smtpd_tls_ciphers"),
      exclude);
  if (!list.ok()) return list.status();
  ts.cipherlist = *list;
  ts.server_preference = cfg.GetBool("tls_preempt_cipherlist");
  ts.dh_param_file = std::string(util::Trim(cfg.Get("smtpd_tls_dh1024_param_file")));
  // A private key others can read is no longer private: said, not refused.
  std::vector<std::string> keys = ts.chain_files;
  for (const auto& [c, k] : ts.cert_key) keys.push_back(k.empty() ? c : k);
  for (const std::string& k : keys) {
    struct stat sb;
    if (stat(k.c_str(), &sb) == 0 && (sb.st_mode & S_IROTH) != 0)
      msg::Warn("private key file %s is readable by other users", k.c_str());
  }
  auto ctx = util::tls::ServerContext::Create(ts);
  if (!ctx.ok() || !st.tls_ask_ccert) return ctx;
  if (auto fp = util::tls::CertFingerprint("", st.tls_fingerprint_digest); !fp.ok())
    return util::InvalidArgument("smtpd_tls_fingerprint_digest: " + fp.status().message());
  util::tls::ClientCertSettings cs;
  cs.ca_file = std::string(util::Trim(cfg.Get("smtpd_tls_CAfile")));
  cs.ca_path = std::string(util::Trim(cfg.Get("smtpd_tls_CApath")));
  cs.verify_depth = static_cast<int>(cfg.GetInt("smtpd_tls_ccert_verifydepth"));
  if (util::Status s = util::tls::AskClientCertificates(**ctx, cs); !s.ok()) return s;
  return ctx;
}

std::function<util::StatusOr<std::unique_ptr<QueueFile>>()> CleanupQueue(
    const config::Config& cfg) {
  return [&cfg]() -> util::StatusOr<std::unique_ptr<QueueFile>> {
    auto c = cleanup_client::CleanupClient::Open(
        cfg, cleanup_client::ReceiveOverridesFromConfig(cfg).cleanup_flags);
    if (!c.ok()) return c.status();
    return std::unique_ptr<QueueFile>(new CleanupFile(std::move(*c)));
  };
}

void Engine::Serve(util::Stream& client, const Peer& peer) {
  Session s(st_, deps_, client, peer);
  s.Run();
}

}  // namespace smtpd
