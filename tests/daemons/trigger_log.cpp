// trigger-log: a trigger-server test daemon (server/trigger_server.h).
//
// For every byte of every trigger it appends "PID: trigger X" to the file
// named by test_trigger_log (X printable, other bytes as \ooo); with
// test_timer = N it also appends "PID: timer" every N seconds (a daemon
// timer on Server::loop()). Parameters come from main.cf or master.cf -o;
// without test_trigger_log it is fatal ("test_trigger_log is not set").
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <string>

#include "server/trigger_server.h"
#include "util/msg.h"
#include "util/strings.h"

namespace {

std::string log_path;

void Append(const std::string& text) {
  int fd = open(log_path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) msg::Fatal("open %s: %m", log_path.c_str());
  std::string line = std::to_string(getpid()) + ": " + text + "\n";
  if (write(fd, line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
    msg::Fatal("write %s: %m", log_path.c_str());
  }
  close(fd);
}

}  // namespace

int main(int argc, char** argv) {
  server::TriggerServerHooks hooks;
  hooks.post_init = [](server::Server& s) {
    log_path = s.config().Get(config::AnyParam::Dynamic("test_trigger_log"));
    if (log_path.empty()) msg::Fatal("test_trigger_log is not set");
    long long every =
        util::ParseInt(s.config().Get(config::AnyParam::Dynamic("test_timer"))).value_or(0);
    if (every > 0) {
      s.loop()->AddPeriodic(std::chrono::seconds(every), [] { Append("timer"); });
    }
  };
  hooks.service = [](std::string_view bytes, server::Server&) {
    for (char c : bytes) Append("trigger " + util::Printable(std::string_view(&c, 1)));
  };
  server::RunTriggerServer(argc, argv, hooks);
}
