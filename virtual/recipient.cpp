#include "virtual/recipient.h"

#include <unistd.h>

#include "global/mailbox_identity.h"
#include "util/msg.h"
#include "util/strings.h"

namespace virtual_agent {
namespace {

// virtual(8) opens tables itself rather than through proxymap: drop a
// "proxy:" in front of each table of the list.
std::string WithoutProxy(std::string_view list) {
  std::string out;
  size_t i = 0;
  while (i < list.size()) {
    bool at_start = out.empty() || out.back() == ',' || util::IsSpace(out.back());
    if (at_start && list.substr(i, 6) == "proxy:") {
      i += 6;
      continue;
    }
    out += list[i++];
  }
  return out;
}

util::StatusOr<maps::Maps> OpenMaps(const config::Config& cfg, config::AnyParam param) {
  return maps::Maps::Open(param.name(), WithoutProxy(cfg.Get(param)),
                          maps::TableOptions(cfg, tables::kDefaultLookupFlags | tables::kNoRegsub));
}

const Result kConfigError = Result::Defer("4.3.5", "mail system configuration error");

}  // namespace

util::StatusOr<std::unique_ptr<Agent>> Agent::Create(const config::Config& cfg) {
  std::unique_ptr<Agent> a(new Agent());
  a->base_ = cfg.Get("virtual_mailbox_base");
  if (a->base_.empty() || a->base_[0] != '/')
    return util::FailedPrecondition("do not specify relative pathname: virtual_mailbox_base = " +
                                    a->base_);
  struct {
    config::AnyParam param;
    maps::Maps* maps;
  } tables[] = {{"virtual_mailbox_maps", &a->mailbox_maps_},
                {"virtual_uid_maps", &a->uid_maps_},
                {"virtual_gid_maps", &a->gid_maps_},
                {"virtual_mailbox_limit_maps", &a->limit_maps_}};
  for (auto& t : tables) {
    auto m = OpenMaps(cfg, t.param);
    if (!m.ok()) return m.status();
    *t.maps = std::move(*m);
  }
  a->find_ = maps::AddrFindOptions::ForConfig(cfg, "virtual_mailbox_maps");
  a->find_.steps = maps::kVirtualMailboxSteps;
  a->minimum_uid_ = cfg.GetInt("virtual_minimum_uid");
  a->mailbox_limit_ = cfg.GetInt("virtual_mailbox_limit");
  a->limit_override_ = cfg.GetBool("virtual_mailbox_limit_override");
  a->maildir_.create_maildirsize = cfg.GetBool("virtual_create_maildirsize");
  a->maildir_.extended_names = cfg.GetBool("virtual_mailbox_extended");
  a->maildir_.overquota_bounce = cfg.GetBool("virtual_overquota_bounce");
  a->maildir_.limit_message = cfg.Get("virtual_maildir_limit_message");
  a->quota_ = !a->limit_maps_.empty() || a->maildir_.create_maildirsize;
  char host[256] = {};
  if (gethostname(host, sizeof(host) - 1) != 0) snprintf(host, sizeof(host), "localhost");
  a->maildir_.hostname = mailbox::SafeHostname(host);
  a->maildir_.queue_device = mailbox::QueueDevice(cfg.Get("queue_directory"));
  std::string bad;
  auto locks = mailbox::ParseLockMethods(cfg.Get("virtual_mailbox_lock"), &bad);
  if (!locks) return util::FailedPrecondition("invalid virtual_mailbox_lock value: " + bad);
  a->mbox_.locks = *locks;
  a->mbox_.size_limit = static_cast<uint64_t>(a->mailbox_limit_);
  a->mbox_.lock_attempts = static_cast<int>(cfg.GetInt("deliver_lock_attempts"));
  a->mbox_.lock_delay_ms = static_cast<int>(cfg.GetTime("deliver_lock_delay") * 1000);
  a->mbox_.stale_lock_seconds = static_cast<int>(cfg.GetTime("stale_lock_time"));
  return a;
}

std::optional<long long> Agent::LookupId(maps::Maps& table, std::string_view param,
                                         const std::string& key, const char* what, long long min,
                                         Result* fail) {
  maps::AddrFindResult r = maps::FindAddress(table, key, find_);
  if (r.result.temp_error()) {
    msg::Warn("table %.*s: lookup %s: %s", int(param.size()), param.data(), key.c_str(),
              r.result.value.c_str());
    *fail = Result::Defer("4.3.0", "mail system configuration error");
    return std::nullopt;
  }
  if (!r.result.found()) {
    msg::Warn("recipient %s: %s not found in %.*s", key.c_str(), what, int(param.size()),
              param.data());
    *fail = kConfigError;
    return std::nullopt;
  }
  std::optional<long long> n = util::ParseInt(util::Trim(r.result.value));
  if (!n || *n < min) {
    msg::Warn("recipient %s: bad %s %s in %.*s", key.c_str(), what, r.result.value.c_str(),
              int(param.size()), param.data());
    *fail = kConfigError;
    return std::nullopt;
  }
  return n;
}

Result Agent::Deliver(const Message& msg) {
  std::string key = util::Lowercase(msg.recipient);

  maps::AddrFindResult mb = maps::FindAddress(mailbox_maps_, key, find_);
  if (mb.result.temp_error()) {
    msg::Warn("table virtual_mailbox_maps: lookup %s: %s", key.c_str(), mb.result.value.c_str());
    return Result::Defer("4.3.0", "mail system configuration error");
  }
  if (!mb.result.found()) return Result::Bounce("5.1.1", "unknown user: \"" + key + "\"");
  std::string path = base_ + "/" + mb.result.value;

  Result fail;
  std::optional<long long> uid =
      LookupId(uid_maps_, "virtual_uid_maps", key, "uid", minimum_uid_, &fail);
  if (!uid) return fail;
  std::optional<long long> gid = LookupId(gid_maps_, "virtual_gid_maps", key, "gid", 1, &fail);
  if (!gid) return fail;

  bool maildir = !path.empty() && path.back() == '/';
  mailbox::MaildirOptions mo = maildir_;
  if (maildir) {
    if (!quota_) {
      mo.file_limit = static_cast<uint64_t>(mailbox_limit_);
    } else {
      int64_t limit = mailbox_limit_;
      if (!limit_maps_.empty()) {
        maps::AddrFindResult lr = maps::FindAddress(limit_maps_, key, find_);
        if (lr.result.temp_error()) {
          msg::Warn("table virtual_mailbox_limit_maps: lookup %s: %s", key.c_str(),
                    lr.result.value.c_str());
          return Result::Defer("4.3.0", "mail system configuration error");
        }
        if (lr.result.found()) {
          std::optional<long long> n = util::ParseInt(util::Trim(lr.result.value));
          if (!n || *n < 0) {
            msg::Warn("recipient %s: bad quota %s in virtual_mailbox_limit_maps", key.c_str(),
                      lr.result.value.c_str());
            return kConfigError;
          }
          if (limit_override_)
            limit = *n;
          else if (*n > 0 && (limit == 0 || *n < limit))
            limit = *n;
        }
      }
      mo.quota_limit = limit;
    }
  }

  auto as = mailbox::Identity::Assume(static_cast<uid_t>(*uid), static_cast<gid_t>(*gid));
  if (!as.ok()) {
    msg::Warn("recipient %s: %s", key.c_str(), as.status().message().c_str());
    return Result::Defer("4.3.0", "mail system configuration error");
  }
  if (maildir) return mailbox::DeliverMaildir(msg, path, mo);
  return mailbox::DeliverMbox(msg, path, mbox_);
}

}  // namespace virtual_agent
