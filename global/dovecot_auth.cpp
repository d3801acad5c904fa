#include "global/dovecot_auth.h"

#include <unistd.h>

#include "util/base64.h"
#include "util/sockets.h"
#include "util/strings.h"

namespace dovecot_auth {
namespace {

constexpr size_t kMaxLine = 65536;

// Protocol values may not carry TAB or line breaks; Dovecot escapes them
// with \t \n \1 ... We send only values without them and unescape the
// ones we read (user=, reason=).
std::string Unescape(std::string_view v) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i] != '\\' || i + 1 == v.size()) {
      out += v[i];
      continue;
    }
    char c = v[++i];
    switch (c) {
      case 't':
        out += '\t';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case '1':
        out += '\001';
        break;
      default:
        out += c;
        break;
    }
  }
  return out;
}

// A value copied into a request line: TAB and line breaks removed.
std::string Clean(std::string_view v) {
  std::string out;
  for (char c : v)
    if (c != '\t' && c != '\n' && c != '\r') out += c;
  return out;
}

std::optional<unsigned long> ParseId(std::string_view s) {
  if (s.empty() || s.size() > 9 || !util::AllDigits(s)) return std::nullopt;
  unsigned long id = std::stoul(std::string(s));
  if (id == 0) return std::nullopt;
  return id;
}

}  // namespace

util::StatusOr<Security> ParseSecurity(std::string_view value) {
  Security s;
  for (const std::string& w : util::SplitAny(value, " \t,")) {
    std::string l = util::Lowercase(w);
    if (l == "noanonymous")
      s.noanonymous = true;
    else if (l == "noplaintext")
      s.noplaintext = true;
    else if (l == "noactive")
      s.noactive = true;
    else if (l == "nodictionary")
      s.nodictionary = true;
    else if (l == "forward_secrecy")
      s.forward_secrecy = true;
    else if (l == "mutual_auth")
      s.mutual_auth = true;
    else
      return util::InvalidArgument("unknown SASL security option: \"" + w + "\"");
  }
  return s;
}

std::vector<std::string> Filter(const std::vector<Mech>& mechs, const Security& sec) {
  std::vector<std::string> out;
  for (const Mech& m : mechs) {
    if (m.private_mech) continue;
    if (sec.noanonymous && m.anonymous) continue;
    if (sec.noplaintext && m.plaintext) continue;
    if (sec.noactive && m.active) continue;
    if (sec.nodictionary && m.dictionary) continue;
    if (sec.forward_secrecy && !m.forward_secrecy) continue;
    if (sec.mutual_auth && !m.mutual_auth) continue;
    out.push_back(m.name);
  }
  return out;
}

Handshake::State Handshake::Feed(std::string_view line) {
  if (state_ != State::kMore) return state_;
  std::vector<std::string> f = util::Split(line, '\t');
  if (f.empty() || f[0].empty()) return state_;
  const std::string& verb = f[0];
  if (verb == "VERSION") {
    if (f.size() < 3 || f[1] != "1") {
      error_ = "authentication server protocol version mismatch: " +
               util::Printable(line.substr(0, 100));
      return state_ = State::kError;
    }
    version_ = true;
  } else if (verb == "MECH") {
    if (f.size() < 2 || f[1].empty() || f[1].size() > 64) {
      error_ = "malformed MECH line from authentication server";
      return state_ = State::kError;
    }
    for (char c : f[1]) {
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_')) {
        error_ = "malformed MECH line from authentication server";
        return state_ = State::kError;
      }
    }
    Mech m;
    m.name = util::Uppercase(f[1]);
    for (size_t i = 2; i < f.size(); ++i) {
      const std::string& flag = f[i];
      if (flag == "anonymous")
        m.anonymous = true;
      else if (flag == "plaintext")
        m.plaintext = true;
      else if (flag == "dictionary")
        m.dictionary = true;
      else if (flag == "active")
        m.active = true;
      else if (flag == "forward-secrecy")
        m.forward_secrecy = true;
      else if (flag == "mutual-auth")
        m.mutual_auth = true;
      else if (flag == "private")
        m.private_mech = true;
    }
    if (mechs_.size() < 100) mechs_.push_back(std::move(m));
  } else if (verb == "DONE") {
    if (!version_) {
      error_ = "authentication server sent DONE without VERSION";
      return state_ = State::kError;
    }
    return state_ = State::kDone;
  }
  return state_;  // SPID, CUID, COOKIE and unknown lines
}

std::optional<Reply> ParseReply(std::string_view line) {
  std::vector<std::string> f = util::Split(line, '\t');
  if (f.size() < 2) return std::nullopt;
  Reply r;
  if (f[0] == "OK")
    r.kind = Reply::Kind::kOk;
  else if (f[0] == "CONT")
    r.kind = Reply::Kind::kCont;
  else if (f[0] == "FAIL")
    r.kind = Reply::Kind::kFail;
  else
    return std::nullopt;
  std::optional<unsigned long> id = ParseId(f[1]);
  if (!id) return std::nullopt;
  r.id = *id;
  if (r.kind == Reply::Kind::kCont) {
    r.data = f.size() > 2 ? f[2] : "";
    if (!util::base64::Valid(r.data)) return std::nullopt;
    return r;
  }
  for (size_t i = 2; i < f.size(); ++i) {
    std::string_view p = f[i];
    if (p.rfind("user=", 0) == 0)
      r.user = util::ReplaceControls(Unescape(p.substr(5)));
    else if (p.rfind("reason=", 0) == 0)
      r.reason = util::ReplaceControls(Unescape(p.substr(7)));
    else if (p == "temp")
      r.temp = true;
  }
  return r;
}

