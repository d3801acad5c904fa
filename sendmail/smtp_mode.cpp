#include "sendmail/smtp_mode.h"

#include <sysexits.h>

#include <string>
#include <string_view>

#include "global/address.h"
#include "global/queue_file.h"
#include "util/files.h"
#include "util/msg.h"
#include "util/strings.h"

namespace sendmail {
namespace {

constexpr size_t kMaxCommand = 2048;
constexpr int kHardErrorLimit = 20;

// "<addr> params" or "addr params" after "FROM:"/"TO:". False on bad syntax.
bool ParsePath(std::string_view rest, std::string* addr, std::string* params) {
  rest = util::TrimLeft(rest);
  std::string_view inner;
  if (!rest.empty() && rest[0] == '<') {
    bool quoted = false;
    size_t end = std::string_view::npos;
    for (size_t i = 1; i < rest.size(); ++i) {
      if (rest[i] == '\\' && i + 1 < rest.size()) {
        ++i;
      } else if (rest[i] == '"') {
        quoted = !quoted;
      } else if (rest[i] == '>' && !quoted) {
        end = i;
        break;
      }
    }
    if (end == std::string_view::npos) return false;
    inner = rest.substr(1, end - 1);
    rest.remove_prefix(end + 1);
    if (!rest.empty() && rest[0] != ' ') return false;
  } else {
    size_t sp = rest.find(' ');
    inner = rest.substr(0, sp);
    rest = sp == std::string_view::npos ? std::string_view() : rest.substr(sp);
    if (inner.empty()) return false;
  }
  if (!inner.empty() && inner[0] == '@') {  // source route: @a,@b:user@domain
    size_t colon = inner.find(':');
    if (colon == std::string_view::npos) return false;
    inner.remove_prefix(colon + 1);
  }
  if (util::HasControl(inner)) return false;
  *addr = address::Unquote(inner);
  *params = std::string(util::Trim(rest));
  return true;
}

class Session {
 public:
  Session(const config::Config& cfg, const Envelope& defaults, LineReader& in, int out)
      : cfg_(cfg), defaults_(defaults), in_(in), out_(out) {
    hostname_ = cfg.Get("myhostname");
    size_limit_ = cfg.GetInt("message_size_limit");
  }

  int Run() {
    Reply("220 " + cfg_.Get("smtpd_banner"));
    std::string line;
    for (;;) {
      if (!in_.HasBuffered() && !Flush()) return EX_IOERR;
      util::StatusOr<bool> got = ReadCommand(&line);
      if (!got.ok()) {
        msg::Warn("%s", got.status().message().c_str());
        return EX_IOERR;
      }
      if (!*got) break;  // end of input: like a lost connection
      if (!Command(line)) break;
      if (errors_ >= kHardErrorLimit) {
        Reply("421 4.7.0 " + hostname_ + " Error: too many errors");
        break;
      }
    }
    return Flush() ? 0 : EX_IOERR;
  }

 private:
  void Reply(std::string_view text) {
    out_buf_ += text;
    out_buf_ += "\r\n";
  }
  void Error(std::string_view text) {
    Reply(text);
    ++errors_;
  }
  bool Flush() {
    if (out_buf_.empty()) return true;
    bool ok = util::WriteAll(out_, out_buf_, "standard output").ok();
    out_buf_.clear();
    return ok;
  }

  // One command line; over-long lines are read to their end and given as
  // a marker the dispatcher rejects.
  util::StatusOr<bool> ReadCommand(std::string* line) {
    line->clear();
    bool too_long = false;
    LineReader::Piece p;
    for (;;) {
      util::StatusOr<bool> got = in_.Next(&p);
      if (!got.ok()) return got.status();
      if (!*got) return !line->empty() || too_long;
      if (line->size() + p.data.size() > kMaxCommand) too_long = true;
      if (!too_long) *line += p.data;
      if (p.complete) break;
    }
    if (too_long) *line = std::string(1, '\0');
    return true;
  }

  void ResetTransaction() {
    in_mail_ = false;
    env_ = defaults_;
    env_.recipients.clear();
    env_.sender.clear();
  }

