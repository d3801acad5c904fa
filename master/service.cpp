#include "master/service.h"

#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <set>

#include "util/fd.h"
#include "util/msg.h"
#include "util/strings.h"

namespace master {
namespace {

util::StatusOr<std::string> Param(const config::Config& cfg, std::string_view name) {
  std::optional<std::string> raw = cfg.Raw(name);
  if (!raw) return std::string();
  auto v = cfg.Expand(*raw);
  if (!v.ok()) return util::FailedPrecondition(std::string(name) + ": " + v.status().message());
  return *v;
}

std::string JoinPath(const std::string& dir, const std::string& name) {
  if (!name.empty() && name.front() == '/') return name;
  return dir + "/" + name;
}

util::Status AddTcp(std::string_view host, int port, util::InetProtocols protocols,
                    std::vector<Endpoint>* out) {
  auto addrs = util::Resolve(host, port, protocols);
  if (!addrs.ok()) return addrs.status();
  for (const util::SockAddr& a : *addrs) {
    Endpoint e;
    e.kind = Endpoint::Kind::kTcp;
    e.addr = a;
    out->push_back(e);
  }
  return util::OkStatus();
}

util::Status InetEndpoints(const std::string& name, const Settings& s, std::vector<Endpoint>* out) {
  auto hp = util::ParseHostPort(name, util::BareWord::kPort);
  if (!hp.ok()) return hp.status();
  if (!hp->has_port) return util::InvalidArgument("missing port number in \"" + name + "\"");
  if (!hp->host.empty()) return AddTcp(hp->host, hp->port, s.protocols, out);
  for (const std::string& item : s.inet_interfaces) {
    std::string lower = util::Lowercase(item);
    util::Status st;
    if (lower == "all") {
      st = AddTcp("", hp->port, s.protocols, out);
    } else if (lower == "loopback-only") {
      if (s.protocols != util::InetProtocols::kIpv6)
        st = AddTcp("127.0.0.1", hp->port, util::InetProtocols::kIpv4, out);
      if (st.ok() && s.protocols != util::InetProtocols::kIpv4)
        st = AddTcp("::1", hp->port, util::InetProtocols::kIpv6, out);
    } else {
      std::string host = item;
      if (host.size() > 2 && host.front() == '[' && host.back() == ']')
        host = host.substr(1, host.size() - 2);
      st = AddTcp(host, hp->port, s.protocols, out);
    }
    if (!st.ok()) return util::FailedPrecondition("inet_interfaces: " + st.message());
  }
  if (out->empty()) return util::FailedPrecondition("inet_interfaces: no usable address");
  return util::OkStatus();
}

}  // namespace

util::StatusOr<Settings> LoadSettings(const config::Config& cfg) {
  Settings s;
  for (auto [name, field] : {std::pair{"daemon_directory", &s.daemon_directory},
                             std::pair{"queue_directory", &s.queue_directory}}) {
    auto v = Param(cfg, name);
    if (!v.ok()) return v.status();
    if (v->empty()) return util::FailedPrecondition(std::string(name) + " is empty");
    *field = *v;
  }
  auto limit = Param(cfg, "default_process_limit");
  if (!limit.ok()) return limit.status();
  auto n = util::ParseInt(*limit);
  if (!n || *n < 1)
    return util::FailedPrecondition("bad numerical configuration: default_process_limit = " +
                                    *limit);
  s.default_process_limit = static_cast<int>(*n);
  auto ifaces = Param(cfg, "inet_interfaces");
  if (!ifaces.ok()) return ifaces.status();
  s.inet_interfaces = util::SplitList(*ifaces);
  if (s.inet_interfaces.empty()) s.inet_interfaces = {"all"};
  auto protos = Param(cfg, "inet_protocols");
  if (!protos.ok()) return protos.status();
  auto p = util::ParseInetProtocols(*protos);
  if (!p.ok()) return util::FailedPrecondition("inet_protocols: " + p.status().message());
  s.protocols = *p;
  if (s.protocols == util::InetProtocols::kAll) {
    // As Postfix: quietly use IPv4 only when the kernel has no IPv6.
    util::Fd probe(socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!probe) {
      msg::Warn("inet_protocols: disabling IPv6 name/address support: %s", strerror(errno));
      s.protocols = util::InetProtocols::kIpv4;
    }
  }
  return s;
}

std::string Endpoint::Describe() const {
  switch (kind) {
    case Kind::kTcp:
      return "inet " + addr.ToString();
    case Kind::kUnix:
      return util::StrFormat("unix %s %04o %d", path.c_str(), mode, mail_owner);
    case Kind::kUnixDgram:
      return util::StrFormat("unix-dgram %s %04o %d", path.c_str(), mode, mail_owner);
    case Kind::kFifo:
      return util::StrFormat("fifo %s %04o %d", path.c_str(), mode, mail_owner);
  }
  return "";
}

util::StatusOr<ServiceSpec> BuildSpec(const config::MasterEntry& e, const Settings& s) {
  ServiceSpec spec;
  spec.key = e.key();
  spec.name = e.name;
  spec.type = e.type;
  spec.is_private = e.is_private();
  spec.path = JoinPath(s.daemon_directory, e.command);
  int mp = e.maxproc();
  spec.max_proc = mp < 0 ? s.default_process_limit : mp;
  spec.wakeup = e.wakeup(&spec.wakeup_if_used);

  auto fail = [&](const std::string& what) {
    return util::FailedPrecondition(util::StrFormat("master.cf, line %d: service %s: %s", e.line,
                                                    spec.key.c_str(), what.c_str()));
  };
  if (e.type == "inet") {
    util::Status st = InetEndpoints(e.name, s, &spec.endpoints);
    if (!st.ok()) return fail(st.message());
  } else {
    Endpoint ep;
    ep.path = e.name.find('/') != std::string::npos
                  ? JoinPath(s.queue_directory, e.name)
                  : s.queue_directory + (spec.is_private ? "/private/" : "/public/") + e.name;
    ep.mode = spec.is_private ? 0600 : 0666;
    ep.mail_owner = spec.is_private;
    if (e.type == "unix" || e.type == "pass") {
      ep.kind = Endpoint::Kind::kUnix;
    } else if (e.type == "unix-dgram") {
      ep.kind = Endpoint::Kind::kUnixDgram;
    } else if (e.type == "fifo") {
      ep.kind = Endpoint::Kind::kFifo;
      ep.mode = 0622;
    } else {
      return fail("bad transport type: " + e.type);
    }
    spec.endpoints.push_back(ep);
  }

  std::vector<std::string>& a = spec.argv;
  a = {e.command, "-n", e.name, "-t", e.type, "-s", std::to_string(spec.endpoints.size())};
  if (e.unprivileged()) a.push_back("-u");
  if (e.chroot()) a.push_back("-c");
  for (const auto& [name, value] : e.overrides) {
    a.push_back("-o");
    a.push_back(name + "=" + value);
  }
  if (s.verbose > 0) a.push_back("-v");
  a.insert(a.end(), e.args.begin(), e.args.end());

  std::string fp = util::StrFormat("%s|%s|%d|%d|%s|", spec.type.c_str(), spec.path.c_str(),
                                   spec.max_proc, spec.wakeup, spec.wakeup_if_used ? "?" : "");
  for (const std::string& w : a) fp += w + '\x1f';
  for (const Endpoint& ep : spec.endpoints) fp += "|" + ep.Describe();
  spec.fingerprint = fp;
  return spec;
}

ReloadPlan PlanReload(const std::vector<ServiceSpec>& before,
                      const std::vector<ServiceSpec>& after) {
  std::map<std::string, const ServiceSpec*> old_by_key, new_by_key;
  for (const ServiceSpec& s : before) old_by_key[s.key] = &s;
  for (const ServiceSpec& s : after) new_by_key[s.key] = &s;
  ReloadPlan plan;
  for (const auto& [key, spec] : new_by_key) {
    auto it = old_by_key.find(key);
    if (it == old_by_key.end())
      plan.added.push_back(key);
    else if (it->second->fingerprint != spec->fingerprint)
      plan.changed.push_back(key);
    else
      plan.unchanged.push_back(key);
  }
  for (const auto& [key, spec] : old_by_key) {
    if (!new_by_key.count(key)) plan.removed.push_back(key);
  }
  return plan;
}

bool ShouldListen(int avail, int total, int inherited, int max_proc, bool throttled) {
  if (throttled || avail > 0) return false;
  return max_proc == 0 || total + inherited < max_proc;
}

bool ShouldThrottle(int wait_status, int use_count) {
  bool normal = WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0;
  return !normal && use_count == 0;
}

std::string DescribeExit(const std::string& path, pid_t pid, int wait_status) {
  if (WIFEXITED(wait_status)) {
    if (WEXITSTATUS(wait_status) == 0) return "";
    return util::StrFormat("process %s pid %ld exit status %d", path.c_str(),
                           static_cast<long>(pid), WEXITSTATUS(wait_status));
  }
  if (WIFSIGNALED(wait_status)) {
    return util::StrFormat("process %s pid %ld killed by signal %d", path.c_str(),
                           static_cast<long>(pid), WTERMSIG(wait_status));
  }
  return util::StrFormat("process %s pid %ld: unknown wait status 0x%x", path.c_str(),
                         static_cast<long>(pid), wait_status);
}

}  // namespace master
