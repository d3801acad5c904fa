// nis:MAP — NIS (YP) maps. This system has no NIS client: like Postfix's
// dict_nis on a host without a NIS domain name, every lookup is "not
// found" and the first lookup warns once per process:
//   warning: dict_nis_init: NIS domain name not set - NIS lookups disabled
// It exists so that Postfix's default `alias_maps = hash:/etc/aliases,
// nis:mail.aliases` (and local_recipient_maps built from it) works.
#include <memory>

#include "tables/types.h"
#include "util/msg.h"

namespace tables {
namespace {

class NisTable : public Table {
 public:
  NisTable(std::string_view name, unsigned flags) : Table("nis", std::string(name), flags) {}
  LookupResult Lookup(std::string_view) override {
    static bool warned = false;
    if (!warned) {
      warned = true;
      msg::Warn("dict_nis_init: NIS domain name not set - NIS lookups disabled");
    }
    return LookupResult::NotFound();
  }
};

}  // namespace

util::StatusOr<std::unique_ptr<Table>> OpenNis(std::string_view name, const OpenOptions& options) {
  if (name.empty())
    return util::FailedPrecondition(
        "open dictionary: expecting \"type:name\" form instead of \"nis:\"");
  return std::unique_ptr<Table>(new NisTable(name, options.flags));
}

}  // namespace tables
