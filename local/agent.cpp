#include "local/agent.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <map>

#include "global/alias_syntax.h"
#include "global/mail_copy.h"
#include "global/mailbox_identity.h"
#include "local/command.h"
#include "util/mac_expand.h"
#include "util/msg.h"
#include "util/strings.h"

namespace local_agent {

using mailbox::Result;

namespace {

constexpr int kMaxLevel = 20;

std::optional<Account> GetAccount(const std::string& name) {
  struct passwd pw, *res = nullptr;
  std::vector<char> buf(16384);
  if (getpwnam_r(name.c_str(), &pw, buf.data(), buf.size(), &res) != 0 || res == nullptr)
    return std::nullopt;
  return Account{pw.pw_name, pw.pw_dir, pw.pw_shell, pw.pw_uid, pw.pw_gid};
}

std::optional<Account> GetAccount(uid_t uid) {
  struct passwd pw, *res = nullptr;
  std::vector<char> buf(16384);
  if (getpwuid_r(uid, &pw, buf.data(), buf.size(), &res) != 0 || res == nullptr)
    return std::nullopt;
  return Account{pw.pw_name, pw.pw_dir, pw.pw_shell, pw.pw_uid, pw.pw_gid};
}

// Reads a whole file as the given identity; nullopt when it does not exist
// (or cannot be read: *err says why).
std::optional<std::string> ReadAs(const std::string& path, uid_t uid, gid_t gid, int* err,
                                  struct stat* st) {
  auto as = mailbox::Identity::Assume(uid, gid);
  *err = 0;
  if (!as.ok()) {
    *err = EPERM;
    return std::nullopt;
  }
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    *err = errno;
    return std::nullopt;
  }
  fstat(fd, st);
  std::string out;
  char buf[8192];
  ssize_t n;
  while ((n = read(fd, buf, sizeof(buf))) > 0) out.append(buf, static_cast<size_t>(n));
  close(fd);
  return out;
}

// The targets of a .forward or :include: file: lines, '#' comments,
// comma- or newline-separated.
std::vector<std::string> FileTargets(const std::string& text) {
  std::vector<std::string> out;
  for (const std::string& line : util::SplitAny(text, "\n")) {
    std::string_view t = util::Trim(line);
    if (t.empty() || t[0] == '#') continue;
    for (std::string& x : alias_syntax::SplitTargets(t)) out.push_back(std::move(x));
  }
  return out;
}

// local(8)'s expansion names for forward_path, luser_relay,
// mailbox_command and command_execution_directory.
util::MacLookup LocalVars(const Account* acct, const std::string& user, const std::string& ext,
                          const std::string& domain, const std::string& delimiter,
                          const std::string& recipient) {
  std::string local = ext.empty() ? user : user + delimiter.substr(0, 1) + ext;
  Account a = acct ? *acct : Account{};
  return [=](std::string_view n) -> std::optional<std::string> {
    if (n == "user") return acct ? a.name : user;
    if (n == "home") return a.dir;
    if (n == "shell") return a.shell;
    if (n == "extension") return ext;
    if (n == "domain") return domain;
    if (n == "recipient_delimiter") return delimiter;
    if (n == "local") return local;
    if (n == "recipient") return recipient;
    return std::nullopt;  // expands to nothing, as in Postfix
  };
}

}  // namespace

struct Agent::State {
  const Delivery* d = nullptr;
  std::set<std::string> done;  // local addresses delivered
  // (sender, forwarding address) -> recipients
  std::map<std::pair<std::string, std::string>, std::vector<std::string>> fwd;
  // Outcomes, each for the address being delivered when it was made.
  struct Results {
    State* s;
    std::vector<Target> v;
    void push_back(Result r, std::string relay = "", bool reported = false) {
      v.push_back({s->current, std::move(r), std::move(relay), reported});
    }
  } results{this, {}};
  std::string current;  // the local address being expanded or delivered
  std::string sender;   // for forwarding (owner- aliases change it)
};

