// rewrite-query: asks a running instance's trivial-rewrite through the real
// client stubs (global/rewrite_client.h, global/resolve_client.h), for the
// system tests.
//
//   rewrite-query -c CONFIG_DIR [-t TIMEOUT_MS] < requests
//
// One request per input line, fields separated by white space, "<>" for an
// empty address:
//   rewrite local|remote ADDRESS
//   resolve SENDER ADDRESS
// One output line per request, fields separated by TABs:
//   rewrite<TAB>ADDRESS
//   resolve<TAB>TRANSPORT<TAB>NEXTHOP<TAB>RECIPIENT<TAB>CLASS FLAGS...
//     (rewrite_proto::FlagsString, e.g. "relay", "local final")
//   error<TAB>CODE<TAB>MESSAGE     (CODE: unavailable, ... from the stub)
// Each stub keeps one connection for all its lines. Exit status 0, or 2 on
// bad usage or input.
#include <unistd.h>

#include <iostream>
#include <string>

#include "global/config.h"
#include "global/resolve_client.h"
#include "global/rewrite_client.h"
#include "global/rewrite_proto.h"
#include "util/msg.h"
#include "util/strings.h"

namespace {

std::string Arg(const std::string& s) { return s == "<>" ? "" : s; }

std::string CodeName(util::Code c) {
  switch (c) {
    case util::Code::kUnavailable:
      return "unavailable";
    case util::Code::kDeadlineExceeded:
      return "deadline";
    default:
      return "other";
  }
}

void PrintError(const util::Status& st) {
  std::cout << "error\t" << CodeName(st.code()) << "\t" << st.message() << "\n";
}

}  // namespace

int main(int argc, char** argv) {
  msg::Init("rewrite-query");
  std::string dir;
  long long timeout_ms = 0;
  int c;
  while ((c = getopt(argc, argv, "c:t:")) != -1) {
    switch (c) {
      case 'c':
        dir = optarg;
        break;
      case 't':
        timeout_ms = util::ParseInt(optarg).value_or(0);
        break;
      default:
        std::cerr << "usage: rewrite-query -c DIR [-t MS]\n";
        return 2;
    }
  }
  util::StatusOr<config::Config> cfg = config::Config::Load(config::ConfigDirectory(dir));
  if (!cfg.ok()) msg::Fatal("%s", cfg.status().message().c_str());
  rewrite_client::RewriteClient rewriter(*cfg);
  resolve_client::ResolveClient resolver(*cfg);
  if (timeout_ms > 0) {
    rewriter.set_timeout(std::chrono::milliseconds(timeout_ms));
    resolver.set_timeout(std::chrono::milliseconds(timeout_ms));
  }
  std::string line;
  while (std::getline(std::cin, line)) {
    std::vector<std::string> f = util::SplitAny(line, " \t");
    if (f.empty()) continue;
    if (f[0] == "rewrite" && f.size() == 3) {
      rewrite::Context ctx;
      if (!rewrite::ParseContext(f[1], &ctx)) {
        std::cerr << "rewrite-query: unknown rule: " << f[1] << "\n";
        return 2;
      }
      util::StatusOr<std::string> r = rewriter.Rewrite(ctx, Arg(f[2]));
      if (!r.ok()) {
        PrintError(r.status());
      } else {
        std::cout << "rewrite\t" << *r << "\n";
      }
    } else if (f[0] == "resolve" && f.size() == 3) {
      util::StatusOr<resolve_client::ResolveResult> r = resolver.Resolve(Arg(f[1]), Arg(f[2]));
      if (!r.ok()) {
        PrintError(r.status());
      } else {
        std::cout << "resolve\t" << r->transport << "\t" << r->nexthop << "\t" << r->recipient
                  << "\t" << rewrite_proto::FlagsString(r->flags) << "\n";
      }
    } else {
      std::cerr << "rewrite-query: bad request: " << line << "\n";
      return 2;
    }
    std::cout.flush();
  }
  return 0;
}