  // Returns false to end the session.
  bool Command(const std::string& line) {
    if (line.size() == 1 && line[0] == '\0') {
      Error("500 5.5.2 Error: line too long");
      return true;
    }
    std::string_view text = util::Trim(line);
    size_t sp = text.find(' ');
    std::string verb = util::Uppercase(text.substr(0, sp));
    std::string_view arg =
        sp == std::string_view::npos ? std::string_view() : util::Trim(text.substr(sp));
    if (verb == "HELO" || verb == "EHLO") {
      if (arg.empty()) {
        Error("501 Syntax: " + verb + " hostname");
        return true;
      }
      ResetTransaction();
      if (verb == "HELO") {
        Reply("250 " + hostname_);
      } else {
        Reply("250-" + hostname_);
        Reply("250-PIPELINING");
        Reply(size_limit_ > 0 ? "250-SIZE " + std::to_string(size_limit_) : "250-SIZE");
        Reply("250-ENHANCEDSTATUSCODES");
        Reply("250-8BITMIME");
        Reply("250-DSN");
        Reply("250 SMTPUTF8");
      }
    } else if (verb == "MAIL") {
      Mail(text.substr(4));
    } else if (verb == "RCPT") {
      Rcpt(text.substr(4));
    } else if (verb == "DATA") {
      if (!arg.empty()) {
        Error("501 5.5.4 Syntax: DATA");
      } else if (!in_mail_ || env_.recipients.empty()) {
        Error("503 5.5.1 Error: need RCPT command");
      } else {
        return Data();
      }
    } else if (verb == "RSET") {
      if (!arg.empty()) {
        Error("501 5.5.4 Syntax: RSET");
      } else {
        ResetTransaction();
        Reply("250 2.0.0 Ok");
      }
    } else if (verb == "NOOP") {
      Reply("250 2.0.0 Ok");
    } else if (verb == "QUIT") {
      Reply("221 2.0.0 Bye");
      return false;
    } else if (verb == "VRFY") {
      Error("502 5.5.1 VRFY command is disabled");
    } else if (verb.empty()) {
      Error("500 5.5.2 Error: bad syntax");
    } else {
      Error("502 5.5.2 Error: command not recognized");
    }
    return true;
  }

  void Mail(std::string_view rest) {
    if (in_mail_) {
      Error("503 5.5.1 Error: nested MAIL command");
      return;
    }
    std::string addr, params;
    if (!util::EqualsIgnoreCase(rest.substr(0, std::min<size_t>(rest.size(), 6)), " FROM:") ||
        !ParsePath(rest.substr(6), &addr, &params)) {
      Error("501 5.5.4 Syntax: MAIL FROM:<address>");
      return;
    }
    ResetTransaction();
    for (const std::string& p : util::SplitAny(params, " ")) {
      size_t eq = p.find('=');
      std::string key = util::Uppercase(p.substr(0, eq));
      std::string value = eq == std::string::npos ? "" : p.substr(eq + 1);
      if (key == "SIZE" && eq != std::string::npos) {
        std::optional<long long> n = util::ParseInt(value);
        if (!n || *n < 0) {
          Error("501 5.5.4 Bad message size syntax");
          return;
        }
        if (size_limit_ > 0 && *n > size_limit_) {
          Error("552 5.3.4 Message size exceeds fixed limit");
          return;
        }
      } else if (key == "BODY" && eq != std::string::npos) {
        std::string v = util::Uppercase(value);
        if (v == "8BITMIME") {
          env_.encoding = "8bit";
        } else if (v == "7BIT") {
          env_.encoding = "7bit";
        } else {
          Error("501 5.5.4 Unknown BODY value");
          return;
        }
      } else if (key == "RET" && eq != std::string::npos) {
        std::string v = util::Uppercase(value);
        if (v != "FULL" && v != "HDRS") {
          Error("501 5.5.4 Bad RET parameter syntax");
          return;
        }
        env_.dsn_ret = v;
      } else if (key == "ENVID" && eq != std::string::npos) {
        if (value.empty() || value.size() > 100 || util::HasControl(value) ||
            value.find(' ') != std::string::npos) {
          Error("501 5.5.4 Bad ENVID parameter syntax");
          return;
        }
        env_.dsn_envid = value;
      } else if (key == "SMTPUTF8" && eq == std::string::npos) {
        // UTF-8 is passed through as is.
      } else {
        Error("555 5.5.4 Unsupported option: " + p);
        return;
      }
    }
    env_.sender = addr;
    in_mail_ = true;
    Reply("250 2.1.0 Ok");
  }

