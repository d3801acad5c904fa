// resolve_cache: a bounded least-recently-used cache of resolve results,
// keyed by (sender, address) text. The service (service.h) drops it
// whenever a table changes (maps::Generation()); temporary failures are
// never cached.
//
//   ResolveCache cache(10000);
//   if (const Resolution* r = cache.Find(key)) return *r;
//   cache.Insert(key, resolver.Resolve(...));
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <string>
#include <unordered_map>
#include <utility>

#include "trivial-rewrite/resolver.h"

namespace trivial_rewrite {

class ResolveCache {
 public:
  explicit ResolveCache(size_t capacity) : capacity_(capacity) {}
  ResolveCache(const ResolveCache&) = delete;
  ResolveCache& operator=(const ResolveCache&) = delete;

  // The cached result (now the most recently used), or null.
  const Resolution* Find(const std::string& key);
  // Adds or replaces an entry; the least recently used one goes when full.
  void Insert(const std::string& key, Resolution value);
  void Clear();

  size_t size() const { return index_.size(); }
  size_t capacity() const { return capacity_; }
  uint64_t hits() const { return hits_; }
  uint64_t misses() const { return misses_; }

 private:
  using Entry = std::pair<std::string, Resolution>;
  size_t capacity_;
  std::list<Entry> lru_;  // most recently used first
  std::unordered_map<std::string, std::list<Entry>::iterator> index_;
  uint64_t hits_ = 0;
  uint64_t misses_ = 0;
};

}  // namespace trivial_rewrite
