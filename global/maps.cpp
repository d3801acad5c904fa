#include "global/maps.h"

#include <algorithm>
#include <atomic>
#include <map>
#include <memory>
#include <mutex>

#include "tables/registry.h"
#include "tables/table_syntax.h"
#include "util/msg.h"
#include "util/strings.h"

namespace maps {

struct Maps::Entry {
  std::string spec;
  tables::OpenOptions options;
  std::unique_ptr<tables::Table> table;  // null while it cannot be opened
  std::string error;                     // why it cannot be opened
  bool fixed = true;
  std::chrono::steady_clock::time_point last_check;
};

namespace {

using Clock = std::chrono::steady_clock;

struct Cache {
  std::mutex mu;
  std::map<std::string, std::unique_ptr<Maps::Entry>> entries;
  std::chrono::milliseconds interval{1000};
  std::atomic<uint64_t> generation{0};
};

Cache& TheCache() {
  static Cache* cache = new Cache;  // never destroyed: tables outlive static teardown
  return *cache;
}

void TryOpen(Maps::Entry* e) {
  util::StatusOr<std::unique_ptr<tables::Table>> t = tables::Open(e->spec, e->options);
  e->last_check = Clock::now();
  if (t.ok()) {
    if (e->table || !e->error.empty()) ++TheCache().generation;  // reopened or recovered
    e->table = std::move(*t);
    e->error.clear();
    return;
  }
  std::string error = e->spec + " is unavailable. " + t.status().message();
  if (e->table) {
    msg::Warn("%s: reopen failed: %s; still using the old table", e->spec.c_str(),
              t.status().message().c_str());
  } else if (error != e->error) {
    msg::Warn("%s", error.c_str());
    e->error = error;
  }
}

void MaybeReopen(Maps::Entry* e) {
  Clock::time_point now = Clock::now();
  if (now - e->last_check < TheCache().interval) return;
  e->last_check = now;
  if (e->table && !e->table->Changed()) return;
  if (e->table && msg::Verbose()) msg::Info("%s: table changed, reopening", e->spec.c_str());
  TryOpen(e);
}

std::vector<std::string> Components(std::string_view name) {
  std::optional<std::string_view> inside = tables::StripBraces(name);
  if (!inside) return {};
  util::StatusOr<std::vector<std::string>> items = tables::SplitBracedList(*inside);
  return items.ok() ? *items : std::vector<std::string>{};
}

}  // namespace

bool IsFixedStringSpec(std::string_view spec) {
  size_t colon = spec.find(':');
  std::string_view type = spec.substr(0, colon);
  std::string_view name = colon == std::string_view::npos ? "" : spec.substr(colon + 1);
  if (type == "regexp" || type == "pcre" || type == "cidr" || type == "fail" || type == "tcp" ||
      type == "socketmap")
    return false;
  if (type == "proxy") return IsFixedStringSpec(name);
  if (type == "unionmap") {  // every table sees the key
    for (const std::string& c : Components(name)) {
      if (!IsFixedStringSpec(c)) return false;
    }
  }
  if (type == "pipemap") {  // only the first table sees the key
    std::vector<std::string> c = Components(name);
    return c.empty() || IsFixedStringSpec(c.front());
  }
  return true;
}

bool IsFixedStringTable(const tables::Table& table) { return IsFixedStringSpec(table.spec()); }

tables::OpenOptions TableOptions(const config::Config& cfg, unsigned flags) {
  tables::OpenOptions o;
  o.flags = flags;
  const config::Config* c = &cfg;
  o.params = [c](std::string_view name) -> std::optional<std::string> {
    if (!c->Raw(name)) return std::nullopt;
    return c->Get(config::AnyParam::Dynamic(name));
  };
  return o;
}

util::StatusOr<Maps> Maps::Open(std::string_view title, std::string_view list,
                                const tables::OpenOptions& options) {
  Maps m;
  m.title_ = std::string(title);
  util::StatusOr<std::vector<std::string>> specs = tables::SplitBracedList(list);
  if (!specs.ok())
    return util::FailedPrecondition(m.title_ + ": bad table list \"" + std::string(list) +
                                    "\": " + specs.status().message());
  const std::vector<std::string> types = tables::Types();
  for (const std::string& spec : *specs) {  // check them all before opening any
    size_t colon = spec.find(':');
    if (colon == std::string::npos || colon == 0)
      return util::FailedPrecondition(m.title_ + ": need dictionary type:name, got \"" + spec +
                                      "\"");
    std::string type = spec.substr(0, colon);
    if (std::find(types.begin(), types.end(), type) == types.end())
      return util::FailedPrecondition(m.title_ + ": unsupported dictionary type: " + type);
  }
  Cache& cache = TheCache();
  std::lock_guard<std::mutex> lock(cache.mu);
  for (const std::string& spec : *specs) {
    std::string key =
        std::to_string(options.flags) + "," + std::to_string(options.open_flags) + "," + spec;
    std::unique_ptr<Entry>& slot = cache.entries[key];
    if (!slot) {
      slot = std::make_unique<Entry>();
      slot->spec = spec;
      slot->options = options;
      slot->fixed = IsFixedStringSpec(spec);
      TryOpen(slot.get());
    }
    m.entries_.push_back(slot.get());
  }
  return m;
}

util::StatusOr<Maps> Maps::FromParameter(const config::Config& cfg, config::AnyParam param,
                                         unsigned flags) {
  return Open(param.name(), cfg.Get(param), TableOptions(cfg, flags));
}

tables::LookupResult Maps::Find(std::string_view key, Which which) {
  for (Entry* e : entries_) {
    if (which == Which::kFixedOnly && !e->fixed) continue;
    MaybeReopen(e);
    if (!e->table) {
      msg::Warn("%s lookup error for \"%s\": %s", e->spec.c_str(), util::Printable(key).c_str(),
                e->error.c_str());
      return tables::LookupResult::TempError(e->error);
    }
    tables::LookupResult r = e->table->Lookup(key);
    if (r.temp_error()) {
      msg::Warn("%s lookup error for \"%s\": %s", e->spec.c_str(), util::Printable(key).c_str(),
                r.value.c_str());
      return r;
    }
    if (r.found()) {
      if (r.value.empty()) {
        std::string m = util::StrFormat("%s lookup of %s returned an empty string result",
                                        title_.c_str(), util::Printable(key).c_str());
        msg::Warn("%s", m.c_str());
        return tables::LookupResult::TempError(m);
      }
      return r;
    }
  }
  return tables::LookupResult::NotFound();
}

void Maps::CheckChanges() {
  for (Entry* e : entries_) MaybeReopen(e);
}

uint64_t Generation() { return TheCache().generation.load(); }

std::vector<std::string> Maps::specs() const {
  std::vector<std::string> out;
  for (const Entry* e : entries_) out.push_back(e->spec);
  return out;
}

void SetChangeCheckInterval(std::chrono::milliseconds interval) { TheCache().interval = interval; }

std::chrono::milliseconds ChangeCheckInterval() { return TheCache().interval; }

void ClearTableCache() {
  Cache& cache = TheCache();
  std::lock_guard<std::mutex> lock(cache.mu);
  cache.entries.clear();
}

}  // namespace maps
