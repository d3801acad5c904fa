#include "tables/registry.h"

#include <algorithm>

#include "tables/types.h"

namespace tables {
namespace {

struct TypeEntry {
  std::string_view type;
  Opener open;
  bool writable;
};

// The built-in types, one line each (sorted by name).
constexpr TypeEntry kTypes[] = {
    {"btree", OpenBtree, true},        {"cdb", OpenCdb, true},
    {"cidr", OpenCidr, false},         {"fail", OpenFail, false},
    {"hash", OpenHash, true},          {"inline", OpenInline, false},
    {"lmdb", OpenLmdb, true},          {"mysql", OpenMysql, false},
    {"nis", OpenNis, false},           {"pcre", OpenPcre, false},
    {"pipemap", OpenPipemap, false},   {"proxy", OpenProxy, false},
    {"regexp", OpenRegexp, false},     {"static", OpenStatic, false},
    {"texthash", OpenTexthash, false}, {"unionmap", OpenUnionmap, false},
    {"unix", OpenUnix, false},
};

const TypeEntry* FindType(std::string_view type) {
  for (const TypeEntry& t : kTypes) {
    if (t.type == type) return &t;
  }
  return nullptr;
}

}  // namespace

util::StatusOr<std::unique_ptr<Table>> Open(std::string_view spec, const OpenOptions& options) {
  size_t colon = spec.find(':');
  if (colon == std::string_view::npos || colon == 0)
    return util::FailedPrecondition("need dictionary type:name, got \"" + std::string(spec) + "\"");
  std::string_view type = spec.substr(0, colon);
  const TypeEntry* t = FindType(type);
  if (!t) return util::FailedPrecondition("unsupported dictionary type: " + std::string(type));
  return t->open(spec.substr(colon + 1), options);
}

std::vector<std::string> Types() {
  std::vector<std::string> out;
  for (const TypeEntry& t : kTypes) {
    out.emplace_back(t.type);
  }
  std::sort(out.begin(), out.end());
  return out;
}

bool IsWritableType(std::string_view type) {
  const TypeEntry* t = FindType(type);
  return t && t->writable;
}

}  // namespace tables
