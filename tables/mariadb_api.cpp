#include "tables/mariadb_api.h"

#include <dlfcn.h>

#include <string>

namespace tables {

util::StatusOr<const MariadbApi*> LoadMariadb() {
  static const util::StatusOr<const MariadbApi*> loaded =
      []() -> util::StatusOr<const MariadbApi*> {
    static MariadbApi api;
    void* lib = dlopen(MTA_MARIADB_LIB, RTLD_NOW | RTLD_LOCAL);
    if (!lib)
      return util::Unavailable(std::string("cannot load ") + MTA_MARIADB_LIB + ": " + dlerror());
#define MTA_MARIADB_LOAD(member, function)                                    \
  api.member = reinterpret_cast<decltype(api.member)>(dlsym(lib, #function)); \
  if (!api.member) return util::Unavailable(std::string(MTA_MARIADB_LIB) + " has no " #function);
    MTA_MARIADB_FUNCTIONS(MTA_MARIADB_LOAD)
#undef MTA_MARIADB_LOAD
    return &api;
  }();
  return loaded;
}

}  // namespace tables
