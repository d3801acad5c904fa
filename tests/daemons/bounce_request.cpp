// bounce-request: asks the bounce service for a notice about one message
// (global/bounce_client.h), for the system tests of bounce.
//
//   bounce-request -c CONFIG_DIR bounce|delay|success QUEUE ID
//
// Prints "ok" and exits 0 when the service answered status 0; otherwise
// prints the error ("unavailable: TEXT" for kUnavailable) and exits 1.
#include <unistd.h>

#include <cstdio>
#include <string>

#include "global/bounce_client.h"
#include "global/config.h"

int main(int argc, char** argv) {
  std::string config_dir;
  int c;
  while ((c = getopt(argc, argv, "c:")) != -1) {
    if (c == 'c') {
      config_dir = optarg;
    } else {
      std::fprintf(stderr, "usage: bounce-request -c DIR KIND QUEUE ID\n");
      return 2;
    }
  }
  if (argc - optind != 3) {
    std::fprintf(stderr, "usage: bounce-request -c DIR KIND QUEUE ID\n");
    return 2;
  }
  std::string kind = argv[optind];
  bounce_client::Notice n = kind == "delay"     ? bounce_client::Notice::kDelay
                            : kind == "success" ? bounce_client::Notice::kSuccess
                                                : bounce_client::Notice::kNonDelivery;
  auto cfg = config::Config::Load(config::ConfigDirectory(config_dir));
  if (!cfg.ok()) {
    std::fprintf(stderr, "bounce-request: %s\n", cfg.status().message().c_str());
    return 1;
  }
  util::Status st = bounce_client::Request(*cfg, n, argv[optind + 1], argv[optind + 2]);
  if (st.ok()) {
    std::printf("ok\n");
    return 0;
  }
  std::printf("%s: %s\n", st.code() == util::Code::kUnavailable ? "unavailable" : "error",
              st.message().c_str());
  return 1;
}