  void Rcpt(std::string_view rest) {
    if (!in_mail_) {
      Error("503 5.5.1 Error: need MAIL command");
      return;
    }
    std::string addr, params;
    if (!util::EqualsIgnoreCase(rest.substr(0, std::min<size_t>(rest.size(), 4)), " TO:") ||
        !ParsePath(rest.substr(4), &addr, &params)) {
      Error("501 5.5.4 Syntax: RCPT TO:<address>");
      return;
    }
    if (addr.empty()) {
      Error("501 5.1.3 Bad recipient address syntax");
      return;
    }
    queue_file::Recipient r;
    r.address = addr;
    for (const std::string& p : util::SplitAny(params, " ")) {
      size_t eq = p.find('=');
      std::string key = util::Uppercase(p.substr(0, eq));
      std::string value = eq == std::string::npos ? "" : p.substr(eq + 1);
      if (key == "NOTIFY" && eq != std::string::npos) {
        int bits = 0;
        for (const std::string& w : util::Split(util::Uppercase(value), ',')) {
          bits |= w == "NEVER"     ? queue_file::kNotifyNever
                  : w == "SUCCESS" ? queue_file::kNotifySuccess
                  : w == "FAILURE" ? queue_file::kNotifyFailure
                  : w == "DELAY"   ? queue_file::kNotifyDelay
                                   : 64;
        }
        if (bits == 0 || bits >= 64 ||
            ((bits & queue_file::kNotifyNever) && bits != queue_file::kNotifyNever)) {
          Error("501 5.5.4 Error: Bad NOTIFY parameter syntax");
          return;
        }
        r.dsn_notify = bits;
      } else if (key == "ORCPT" && eq != std::string::npos) {
        if (value.empty() || value.size() > 500 || util::HasControl(value)) {
          Error("501 5.5.4 Error: Bad ORCPT parameter syntax");
          return;
        }
        r.dsn_orcpt = value;
      } else {
        Error("555 5.5.4 Unsupported option: " + p);
        return;
      }
    }
    env_.recipients.push_back(r);
    Reply("250 2.1.5 Ok");
  }

  // Returns false when the input ended inside the message.
  bool Data() {
    auto sub = Submission::Start(cfg_, env_);
    if (!sub.ok()) {
      msg::Warn("%s", sub.status().message().c_str());
      Error("451 4.3.0 Error: queue file write error");
      return true;
    }
    Reply("354 End data with <CR><LF>.<CR><LF>");
    if (!Flush()) return false;
    bool too_big = false;
    LineReader::Piece p;
    for (;;) {
      util::StatusOr<bool> got = in_.Next(&p);
      if (!got.ok() || !*got) {  // the client went away: nothing is queued
        (*sub)->Abort();
        ResetTransaction();
        return false;
      }
      std::string_view data = p.data;
      if (p.first && !data.empty() && data[0] == '.') {
        if (p.complete && data.size() == 1) break;
        data.remove_prefix(1);
      }
      if (too_big) continue;
      (*sub)->Line(data, p.complete);
      if (size_limit_ > 0 && (*sub)->size() > static_cast<uint64_t>(size_limit_)) too_big = true;
    }
    if (too_big) {
      (*sub)->Abort();
      Error("552 5.3.4 Message size exceeds fixed limit");
    } else {
      Submission::Outcome done = (*sub)->Finish();
      if (done.exit_status == 0) {
        Reply("250 2.0.0 Ok: queued as " + done.queue_id);
      } else if (done.exit_status == EX_DATAERR) {
        Error("554 5.6.0 Error: " + done.reason);
      } else {
        Error("451 4.3.0 Error: " + done.reason);
      }
    }
    ResetTransaction();
    return true;
  }

  const config::Config& cfg_;
  const Envelope& defaults_;
  LineReader& in_;
  int out_;
  std::string out_buf_;
  std::string hostname_;
  long long size_limit_ = 0;
  int errors_ = 0;
  bool in_mail_ = false;
  Envelope env_;
};

}  // namespace

int RunSmtp(const config::Config& cfg, const Envelope& defaults, LineReader& in, int out_fd) {
  Session session(cfg, defaults, in, out_fd);
  return session.Run();
}

}  // namespace sendmail