util::StatusOr<std::unique_ptr<Agent>> Agent::Create(const config::Config& cfg) {
  std::unique_ptr<Agent> a(new Agent());
  a->cfg_ = &cfg;
  auto al = maps::Maps::FromParameter(cfg, "alias_maps");
  if (!al.ok()) return al.status();
  a->aliases_ = std::move(*al);
  // No $n substitution from regexp tables in transports and commands.
  auto tm = maps::Maps::FromParameter(cfg, "mailbox_transport_maps",
                                      tables::kDefaultLookupFlags | tables::kNoRegsub);
  if (!tm.ok()) return tm.status();
  a->mailbox_transport_maps_ = std::move(*tm);
  auto fm = maps::Maps::FromParameter(cfg, "fallback_transport_maps",
                                      tables::kDefaultLookupFlags | tables::kNoRegsub);
  if (!fm.ok()) return fm.status();
  a->fallback_transport_maps_ = std::move(*fm);
  auto cm =
      maps::Maps::FromParameter(cfg, "mailbox_command_maps",
                                tables::kDefaultLookupFlags | tables::kNoRegsub | tables::kNoProxy);
  if (!cm.ok()) return cm.status();
  a->mailbox_command_maps_ = std::move(*cm);
  a->mailbox_transport_ = cfg.Get("mailbox_transport");
  a->fallback_transport_ = cfg.Get("fallback_transport");
  auto ld = resolve_local::LocalDomains::FromConfig(cfg);
  if (!ld.ok()) return ld.status();
  a->local_domains_ = std::move(*ld);
  a->delimiter_ = cfg.Get("recipient_delimiter");
  a->myorigin_ = cfg.Get("myorigin");
  a->forward_path_ = cfg.Raw("forward_path").value_or("");
  a->command_dir_ = cfg.Raw("command_execution_directory").value_or("");
  a->mailbox_command_ = cfg.Raw("mailbox_command").value_or("");
  a->home_mailbox_ = cfg.Get("home_mailbox");
  a->spool_ = cfg.Get("mail_spool_directory");
  a->luser_relay_ = cfg.Raw("luser_relay").value_or("");
  a->shell_ = cfg.Get("local_command_shell");
  if (a->shell_.empty()) a->shell_ = "/bin/sh";
  a->default_privs_ = cfg.Get("default_privs");
  a->expansion_filter_ = cfg.Raw("command_expansion_filter").value_or("");
  a->export_env_ = util::SplitAny(cfg.Get("export_environment"), ", \t\r\n");
  auto lower_list = [&](config::AnyParam p) {
    std::vector<std::string> v = util::SplitAny(cfg.Get(p), ", \t\r\n");
    for (std::string& x : v) x = util::Lowercase(x);
    return v;
  };
  a->to_commands_ = lower_list("allow_mail_to_commands");
  a->to_files_ = lower_list("allow_mail_to_files");
  a->delivered_header_ = lower_list("prepend_delivered_header");
  for (const std::string& x : lower_list("propagate_unmatched_extensions"))
    a->propagate_alias_ext_ |= x == "alias";
  a->owner_request_special_ = cfg.GetBool("owner_request_special");
  a->expand_owner_alias_ = cfg.GetBool("expand_owner_alias");
  a->time_limit_ = cfg.GetTime("command_time_limit");
  std::string bad;
  auto locks = mailbox::ParseLockMethods(cfg.Get("mailbox_delivery_lock"), &bad);
  if (!locks) return util::FailedPrecondition("unknown mailbox_delivery_lock method: " + bad);
  a->mbox_.locks = *locks;
  a->mbox_.size_limit = static_cast<uint64_t>(cfg.GetInt("mailbox_size_limit"));
  a->mbox_.lock_attempts = static_cast<int>(cfg.GetInt("deliver_lock_attempts"));
  a->mbox_.lock_delay_ms = static_cast<int>(cfg.GetTime("deliver_lock_delay") * 1000);
  a->mbox_.stale_lock_seconds = static_cast<int>(cfg.GetTime("stale_lock_time"));
  a->maildir_.hostname = mailbox::SafeHostname(cfg.Get("myhostname"));
  a->maildir_.file_limit = a->mbox_.size_limit;
  a->maildir_.queue_device = mailbox::QueueDevice(cfg.Get("queue_directory"));
  return a;
}

