// unix:passwd.byname and unix:group.byname — the system's user and group
// databases through getpwnam(3) and getgrnam(3) (Postfix's dict_unix).
//
//   unix:passwd.byname  "root" -> "root:x:0:0:root:HOME:SHELL" (the passwd(5) line)
//   unix:group.byname   "mail" -> "mail:x:8:alice,bob"
//
// Values are the passwd(5)/group(5) line as Postfix formats it (members
// comma-separated, nothing after the last ':' when the group has none).
// Keys are folded to lower case with kFoldFixed. A lookup that fails with
// an errno other than "no such entry" is a temporary error. Read-only; no
// sequence (postmap -s: "sequence operation is not supported").
// Any other map name fails to open: "unknown table: unix:NAME".
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>

#include <memory>
#include <vector>

#include "tables/types.h"
#include "util/strings.h"

namespace tables {
namespace {

bool NoSuchEntry(int err) {
  return err == 0 || err == ENOENT || err == ESRCH || err == EBADF || err == EPERM;
}

class UnixTable : public Table {
 public:
  UnixTable(std::string_view name, bool passwd, unsigned flags)
      : Table("unix", std::string(name), flags), passwd_(passwd) {}

  LookupResult Lookup(std::string_view key) override {
    std::string k = FoldKey(key);
    std::vector<char> buf(16384);
    for (;;) {
      int err;
      std::string value;
      bool found = false;
      if (passwd_) {
        struct passwd pw, *res = nullptr;
        err = getpwnam_r(k.c_str(), &pw, buf.data(), buf.size(), &res);
        if (err == 0 && res != nullptr) {
          found = true;
          value = util::StrFormat("%s:%s:%ld:%ld:%s:%s:%s", pw.pw_name, pw.pw_passwd,
                                  static_cast<long>(pw.pw_uid), static_cast<long>(pw.pw_gid),
                                  pw.pw_gecos, pw.pw_dir, pw.pw_shell);
        }
      } else {
        struct group gr, *res = nullptr;
        err = getgrnam_r(k.c_str(), &gr, buf.data(), buf.size(), &res);
        if (err == 0 && res != nullptr) {
          found = true;
          value =
              util::StrFormat("%s:%s:%ld:", gr.gr_name, gr.gr_passwd, static_cast<long>(gr.gr_gid));
          for (char** m = gr.gr_mem; *m != nullptr; m++) {
            if (m != gr.gr_mem) value += ',';
            value += *m;
          }
        }
      }
      if (err == ERANGE && buf.size() < (1u << 24)) {
        buf.resize(buf.size() * 2);
        continue;
      }
      if (found) return LookupResult::Found(std::move(value));
      if (NoSuchEntry(err)) return LookupResult::NotFound();
      return LookupResult::TempError(spec() + ": lookup of " + k + ": " + strerror(err));
    }
  }

  util::Status Sequence(const std::function<bool(std::string_view, std::string_view)>&) override {
    return util::FailedPrecondition("table " + spec() + ": sequence operation is not supported");
  }

 private:
  bool passwd_;
};

}  // namespace

util::StatusOr<std::unique_ptr<Table>> OpenUnix(std::string_view name, const OpenOptions& options) {
  if (name == "passwd.byname")
    return std::unique_ptr<Table>(new UnixTable(name, true, options.flags));
  if (name == "group.byname")
    return std::unique_ptr<Table>(new UnixTable(name, false, options.flags));
  return util::FailedPrecondition("unknown table: unix:" + std::string(name));
}

}  // namespace tables
