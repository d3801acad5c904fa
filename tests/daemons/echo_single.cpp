// echo-single: a single-server test daemon (server/single_server.h).
//
// For each client it reads lines until the client closes and answers each
// one with "PID SERVICE: LINE\n" (PID of this process, SERVICE its -n
// name). Parameters (main.cf or master.cf -o; unknown names are fine):
//   test_delay = N        sleep N seconds before answering each line
//   test_fail_start = yes exit at start-up with "fatal: test_fail_start is set"
// Logs "client done: N lines" after each client.
#include <unistd.h>

#include <string>

#include "server/single_server.h"
#include "util/msg.h"
#include "util/strings.h"

int main(int argc, char** argv) {
  server::SingleServerHooks hooks;
  hooks.post_init = [](server::Server& s) {
    if (util::ParseBool(s.config().Get(config::AnyParam::Dynamic("test_fail_start")))
            .value_or(false)) {
      msg::Fatal("test_fail_start is set");
    }
  };
  hooks.service = [](util::Stream& client, server::Server& s) {
    long long delay =
        util::ParseInt(s.config().Get(config::AnyParam::Dynamic("test_delay"))).value_or(0);
    std::string line;
    int lines = 0;
    while (client.ReadLine(&line, 4096).ok()) {
      if (delay > 0) sleep(static_cast<unsigned>(delay));
      client.WriteF("%ld %s: %s\n", static_cast<long>(getpid()), s.service_name().c_str(),
                    line.c_str());
      if (!client.Flush().ok()) break;
      ++lines;
    }
    msg::Info("client done: %d lines", lines);
  };
  server::RunSingleServer(argc, argv, hooks);
}
