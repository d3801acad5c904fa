#include "trivial-rewrite/resolve_cache.h"

namespace trivial_rewrite {

const Resolution* ResolveCache::Find(const std::string& key) {
  auto it = index_.find(key);
  if (it == index_.end()) {
    ++misses_;
    return nullptr;
  }
  ++hits_;
  lru_.splice(lru_.begin(), lru_, it->second);
  return &it->second->second;
}

void ResolveCache::Insert(const std::string& key, Resolution value) {
  if (capacity_ == 0) return;
  auto it = index_.find(key);
  if (it != index_.end()) {
    it->second->second = std::move(value);
    lru_.splice(lru_.begin(), lru_, it->second);
    return;
  }
  if (index_.size() >= capacity_) {
    index_.erase(lru_.back().first);
    lru_.pop_back();
  }
  lru_.emplace_front(key, std::move(value));
  index_.emplace(key, lru_.begin());
}

void ResolveCache::Clear() {
  lru_.clear();
  index_.clear();
}

}  // namespace trivial_rewrite
