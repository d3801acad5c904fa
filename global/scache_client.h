// scache_client: the client of the scache(8) connection cache (the smtp and
// lmtp clients' connection reuse): hand a connection to the cache after a
// delivery, take one back for the next delivery to the same server.
//
//   scache_client::Client cache(cfg);  // private/$connection_cache_service_name
//   auto got = cache.Find("smtp|192.0.2.1:25");
//   if (got.ok() && *got) reuse((*got)->fd, (*got)->props);
//   ...
//   (void)cache.Save("smtp|192.0.2.1:25", props, std::move(fd), ttl_seconds);
//
// Protocol (util/attr.h lists over a UNIX stream socket through
// util::AttrClient, whose connection is kept for the next request;
// descriptors travel with the bytes, AttrClient::CallPassing):
//   {request=save, label=L, props=P, ttl=N} + descriptor -> {status=0}
//   {request=find, label=L} -> {status=0, props=P} + descriptor, or {status=1}
// The label is the caller's (which server, reached how); the properties
// are the caller's too (what the server offered, how often the connection
// was used), returned as saved. Each request waits at most
// connection_cache_protocol_timeout. Errors: kUnavailable when the service
// cannot be reached or answers nonsense (the caller then delivers without
// the cache); a miss is not an error. One Client per thread.
#pragma once

#include <optional>
#include <string>

#include "global/config.h"
#include "util/attr.h"
#include "util/attr_client.h"
#include "util/fd.h"
#include "util/status.h"

namespace scache_client {

struct Cached {
  util::Fd fd;
  std::string props;
};

class Client {
 public:
  explicit Client(const config::Config& cfg);
  // Socket path and timeout directly (tests).
  Client(std::string path, int timeout_seconds);

  // Gives `fd` to the cache for at most `ttl` seconds (the service may keep
  // it shorter); our copy is closed either way.
  util::Status Save(const std::string& label, const std::string& props, util::Fd fd, int ttl);
  // A connection saved under `label`, taken out of the cache; nullopt when
  // there is none.
  util::StatusOr<std::optional<Cached>> Find(const std::string& label);

 private:
  util::AttrClient client_;  // one connection, kept between requests
};

}  // namespace scache_client