bool Agent::Allowed(const std::vector<std::string>& list, const char* cls) const {
  return std::find(list.begin(), list.end(), cls) != list.end();
}

Agent::Privs Agent::DefaultPrivs() {
  if (auto acct = GetAccount(default_privs_)) return {acct->uid, acct->gid, acct->name};
  return {65534, 65534, ""};
}

Agent::Privs Agent::UserPrivs(const Account& acct) {
  if (acct.uid == 0) return DefaultPrivs();  // never run anything as root
  return {acct.uid, acct.gid, acct.name};
}

Agent::Privs Agent::AliasPrivs() {
  // The owner of the first file-based alias database, unless root.
  for (const std::string& spec : util::SplitAny(cfg_->Get("alias_maps"), ", \t\r\n")) {
    size_t colon = spec.find(':');
    if (colon == std::string::npos) continue;
    std::string type = spec.substr(0, colon), name = spec.substr(colon + 1);
    std::string path = type == "hash" || type == "btree" ? name + ".db"
                       : type == "lmdb"                  ? name + ".lmdb"
                       : type == "cdb"                   ? name + ".cdb"
                                                         : name;
    struct stat st;
    if (name.empty() || name[0] != '/' || stat(path.c_str(), &st) < 0) continue;
    if (st.st_uid != 0) {
      if (auto acct = GetAccount(st.st_uid)) return {acct->uid, acct->gid, acct->name};
      return {st.st_uid, st.st_gid, ""};
    }
    break;
  }
  return DefaultPrivs();
}

std::vector<Target> Agent::Deliver(const Delivery& d) {
  State s;
  s.d = &d;
  s.sender = d.message.sender;
  s.current = d.message.recipient;
  DeliverAddress(s, d.message.recipient, 0);
  for (auto& [key, rcpts] : s.fwd) {
    s.current = key.second;
    util::StatusOr<bool> loop = mailbox::HasDeliveredTo(d.message, d.message.recipient);
    if (!loop.ok()) {
      s.results.push_back(Result::Defer("4.3.0", loop.status().message()));
      continue;
    }
    if (*loop) {
      s.results.push_back(
          Result::Bounce("5.4.6", "mail forwarding loop for " + d.message.recipient));
      continue;
    }
    util::StatusOr<std::string> id =
        d.forward(key.first, rcpts,
                  Allowed(delivered_header_, "forward") ? d.message.recipient : std::string());
    if (!id.ok())
      s.results.push_back(Result::Defer("4.3.0", "cannot forward: " + id.status().message()));
    else
      s.results.push_back(Result::Sent("forwarded as " + *id));
  }
  if (s.results.v.empty()) {  // e.g. an alias to itself only
    s.current = d.message.recipient;
    s.results.push_back(Result::Sent("discarded"));
  }
  return std::move(s.results.v);
}

void Agent::DeliverAddress(State& s, const std::string& addr, int level) {
  size_t at = addr.rfind('@');
  std::string local = at == std::string::npos ? addr : addr.substr(0, at);
  // Unqualified names get $myorigin, as cleanup would give them.
  std::string domain = util::Lowercase(at == std::string::npos ? myorigin_ : addr.substr(at + 1));
  if (!domain.empty()) {
    util::StatusOr<bool> mine = local_domains_.IsLocal(domain);
    if (!mine.ok()) {
      s.results.push_back(Result::Defer("4.3.0", "mail system configuration error"));
      return;
    }
    if (!*mine) {
      Forward(s, addr);
      return;
    }
  }
  DeliverLocal(s, local, domain, level);
}

void Agent::Forward(State& s, const std::string& addr) {
  std::vector<std::string>& list = s.fwd[{s.sender, s.current}];
  if (std::find(list.begin(), list.end(), addr) == list.end()) list.push_back(addr);
}

