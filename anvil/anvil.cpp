#include "anvil/anvil.h"

#include <climits>

#include "util/msg.h"
#include "util/strings.h"

namespace anvil {
namespace {

void Increment(int* v) {
  if (*v < INT_MAX) ++*v;
}

}  // namespace

Anvil::Anvil(int time_unit, Clock clock)
    : time_unit_(time_unit > 0 ? time_unit : 1), clock_(std::move(clock)) {}

time_t Anvil::Now() const { return clock_ ? clock_() : time(nullptr); }

Anvil::Remote& Anvil::Touch(std::string_view ident, time_t now) {
  ExpireOldest(now, kExpirePerRequest);
  auto it = remotes_.find(ident);
  if (it == remotes_.end()) {
    it = remotes_.emplace(std::string(ident), Remote{}).first;
    it->second.start = now;
    Link(&*it);
    UpdateCacheMax(now);
  } else if (it->second.start + time_unit_ < now) {
    Remote& r = it->second;
    int count = r.counts.count;
    r.counts = Counts{};
    r.counts.count = count;
    r.start = now;
    Unlink(&*it);
    Link(&*it);
  }
  return it->second;
}

void Anvil::Link(Map::value_type* node) {
  node->second.older = newest_;
  node->second.newer = nullptr;
  if (newest_)
    newest_->second.newer = node;
  else
    oldest_ = node;
  newest_ = node;
}

void Anvil::Unlink(Map::value_type* node) {
  Remote& r = node->second;
  if (r.older)
    r.older->second.newer = r.newer;
  else
    oldest_ = r.newer;
  if (r.newer)
    r.newer->second.older = r.older;
  else
    newest_ = r.older;
  r.older = r.newer = nullptr;
}

void Anvil::ExpireOldest(time_t now, size_t limit) {
  // Strictly after the window, as Touch() renews it: a record is never
  // dropped while its rates still count.
  while (oldest_ && limit > 0 && oldest_->second.start + time_unit_ < now) {
    --limit;
    Map::value_type* node = oldest_;
    Unlink(node);
    if (node->second.counts.count == 0)
      remotes_.erase(remotes_.find(node->first));
    else
      Link(node);  // still connected: looked at again a round later
  }
}

void Anvil::UpdateMax(Kind kind, int value, std::string_view ident, time_t now) {
  Max& m = max_[kind];
  if (value > m.value) {
    m.value = value;
    m.ident = std::string(ident);
    m.when = now;
  }
}

void Anvil::UpdateCacheMax(time_t now) {
  int size = static_cast<int>(remotes_.size());
  if (size > max_cache_.value) {
    max_cache_.value = size;
    max_cache_.when = now;
  }
}

Counts Anvil::Connect(uint64_t conn, std::string_view ident) {
  time_t now = Now();
  Remote& r = Touch(ident, now);
  Increment(&r.counts.count);
  Increment(&r.counts.rate);
  auto& local = locals_[conn];
  auto it = local.find(ident);
  if (it == local.end()) it = local.emplace(std::string(ident), 0).first;
  ++it->second;
  UpdateMax(kConnRate, r.counts.rate, ident, now);
  UpdateMax(kConnCount, r.counts.count, ident, now);
  return {r.counts.count, r.counts.rate};
}

bool Anvil::Disconnect(uint64_t conn, std::string_view ident) {
  ExpireOldest(Now(), kExpirePerRequest);
  auto lit = locals_.find(conn);
  if (lit == locals_.end()) return false;
  auto it = lit->second.find(ident);
  if (it == lit->second.end()) return false;
  if (--it->second == 0) lit->second.erase(it);
  if (lit->second.empty()) locals_.erase(lit);
  auto rit = remotes_.find(ident);
  if (rit != remotes_.end() && rit->second.counts.count > 0) --rit->second.counts.count;
  return true;
}

int Anvil::Event(std::string_view ident, int Counts::*field, Kind kind) {
  time_t now = Now();
  Remote& r = Touch(ident, now);
  Increment(&(r.counts.*field));
  UpdateMax(kind, r.counts.*field, ident, now);
  return r.counts.*field;
}

int Anvil::Message(std::string_view ident) { return Event(ident, &Counts::message, kMessage); }
int Anvil::Recipient(std::string_view ident) {
  return Event(ident, &Counts::recipient, kRecipient);
}
int Anvil::NewTls(std::string_view ident) { return Event(ident, &Counts::newtls, kNewtls); }
int Anvil::Auth(std::string_view ident) { return Event(ident, &Counts::auth, kAuth); }

int Anvil::NewTlsReport(std::string_view ident) { return Lookup(ident).newtls; }

Counts Anvil::Lookup(std::string_view ident) {
  ExpireOldest(Now(), kExpirePerRequest);
  auto it = remotes_.find(ident);
  if (it == remotes_.end()) return {};
  Counts c = it->second.counts;
  if (it->second.start + time_unit_ < Now()) {  // the window is over: no rate
    int count = c.count;
    c = Counts{};
    c.count = count;
  }
  return c;
}

void Anvil::ConnectionClosed(uint64_t conn) {
  auto lit = locals_.find(conn);
  if (lit == locals_.end()) return;
  for (const auto& [ident, n] : lit->second) {
    auto rit = remotes_.find(ident);
    if (rit == remotes_.end()) continue;
    int& count = rit->second.counts.count;
    count = count > n ? count - n : 0;
  }
  locals_.erase(lit);
}

void Anvil::Expire() {
  // At the end of the window's last second (start + time unit <= now), and
  // each record looked at once at most: those still connected go back to
  // the list's end with their old window.
  ExpireOldest(Now() + 1, remotes_.size());
}

std::vector<std::string> Anvil::Statistics() {
  static constexpr const char* kNames[kKinds] = {"connection", "connection", "message",
                                                 "recipient",  "newtls",     "auth"};
  std::vector<std::string> out;
  for (int k = 0; k < kKinds; ++k) {
    Max& m = max_[k];
    if (m.value <= 0) continue;
    if (k == kConnCount)
      out.push_back(util::StrFormat("statistics: max %s count %d for (%s) at %s", kNames[k],
                                    m.value, m.ident.c_str(), msg::Stamp(m.when).c_str()));
    else
      out.push_back(util::StrFormat("statistics: max %s rate %d/%ds for (%s) at %s", kNames[k],
                                    m.value, time_unit_, m.ident.c_str(),
                                    msg::Stamp(m.when).c_str()));
    m = Max{};
  }
  if (max_cache_.value > 0) {
    out.push_back(util::StrFormat("statistics: max cache size %d at %s", max_cache_.value,
                                  msg::Stamp(max_cache_.when).c_str()));
    max_cache_ = Max{};
  }
  return out;
}

}  // namespace anvil
