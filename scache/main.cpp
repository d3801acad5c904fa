// scache: Postfix's scache(8) connection cache, a multi-server on
// master.cf's
//   scache  unix  -  -  n  -  1  scache
// socket $queue_directory/private/$connection_cache_service_name; one
// process holds every cached connection (maxproc must be 1). The smtp and
// lmtp clients save a connection they are done with (its descriptor passed
// over the socket) and take it back for their next delivery to the same
// server (global/scache_client.h). The cache is cache.h; a connection
// waits at most min(the client's ttl, connection_cache_ttl_limit) and is
// then closed. Every connection_cache_status_update_time, and when the
// process exits, the lookups of the interval are logged:
//   statistics: start interval Dec  7 21:00:00
//   statistics: address lookup hits=31 miss=1 success=96%
//   statistics: max simultaneous addresses=1 connection=3
// As in Postfix, max_use is ignored (the cache must survive); the process
// exits after max_idle seconds without any client, closing what it holds.
//
// Requests (global/scache_client.h keeps its connection between them):
//   request=save label=L props=P ttl=SECONDS, with the descriptor -> status=0
//   request=find label=L -> status=0 props=P with the descriptor, or status=1
#include <algorithm>
#include <chrono>
#include <memory>

#include "scache/cache.h"
#include "server/multi_server.h"
#include "util/msg.h"

namespace {

std::unique_ptr<scache::Cache> cache;
double ttl_limit = 2;

double Now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

void LogStatistics() {
  double start = cache->interval_start();
  for (const std::string& line : cache->Statistics(Now(), msg::Stamp(static_cast<time_t>(start))))
    msg::Info("%s", line.c_str());
}

util::StatusOr<util::AttrList> Handle(const util::AttrList& req, server::Connection& conn) {
  auto what = req.GetRequired("request");
  if (!what.ok()) return what.status();
  if (*what == "save") {
    if (util::Status st = req.Expect({"request", "label", "props", "ttl"}); !st.ok()) return st;
    auto ttl = req.GetInt("ttl");
    if (!ttl.ok()) return ttl.status();
    util::Fd fd = conn.TakeFd();
    if (!fd) return util::InvalidArgument("save request without a descriptor");
    double keep = std::min(static_cast<double>(std::max(*ttl, 0LL)), ttl_limit);
    cache->Save(std::string(*req.Get("label")), std::string(*req.Get("props")), std::move(fd),
                Now() + keep);
    return util::AttrList{{"status", "0"}};
  }
  if (*what == "find") {
    if (util::Status st = req.Expect({"request", "label"}); !st.ok()) return st;
    auto hit = cache->Find(std::string(*req.Get("label")), Now());
    if (!hit) return util::AttrList{{"status", "1"}};
    conn.AttachFd(std::move(hit->fd));
    return util::AttrList{{"status", "0"}, {"props", hit->props}};
  }
  return util::InvalidArgument("unknown request: " + std::string(*what));
}

}  // namespace

int main(int argc, char** argv) {
  server::MultiServerHooks hooks;
  hooks.ignore_max_use = true;
  hooks.pass_fds = true;
  hooks.post_init = [](server::Server& s) {
    ttl_limit = static_cast<double>(s.config().GetTime("connection_cache_ttl_limit"));
    long long update = s.config().GetTime("connection_cache_status_update_time");
    if (update <= 0) msg::Fatal("connection_cache_status_update_time must be greater than zero");
    cache = std::make_unique<scache::Cache>(Now());
    s.loop()->AddPeriodic(std::chrono::seconds(update), LogStatistics);
    s.loop()->AddPeriodic(std::chrono::seconds(1), [] { cache->Expire(Now()); });
  };
  hooks.pre_exit = [](server::Server&) {
    if (cache) LogStatistics();
  };
  hooks.request = [](const util::AttrList& req, server::Connection& conn, server::Server&) {
    return Handle(req, conn);
  };
  server::RunMultiServer(argc, argv, hooks);
}
