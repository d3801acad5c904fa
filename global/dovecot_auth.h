// dovecot_auth: the client side of Dovecot's authentication protocol (the
// "auth client" protocol of Dovecot's auth service, version 1), what smtpd
// uses for smtpd_sasl_type = dovecot. Dovecot checks the passwords (its
// passdb: passwd-file, SQL, ...); smtpd only relays the SASL exchange.
//
// The pure parts (no I/O, fuzzed by tests/fuzz/fuzz_dovecot_auth.cpp):
//   Handshake h;                         // feed the server's lines after connect
//   h.Feed("VERSION\t1\t2"); h.Feed("MECH\tPLAIN\tplaintext"); ... h.Feed("DONE")
//   std::optional<Reply> r = ParseReply("OK\t1\tuser=bob@example.jp");
//   Security sec = *ParseSecurity("noanonymous, noplaintext");
//   std::vector<std::string> names = Filter(h.mechs(), sec);   // for EHLO AUTH
//
// The connection (one per process, opened on first use, opened again after
// the server went away):
//   dovecot_auth::Client c(dovecot_auth::Endpoint(cfg, cfg.Get("smtpd_sasl_path")),
//                          std::chrono::seconds(30));
//   auto mechs = c.Mechanisms();          // error: the auth server is unreachable
//   Step s = c.Start(req);                // AUTH id mech service=smtp nologin ...
//   while (s.kind == Step::Kind::kContinue) s = c.Continue(client_base64);
//   // kOk: s.username; kFail: s.reason; kTempFail: the server is unreachable
//
// The client's responses and the server's challenges stay base64 (they are
// passed through); a response with characters outside base64 is refused
// here (kFail) so it can never inject a TAB or line break. Hostile or
// malformed server lines are errors (kTempFail), never a crash.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "global/config.h"
#include "util/status.h"
#include "util/stream.h"

namespace dovecot_auth {

// One "MECH name flags..." line of the handshake.
struct Mech {
  std::string name;  // upper case
  bool anonymous = false;
  bool plaintext = false;
  bool dictionary = false;
  bool active = false;
  bool forward_secrecy = false;
  bool mutual_auth = false;
  bool private_mech = false;  // never offered to clients
};

// smtpd_sasl_security_options / smtpd_sasl_tls_security_options.
struct Security {
  bool noanonymous = false;
  bool noplaintext = false;
  bool noactive = false;
  bool nodictionary = false;
  bool forward_secrecy = false;
  bool mutual_auth = false;
};
// Words separated by white space or commas; an unknown word is an error.
util::StatusOr<Security> ParseSecurity(std::string_view value);
// The names of the mechanisms `sec` allows, in the server's order.
std::vector<std::string> Filter(const std::vector<Mech>& mechs, const Security& sec);

// The server's greeting: VERSION (major 1), MECH lines, SPID, CUID,
// COOKIE, then DONE. Unknown lines are ignored, as the protocol asks.
class Handshake {
 public:
  enum class State { kMore, kDone, kError };
  // One line without its newline.
  State Feed(std::string_view line);
  const std::vector<Mech>& mechs() const { return mechs_; }
  const std::string& error() const { return error_; }

 private:
  State state_ = State::kMore;
  bool version_ = false;
  std::vector<Mech> mechs_;
  std::string error_;
};

// An answer to AUTH or CONT: "OK id params", "CONT id base64",
// "FAIL id params". nullopt for anything else (including a bad id).
struct Reply {
  enum class Kind { kOk, kCont, kFail };
  Kind kind = Kind::kFail;
  unsigned long id = 0;
  std::string data;    // CONT: the challenge, base64
  std::string user;    // user=
  std::string reason;  // reason=
  bool temp = false;   // FAIL with "temp"
};
std::optional<Reply> ParseReply(std::string_view line);

struct Request {
  std::string mech;
  std::string service = "smtp";
  std::string local_ip = {};
  std::string local_port = {};
  std::string remote_ip = {};
  std::string remote_port = {};
  bool secured = false;                      // TLS is on
  std::optional<std::string> response = {};  // initial response, base64 ("" for "=")
};

struct Step {
  enum class Kind { kContinue, kOk, kFail, kTempFail };
  Kind kind = Kind::kTempFail;
  std::string challenge;  // kContinue: base64
  std::string username;   // kOk; kFail when the server named the user
  std::string reason;     // kFail, kTempFail
};

// What smtpd needs from an authentication server (tests fake it).
class Authenticator {
 public:
  virtual ~Authenticator() = default;
  // The server's mechanisms; an error when it cannot be reached.
  virtual util::StatusOr<std::vector<Mech>> Mechanisms() = 0;
  virtual Step Start(const Request& req) = 0;
  // The client's answer to the last challenge (base64).
  virtual Step Continue(std::string_view response) = 0;
};

// The auth socket named by `path` (smtpd_sasl_path): "inet:host:port",
// "unix:/path", an absolute path, or a path relative to queue_directory.
std::string Endpoint(const config::Config& cfg, std::string_view path);

class Client : public Authenticator {
 public:
  Client(std::string endpoint, std::chrono::milliseconds timeout);
  util::StatusOr<std::vector<Mech>> Mechanisms() override;
  Step Start(const Request& req) override;
  Step Continue(std::string_view response) override;

 private:
  util::Status Connect();
  Step Exchange(const std::string& line);
  Step TempFail(const std::string& why);

  std::string endpoint_;
  std::chrono::milliseconds timeout_;
  std::unique_ptr<util::Stream> conn_;
  std::vector<Mech> mechs_;
  unsigned long next_id_ = 0;
  unsigned long id_ = 0;  // the request in progress, 0: none
};

}  // namespace dovecot_auth