void Agent::DeliverLocal(State& s, const std::string& local_in, const std::string& domain,
                         int level) {
  std::string full = s.d->message.recipient;
  if (level > kMaxLevel) {
    s.results.push_back(Result::Bounce("5.4.6", "mail forwarding loop for " + full));
    return;
  }
  std::string local = util::Lowercase(local_in);
  if (!s.done.insert(local + "@" + domain).second) return;  // already delivered
  std::string saved_current = s.current;
  if (level > 0) s.current = domain.empty() ? local_in : local_in + "@" + domain;
  struct Restore {
    std::string& ref;
    std::string value;
    ~Restore() { ref = value; }
  } restore{s.current, saved_current};
  // user+ext
  std::string user = local, ext;
  bool special =
      owner_request_special_ && (local.starts_with("owner-") || local.ends_with("-request"));
  if (!delimiter_.empty() && !special) {
    size_t p = local.find_first_of(delimiter_);
    if (p != std::string::npos && p > 0) {
      user = local.substr(0, p);
      ext = local.substr(p + 1);
    }
  }
  // 1. aliases
  for (const std::string& key :
       ext.empty() ? std::vector<std::string>{local} : std::vector<std::string>{local, user}) {
    tables::LookupResult r = aliases_.Find(key);
    if (r.temp_error()) {
      msg::Warn("alias database lookup of %s: %s", key.c_str(), r.value.c_str());
      s.results.push_back(Result::Defer("4.3.0", "alias database unavailable"));
      return;
    }
    if (!r.found()) continue;
    std::string saved_sender = s.sender;
    tables::LookupResult owner = aliases_.Find("owner-" + key);
    if (owner.found()) {
      std::vector<std::string> t = alias_syntax::SplitTargets(owner.value);
      s.sender = expand_owner_alias_ && t.size() == 1 ? t[0] : "owner-" + key + "@" + myorigin_;
    }
    std::string unmatched = key == local ? "" : ext;
    DeliverTargets(s, alias_syntax::SplitTargets(r.value), key, domain, AliasPrivs(), "alias",
                   propagate_alias_ext_ ? unmatched : "", level);
    s.sender = saved_sender;
    return;
  }
  DeliverUser(s, user, ext, domain, level);
}

void Agent::DeliverTargets(State& s, const std::vector<std::string>& targets,
                           const std::string& self, const std::string& domain, const Privs& privs,
                           const char* cls, const std::string& ext, int level) {
  std::string cls_s = cls;
  for (std::string t : targets) {
    bool keep = !t.empty() && t[0] == '\\';
    if (keep) t.erase(0, 1);
    if (t.empty()) continue;
    if (t[0] == '|') {
      if (!Allowed(to_commands_, cls)) {
        s.results.push_back(Result::Bounce("5.7.1", "mail to command is restricted"));
        continue;
      }
      std::optional<Account> acct = privs.user.empty() ? std::nullopt : GetAccount(privs.user);
      CommandSpec c;
      c.command = t.substr(1);
      c.shell = shell_;
      c.uid = privs.uid;
      c.gid = privs.gid;
      c.user = privs.user;
      c.cwd = acct ? acct->dir : "/";
      c.time_limit = time_limit_;
      c.env = {"PATH=/usr/bin:/bin", "SENDER=" + s.d->message.sender,
               "RECIPIENT=" + s.d->message.recipient,
               "ORIGINAL_RECIPIENT=" + s.d->message.original};
      for (const std::string& n : export_env_)
        if (const char* v = getenv(n.c_str())) c.env.push_back(n + "=" + v);
      if (acct) {
        c.env.push_back("HOME=" + acct->dir);
        c.env.push_back("USER=" + acct->name);
        c.env.push_back("LOGNAME=" + acct->name);
      }
      mailbox::Message m = s.d->message;
      m.delivered_to = Allowed(delivered_header_, "command");
      s.results.push_back(RunCommand(c, [&](int fd) {
        mailbox::FileWriter w(fd, 0);
        mailbox::CopyResult cr = mailbox::CopyMessage(m, mailbox::CopyStyle::kCommand, &w);
        return cr.err;
      }));
      continue;
    }
    if (t[0] == '/' && t.back() != '/') {
      if (!Allowed(to_files_, cls)) {
        s.results.push_back(Result::Bounce("5.7.1", "mail to file is restricted"));
        continue;
      }
      mailbox::Message m = s.d->message;
      m.delivered_to = Allowed(delivered_header_, "file");
      auto as = mailbox::Identity::Assume(privs.uid, privs.gid);
      if (!as.ok()) {
        s.results.push_back(Result::Defer("4.3.0", as.status().message()));
        continue;
      }
      // No dotlock for files: their directory is seldom writable by the
      // writer (Postfix lets a file's dotlock fail); the kernel locks stay.
      mailbox::MboxOptions fo = mbox_;
      std::erase(fo.locks, mailbox::LockMethod::kDotlock);
      Result r = mailbox::DeliverMbox(m, t, fo);
      if (r.outcome == mailbox::Outcome::kSent) r.text = "delivered to file: " + t;
      s.results.push_back(r);
      continue;
    }
    if (t.starts_with(":include:")) {
      std::string path(util::Trim(t.substr(9)));
      int err;
      struct stat st = {};
      std::optional<std::string> text = ReadAs(path, privs.uid, privs.gid, &err, &st);
      if (!text) {
        s.results.push_back(
            Result::Defer("4.3.0", "cannot open include file " + path + ": " + strerror(err)));
        continue;
      }
      Privs p = privs;
      if (st.st_uid != 0) {
        auto acct = GetAccount(st.st_uid);
        p = {st.st_uid, st.st_gid, acct ? acct->name : ""};
      }
      DeliverTargets(s, FileTargets(*text), self, domain, p, "include", ext, level + 1);
      continue;
    }
    // An address: the alias (or .forward owner) itself goes to the mailbox.
    std::string lt = util::Lowercase(t);
    std::string self_at = self + "@" + domain;
    if (keep || lt == self || lt == self_at) {
      if (cls_s == "alias") {
        DeliverUser(s, self, "", domain, level + 1);
      } else {
        DeliverMailbox(s, self, ext, domain);
      }
      continue;
    }
    if (!ext.empty() && !delimiter_.empty()) {
      size_t at = t.rfind('@');
      t = at == std::string::npos ? t + delimiter_[0] + ext
                                  : t.substr(0, at) + delimiter_[0] + ext + t.substr(at);
    }
    DeliverAddress(s, t, level + 1);
  }
}