std::string Endpoint(const config::Config& cfg, std::string_view path) {
  if (path.rfind("inet:", 0) == 0 || path.rfind("/", 0) == 0) return std::string(path);
  if (path.rfind("unix:", 0) == 0) path.remove_prefix(5);
  if (path.rfind("/", 0) == 0) return std::string(path);
  return cfg.Get("queue_directory") + "/" + std::string(path);
}

Client::Client(std::string endpoint, std::chrono::milliseconds timeout)
    : endpoint_(std::move(endpoint)), timeout_(timeout) {}

util::Status Client::Connect() {
  if (conn_) return util::OkStatus();
  util::StatusOr<util::Fd> fd = util::ConnectEndpoint(endpoint_, timeout_);
  if (!fd.ok())
    return util::Unavailable("connect to Dovecot auth socket '" + endpoint_ +
                             "': " + fd.status().message());
  auto s = std::make_unique<util::Stream>(std::move(*fd));
  s->set_timeout(timeout_);
  s->WriteF("VERSION\t1\t2\nCPID\t%ld\n", static_cast<long>(getpid()));
  util::Status st = s->Flush();
  if (!st.ok()) return util::Unavailable("write to Dovecot auth socket: " + st.message());
  Handshake h;
  for (;;) {
    std::string line;
    st = s->ReadLine(&line, kMaxLine);
    if (!st.ok())
      return util::Unavailable("read from Dovecot auth socket '" + endpoint_ +
                               "': " + st.message());
    Handshake::State hs = h.Feed(line);
    if (hs == Handshake::State::kError) return util::Unavailable(h.error());
    if (hs == Handshake::State::kDone) break;
  }
  mechs_ = h.mechs();
  conn_ = std::move(s);
  id_ = 0;
  return util::OkStatus();
}

util::StatusOr<std::vector<Mech>> Client::Mechanisms() {
  util::Status st = Connect();
  if (!st.ok()) return st;
  return mechs_;
}

Step Client::TempFail(const std::string& why) {
  conn_.reset();
  id_ = 0;
  Step s;
  s.kind = Step::Kind::kTempFail;
  s.reason = why;
  return s;
}

Step Client::Exchange(const std::string& line) {
  conn_->Write(line);
  util::Status st = conn_->Flush();
  if (!st.ok()) return TempFail("write to Dovecot auth socket: " + st.message());
  // Answers to older (aborted) requests are skipped, but not endlessly.
  for (int skipped = 0;; ++skipped) {
    if (skipped > 100) return TempFail("too many unexpected replies from Dovecot auth server");
    std::string in;
    st = conn_->ReadLine(&in, kMaxLine);
    if (!st.ok()) return TempFail("read from Dovecot auth socket: " + st.message());
    std::optional<Reply> r = ParseReply(in);
    if (!r) return TempFail("malformed reply from Dovecot auth server");
    if (r->id != id_) continue;  // an old request's answer
    Step s;
    switch (r->kind) {
      case Reply::Kind::kCont:
        s.kind = Step::Kind::kContinue;
        s.challenge = r->data;
        return s;
      case Reply::Kind::kOk:
        id_ = 0;
        if (r->user.empty()) return TempFail("Dovecot auth server sent OK without user name");
        s.kind = Step::Kind::kOk;
        s.username = r->user;
        return s;
      case Reply::Kind::kFail:
        id_ = 0;
        s.kind = r->temp ? Step::Kind::kTempFail : Step::Kind::kFail;
        s.username = r->user;
        s.reason = r->reason;
        return s;
    }
  }
}

Step Client::Start(const Request& req) {
  // A connection that died since the last use (Dovecot restarted) is
  // noticed here: drop it and connect again once.
  for (int attempt = 0; attempt < 2; ++attempt) {
    util::Status st = Connect();
    if (!st.ok()) return TempFail(st.message());
    bool known = false;
    for (const Mech& m : mechs_)
      if (util::EqualsIgnoreCase(m.name, req.mech)) known = true;
    if (!known) {
      Step s;
      s.kind = Step::Kind::kFail;
      s.reason = "Invalid authentication mechanism";
      return s;
    }
    if (req.response && !util::base64::Valid(*req.response)) {
      Step s;
      s.kind = Step::Kind::kFail;
      s.reason = "Invalid base64 data in initial response";
      return s;
    }
    id_ = ++next_id_;
    std::string line =
        util::StrFormat("AUTH\t%lu\t%s\tservice=%s\tnologin", id_,
                        Clean(util::Uppercase(req.mech)).c_str(), Clean(req.service).c_str());
    if (!req.local_ip.empty()) line += "\tlip=" + Clean(req.local_ip);
    if (!req.remote_ip.empty()) line += "\trip=" + Clean(req.remote_ip);
    if (!req.local_port.empty()) line += "\tlport=" + Clean(req.local_port);
    if (!req.remote_port.empty()) line += "\trport=" + Clean(req.remote_port);
    if (req.secured) line += "\tsecured";
    if (req.response) line += "\tresp=" + *req.response;
    line += "\n";
    Step s = Exchange(line);
    // Only a connection lost before any answer is retried.
    if (s.kind == Step::Kind::kTempFail && !conn_ && attempt == 0) continue;
    return s;
  }
  return TempFail("Dovecot auth server unavailable");
}

Step Client::Continue(std::string_view response) {
  if (!conn_ || id_ == 0) return TempFail("no authentication in progress");
  if (!util::base64::Valid(response)) {
    Step s;
    s.kind = Step::Kind::kFail;
    s.reason = "Invalid base64 data in continued response";
    id_ = 0;
    conn_.reset();  // the server still waits for this request: start afresh
    return s;
  }
  return Exchange(util::StrFormat("CONT\t%lu\t", id_) + std::string(response) + "\n");
}

}  // namespace dovecot_auth
