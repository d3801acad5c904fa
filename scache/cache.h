// cache: the connection cache of scache(8), pure logic with the time
// passed in (seconds, any epoch), so tests drive it with a simulated clock.
//
// An entry is an open connection (a descriptor the cache owns) saved under
// its endpoint label (the smtp client's "service|address:port") with the
// client's properties (what the server offered, how often the connection
// was used), until it expires. Several connections may wait under one
// label; a lookup takes the most recently saved one out of the cache (the
// client saves it again after its delivery). Expired connections are
// closed by Expire().
//
//   scache::Cache c;
//   c.Save("smtp|192.0.2.1:25", props, std::move(fd), now + ttl);
//   if (auto hit = c.Find("smtp|192.0.2.1:25", now)) use(hit->fd, hit->props);
//   c.Expire(now);  // periodically
//
// Statistics() reports the lookups since the last report and the most
// entries held at once, in Postfix's words ("statistics: address lookup
// hits=3 miss=1 success=75%"), and starts a new interval.
#pragma once

#include <cstddef>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "util/fd.h"

namespace scache {

class Cache {
 public:
  struct Hit {
    util::Fd fd;
    std::string props;
  };

  explicit Cache(double now) : interval_start_(now) {}

  void Save(const std::string& label, std::string props, util::Fd fd, double expires);
  std::optional<Hit> Find(const std::string& label, double now);
  // Closes every connection whose time is up.
  void Expire(double now);

  size_t connections() const { return connections_; }
  size_t labels() const { return entries_.size(); }

  // The report lines (none when nothing was looked up in the interval),
  // then a new interval from `now`. `format_time` prints the start.
  std::vector<std::string> Statistics(double now, const std::string& start_text);
  double interval_start() const { return interval_start_; }

 private:
  struct Entry {
    util::Fd fd;
    std::string props;
    double expires = 0;
  };
  std::map<std::string, std::deque<Entry>> entries_;
  size_t connections_ = 0;
  double interval_start_;
  long long hits_ = 0, misses_ = 0;
  size_t max_labels_ = 0, max_connections_ = 0;
};

}  // namespace scache
