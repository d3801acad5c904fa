#include "tables/mysql_hosts.h"

#include <algorithm>
#include <chrono>

#include "util/sockets.h"
#include "util/strings.h"

namespace tables {

util::StatusOr<std::vector<MysqlHost>> ParseMysqlHosts(std::string_view text) {
  std::vector<std::string> items = util::SplitList(text);
  if (items.empty()) items.push_back("localhost");
  std::vector<MysqlHost> hosts;
  for (const std::string& item : items) {
    MysqlHost h;
    h.spec = item;
    std::string_view rest = item;
    if (rest.starts_with("unix:")) {
      rest.remove_prefix(5);
      if (rest.empty())
        return util::FailedPrecondition("bad mysql host \"" + item + "\": empty socket path");
      h.kind = MysqlHost::Kind::kUnix;
      h.host = "localhost";
      h.socket = std::string(rest);
    } else {
      if (rest.starts_with("inet:")) rest.remove_prefix(5);
      auto hp = util::ParseHostPort(rest, util::BareWord::kHost);
      if (!hp.ok())
        return util::FailedPrecondition("bad mysql host \"" + item +
                                        "\": " + hp.status().message());
      if (hp->host.empty())
        return util::FailedPrecondition("bad mysql host \"" + item + "\": empty host name");
      h.kind = MysqlHost::Kind::kInet;
      h.host = hp->host;
      h.port = hp->has_port ? hp->port : 0;
      if (hp->has_port && (h.port <= 0 || h.port > 65535))
        return util::FailedPrecondition("bad mysql host \"" + item + "\": bad port");
    }
    hosts.push_back(std::move(h));
  }
  return hosts;
}

HostRotation::HostRotation(std::vector<MysqlHost> hosts, Options options, Clock clock,
                           uint32_t seed)
    : hosts_(std::move(hosts)),
      state_(hosts_.size()),
      options_(options),
      clock_(std::move(clock)),
      rng_(seed ? seed : std::random_device{}()) {
  if (!clock_) {
    clock_ = [] {
      return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
          .count();
    };
  }
}

std::vector<size_t> HostRotation::Order(const std::function<bool(size_t)>& connected) {
  double now = clock_();
  std::vector<size_t> out;
  for (MysqlHost::Kind kind : {MysqlHost::Kind::kUnix, MysqlHost::Kind::kInet}) {
    std::vector<size_t> open, closed;
    for (size_t i = 0; i < hosts_.size(); ++i) {
      if (hosts_[i].kind != kind || state_[i].resting_until > now) continue;
      (connected && connected(i) ? open : closed).push_back(i);
    }
    std::shuffle(open.begin(), open.end(), rng_);
    std::shuffle(closed.begin(), closed.end(), rng_);
    out.insert(out.end(), open.begin(), open.end());
    out.insert(out.end(), closed.begin(), closed.end());
  }
  return out;
}

void HostRotation::Failed(size_t i, std::string reason) {
  State& s = state_[i];
  double backoff = options_.initial_backoff;
  for (int n = 0; n < s.failures && backoff < options_.max_backoff; ++n) backoff *= 2;
  backoff = std::min(backoff, options_.max_backoff);
  ++s.failures;
  s.resting_until = clock_() + backoff;
  s.last_error = std::move(reason);
}

void HostRotation::Succeeded(size_t i) {
  state_[i].failures = 0;
  state_[i].resting_until = 0;
}

bool HostRotation::Resting(size_t i) const { return state_[i].resting_until > clock_(); }

double HostRotation::RestLeft(size_t i) const {
  return std::max(0.0, state_[i].resting_until - clock_());
}

}  // namespace tables