void Agent::DeliverUser(State& s, const std::string& user, const std::string& ext,
                        const std::string& domain, int level) {
  std::optional<Account> acct = GetAccount(user);
  if (!acct) {
    DeliverMailbox(s, user, ext, domain);  // mailbox_transport, else unknown
    return;
  }
  // .forward
  auto vars = LocalVars(&*acct, user, ext, domain, delimiter_, s.d->message.recipient);
  for (const std::string& raw : util::SplitAny(forward_path_, ",\n")) {
    std::string path(util::Trim(util::MacExpand(util::Trim(raw), vars)));
    if (path.empty()) continue;
    int err;
    struct stat st = {};
    std::optional<std::string> text = ReadAs(path, acct->uid, acct->gid, &err, &st);
    if (!text) {
      if (err == ENOENT || err == ENOTDIR) continue;
      s.results.push_back(
          Result::Defer("4.3.0", "cannot open forward file " + path + ": " + strerror(err)));
      return;
    }
    std::vector<std::string> targets = FileTargets(*text);
    if (targets.empty()) continue;
    std::string saved = s.sender;
    DeliverTargets(s, targets, user, domain, UserPrivs(*acct), "forward", "", level);
    s.sender = saved;
    return;
  }
  DeliverMailbox(s, user, ext, domain);
}

bool Agent::PassTo(State& s, maps::Maps& maps, const std::string& fallback,
                   const std::string& user) {
  std::string service = fallback;
  tables::LookupResult r = maps.Find(user);
  if (r.temp_error()) {
    s.results.push_back(Result::Defer("4.3.0", "table lookup failure"));
    return true;
  }
  if (r.found()) service = r.value;
  if (service.empty()) return false;
  deliver_pass::Result p = s.d->pass(service, s.current);
  switch (p.outcome) {
    case deliver_pass::Outcome::kDone:
      s.results.push_back(Result::Sent(""), "", true);
      break;
    case deliver_pass::Outcome::kDeferred:
      s.results.push_back(Result::Defer("", ""), "", true);
      break;
    case deliver_pass::Outcome::kFailed:
      s.results.push_back(Result::Defer(p.dsn, p.text), "none");
      break;
  }
  return true;
}

