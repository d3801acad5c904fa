#include "qmgr/transports.h"

#include <set>

#include "util/msg.h"

namespace qmgr {

TransportLimits LoadTransportLimits(const config::Config& cfg, const std::string& name,
                                    bool* remote) {
  config::Config c = cfg;
  const config::MasterEntry* e = cfg.master_cf().Find(name, "unix");
  std::string command = e ? e->command : name;
  std::set<std::string> overridden;
  if (e)
    for (const auto& [k, v] : e->overrides) {
      c.Set(k, v);
      overridden.insert(k);
    }
  auto param = [&](const std::string& suffix) {
    std::string t = name + suffix;
    if (overridden.count(t)) return t;
    std::string cmd = command + suffix;
    if (overridden.count(cmd)) return cmd;
    if (c.Raw(t)) return t;
    return "default" + suffix;
  };
  auto feedback = [&](const std::string& suffix) {
    std::string p = param(suffix);
    auto f = ParseFeedback(c.Get(config::AnyParam::Dynamic(p)));
    if (!f.ok()) {
      msg::Warn("%s: %s; using 1", p.c_str(), f.status().message().c_str());
      return Feedback();
    }
    return *f;
  };
  TransportLimits l;
  l.initial_concurrency = static_cast<int>(c.GetInt("initial_destination_concurrency"));
  l.concurrency_limit = static_cast<int>(
      c.GetInt(config::IntParam::Dynamic(param("_destination_concurrency_limit"))));
  l.recipient_limit =
      static_cast<int>(c.GetInt(config::IntParam::Dynamic(param("_destination_recipient_limit"))));
  l.rate_delay =
      static_cast<double>(c.GetTime(config::TimeParam::Dynamic(param("_destination_rate_delay"))));
  l.positive = feedback("_destination_concurrency_positive_feedback");
  l.negative = feedback("_destination_concurrency_negative_feedback");
  l.failed_cohort_limit = static_cast<int>(
      c.GetInt(config::IntParam::Dynamic(param("_destination_concurrency_failed_cohort_limit"))));
  l.dead_time = static_cast<double>(c.GetTime("minimal_backoff_time"));
  int maxproc = e ? e->maxproc() : -1;
  l.maxproc = maxproc < 0 ? static_cast<int>(c.GetInt("default_process_limit")) : maxproc;
  *remote = command == "smtp" || command == "lmtp";
  return l;
}

const Transports::Info& Transports::Get(const std::string& name) {
  auto it = cache_.find(name);
  if (it != cache_.end()) return it->second;
  Info info;
  info.limits = LoadTransportLimits(cfg_, name, &info.remote);
  const TransportLimits& l = info.limits;
  if (msg::Verbose())
    msg::Info("transport %s: concurrency %d..%d, recipients %d, rate delay %g, maxproc %d",
              name.c_str(), l.initial_concurrency, l.concurrency_limit, l.recipient_limit,
              l.rate_delay, l.maxproc);
  return cache_[name] = info;
}

}  // namespace qmgr
