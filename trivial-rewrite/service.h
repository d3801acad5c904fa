// service: trivial-rewrite's request handler: decodes a request
// (global/rewrite_proto.h), runs the rewrite rules (global/rewrite.h) or
// the resolver (resolver.h) through the resolve cache, and builds the
// reply. main.cpp hands it to the multi-server skeleton.
//
//   auto svc = Service::FromConfig(cfg);          // fatal on error
//   util::StatusOr<util::AttrList> reply = (*svc)->Handle(request);
//   // not ok: a malformed request; the skeleton logs it and drops the client
//
// Cache. Resolve results (not temporary failures) are kept in an LRU cache
// of kCacheSize entries, keyed by the address, and by the sender too when
// sender-dependent maps are configured. At most once per
// maps::ChangeCheckInterval() a request runs the resolver's change checks;
// when any table was reopened (maps::Generation() moved) the cache is
// dropped, so a postmap'ed transport table is in effect within about a
// second, without a restart (Postfix's trivial-rewrite exits and is
// restarted by master instead).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>

#include "global/config.h"
#include "global/rewrite.h"
#include "trivial-rewrite/resolve_cache.h"
#include "trivial-rewrite/resolver.h"
#include "util/attr.h"
#include "util/status.h"

namespace trivial_rewrite {

inline constexpr size_t kCacheSize = 10000;

class Service {
 public:
  Service(rewrite::Rules rules, std::unique_ptr<Resolver> resolver, size_t cache_size = kCacheSize);
  // Errors: those of Resolver::FromConfig (configuration: fatal).
  static util::StatusOr<std::unique_ptr<Service>> FromConfig(const config::Config& cfg);

  util::StatusOr<util::AttrList> Handle(const util::AttrList& request);

  const ResolveCache& cache() const { return cache_; }

 private:
  util::StatusOr<util::AttrList> HandleRewrite(const util::AttrList& request);
  util::StatusOr<util::AttrList> HandleResolve(const util::AttrList& request);
  void MaybeCheckChanges();

  rewrite::Rules rules_;
  std::unique_ptr<Resolver> resolver_;
  ResolveCache cache_;
  uint64_t generation_ = 0;
  std::chrono::steady_clock::time_point last_check_{};
};

}  // namespace trivial_rewrite