void Agent::DeliverUnknown(State& s, const std::string& user, const std::string& ext,
                           const std::string& domain) {
  if (PassTo(s, fallback_transport_maps_, fallback_transport_, user)) return;
  if (!luser_relay_.empty()) {
    std::string relay = util::MacExpand(
        luser_relay_, LocalVars(nullptr, user, ext, domain, delimiter_, s.d->message.recipient));
    Forward(s, relay);
    return;
  }
  if (user == "postmaster" || user == "mailer-daemon") {
    msg::Warn("required alias not found: %s", user.c_str());
    s.results.push_back(Result::Sent("discarded"));
    return;
  }
  s.results.push_back(Result::Bounce("5.1.1", "unknown user: \"" + user + "\""));
}

void Agent::DeliverMailbox(State& s, const std::string& user, const std::string& ext,
                           const std::string& domain) {
  mailbox::Message m = s.d->message;
  std::string local = ext.empty() ? user : user + delimiter_.substr(0, 1) + ext;
  m.recipient = domain.empty() ? local : local + "@" + domain;
  // The mailbox's own address, unless it is the recipient as given.
  std::string saved_current = s.current;
  if (!util::EqualsIgnoreCase(m.recipient, s.current)) s.current = m.recipient;
  struct Restore {
    std::string& ref;
    std::string value;
    ~Restore() { ref = value; }
  } restore{s.current, saved_current};
  if (PassTo(s, mailbox_transport_maps_, mailbox_transport_, user)) return;
  std::optional<Account> acct = GetAccount(user);
  if (!acct) {
    DeliverUnknown(s, user, ext, domain);
    return;
  }
  std::string command = mailbox_command_;
  tables::LookupResult found = mailbox_command_maps_.Find(user);
  if (found.temp_error()) {
    s.results.push_back(Result::Defer("4.3.0", "table lookup failure"));
    return;
  }
  if (found.found()) command = found.value;
  auto vars = LocalVars(&*acct, user, ext, domain, delimiter_, s.d->message.recipient);
  if (!command.empty()) {
    m.delivered_to = Allowed(delivered_header_, "command");
    CommandSpec c;
    c.command = util::MacExpand(command, vars, expansion_filter_);
    c.shell = shell_;
    Privs p = UserPrivs(*acct);
    c.uid = p.uid;
    c.gid = p.gid;
    c.user = p.user;
    c.cwd =
        command_dir_.empty() ? acct->dir : util::MacExpand(command_dir_, vars, expansion_filter_);
    c.time_limit = time_limit_;
    c.env = {"PATH=/usr/bin:/bin",
             "HOME=" + acct->dir,
             "USER=" + acct->name,
             "LOGNAME=" + acct->name,
             "SHELL=" + acct->shell,
             "SENDER=" + m.sender,
             "RECIPIENT=" + m.recipient,
             "LOCAL=" + local,
             "DOMAIN=" + domain,
             "EXTENSION=" + ext,
             "ORIGINAL_RECIPIENT=" + m.original};
    for (const std::string& n : export_env_)
      if (const char* v = getenv(n.c_str())) c.env.push_back(n + "=" + v);
    s.results.push_back(RunCommand(c, [&](int fd) {
      mailbox::FileWriter w(fd, 0);
      return mailbox::CopyMessage(m, mailbox::CopyStyle::kCommand, &w).err;
    }));
    return;
  }
  std::string path;
  if (!home_mailbox_.empty()) {
    path = acct->dir + "/" + home_mailbox_;
  } else {
    path = spool_;
    bool maildir = !path.empty() && path.back() == '/';
    path = (maildir ? path : path + "/") + user + (maildir ? "/" : "");
  }
  auto as = mailbox::Identity::Assume(acct->uid, acct->gid);
  if (!as.ok()) {
    s.results.push_back(Result::Defer("4.3.0", as.status().message()));
    return;
  }
  if (path.back() == '/')
    s.results.push_back(mailbox::DeliverMaildir(m, path, maildir_));
  else
    s.results.push_back(mailbox::DeliverMbox(m, path, mbox_));
}

}  // namespace local_agent
