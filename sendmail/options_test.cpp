#include "sendmail/options.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "util/strings.h"

namespace sendmail {
namespace {

// A compact description of the parsed options, for table rows.
std::string Describe(const Options& o) {
  std::string s = util::StrFormat("mode=%d", static_cast<int>(o.mode));
  if (!o.config_dir.empty()) s += " C=" + o.config_dir;
  if (o.have_sender) s += " f=" + o.sender;
  if (o.have_full_name) s += " F=" + o.full_name;
  if (o.extract) s += " t";
  if (!o.dot) s += " i";
  if (o.rewrite_context != "local") s += " G";
  if (!o.encoding.empty()) s += " B=" + o.encoding;
  if (!o.dsn_envid.empty()) s += " V=" + o.dsn_envid;
  if (!o.dsn_ret.empty()) s += " R=" + o.dsn_ret;
  if (o.dsn_notify) s += " N=" + std::to_string(o.dsn_notify);
  if (o.verp) s += " XV";
  if (!o.flush_id.empty()) s += " qI=" + o.flush_id;
  if (!o.flush_site.empty()) s += " qR=" + o.flush_site;
  for (const std::string& r : o.recipients) s += " [" + r + "]";
  return s;
}

TEST(OptionsTest, Table) {
  struct Case {
    std::string name;
    std::vector<std::string> args;
    std::string want;  // Describe() or "error: ..."
  };
  const std::vector<Case> cases = {
      {"recipients", {"sendmail", "bob", "carol@x"}, "mode=0 [bob] [carol@x]"},
      {"clustered", {"sendmail", "-ti", "-fme@x", "-F", "Me Too"}, "mode=0 f=me@x F=Me Too t i"},
      {"oi and r", {"sendmail", "-oi", "-r", "<>", "bob"}, "mode=0 f=<> i [bob]"},
      {"ignored",
       {"sendmail", "-om", "-o7", "-oAx", "-h", "5", "-L", "x", "-m", "-n", "-U", "-Ox=y", "-Am",
        "-X", "/tmp/log", "-q30m", "-bh", "bob"},
       "mode=0 [bob]"},
      {"stop at non-option", {"sendmail", "bob", "-t"}, "mode=0 [bob] [-t]"},
      {"double dash", {"sendmail", "-i", "--", "-bob"}, "mode=0 i [-bob]"},
      {"config", {"sendmail", "-C", "/etc/x", "bob"}, "mode=0 C=/etc/x [bob]"},
      {"config c", {"sendmail", "-c/etc/y"}, "mode=0 C=/etc/y"},
      {"smtp", {"sendmail", "-bs"}, "mode=1"},
      {"mailq option", {"sendmail", "-bp"}, "mode=2"},
      {"mailq name", {"/usr/sbin/mailq"}, "mode=2"},
      {"flush", {"sendmail", "-q"}, "mode=3"},
      {"flush id", {"sendmail", "-qIABC"}, "mode=3 qI=ABC"},
      {"flush site", {"sendmail", "-qRexample.com"}, "mode=3 qR=example.com"},
      {"daemon", {"sendmail", "-bd", "-q30m"}, "mode=4"},
      {"newaliases", {"newaliases"}, "mode=5"},
      {"dash I", {"sendmail", "-I"}, "mode=5"},
      {"dsn",
       {"sendmail", "-N", "success,delay", "-R", "hdrs", "-V", "env1", "-B", "8bitmime"},
       "mode=0 B=8bit V=env1 R=HDRS N=10"},
      {"never", {"sendmail", "-Nnever", "bob"}, "mode=0 N=1 [bob]"},
      {"gateway verp", {"sendmail", "-G", "-XV", "bob"}, "mode=0 G XV [bob]"},
      {"unknown", {"sendmail", "-z"}, "error: invalid option -- 'z'"},
      {"missing value", {"sendmail", "-f"}, "error: option requires an argument -- 'f'"},
      {"bad B", {"sendmail", "-B", "binary"}, "error: -B option needs 8BITMIME or 7BIT"},
      {"bad N", {"sendmail", "-N", "never,success"}, "error: bad -N option value: never,success"},
      {"bad N word", {"sendmail", "-N", "sometimes"}, "error: bad -N option value: sometimes"},
      {"bad R", {"sendmail", "-R", "some"}, "error: -R option needs FULL or HDRS"},
      {"bad V", {"sendmail", "-V", "a b"}, "error: bad -V option value: a b"},
      {"bad b", {"sendmail", "-bv"}, "error: unsupported: -bv"},
      {"qS", {"sendmail", "-qSx"}, "error: -qS option is not implemented"},
  };
  for (const Case& c : cases) {
    util::StatusOr<Options> o = ParseOptions(c.args);
    std::string got = o.ok() ? Describe(*o) : "error: " + o.status().message();
    EXPECT_EQ(got, c.want) << c.name;
  }
}

}  // namespace
}  // namespace sendmail
