// cache: see cache.h.
#include "scache/cache.h"

#include <algorithm>

#include "util/strings.h"

namespace scache {

void Cache::Save(const std::string& label, std::string props, util::Fd fd, double expires) {
  entries_[label].push_back(Entry{std::move(fd), std::move(props), expires});
  connections_++;
  max_labels_ = std::max(max_labels_, entries_.size());
  max_connections_ = std::max(max_connections_, connections_);
}

std::optional<Cache::Hit> Cache::Find(const std::string& label, double now) {
  auto it = entries_.find(label);
  while (it != entries_.end() && !it->second.empty()) {
    Entry e = std::move(it->second.back());
    it->second.pop_back();
    connections_--;
    if (it->second.empty()) entries_.erase(it), it = entries_.end();
    if (e.expires <= now) continue;  // closed as it goes
    hits_++;
    return Hit{std::move(e.fd), std::move(e.props)};
  }
  misses_++;
  return std::nullopt;
}

void Cache::Expire(double now) {
  for (auto it = entries_.begin(); it != entries_.end();) {
    std::deque<Entry>& q = it->second;
    size_t before = q.size();
    q.erase(std::remove_if(q.begin(), q.end(), [now](const Entry& e) { return e.expires <= now; }),
            q.end());
    connections_ -= before - q.size();
    it = q.empty() ? entries_.erase(it) : std::next(it);
  }
}

std::vector<std::string> Cache::Statistics(double now, const std::string& start_text) {
  std::vector<std::string> lines;
  long long total = hits_ + misses_;
  if (total > 0) {
    lines.push_back("statistics: start interval " + start_text);
    lines.push_back(util::StrFormat("statistics: address lookup hits=%lld miss=%lld success=%lld%%",
                                    hits_, misses_, hits_ * 100 / total));
    lines.push_back(util::StrFormat("statistics: max simultaneous addresses=%zu connection=%zu",
                                    max_labels_, max_connections_));
  }
  interval_start_ = now;
  hits_ = misses_ = 0;
  max_labels_ = entries_.size();
  max_connections_ = connections_;
  return lines;
}

}  // namespace scache
