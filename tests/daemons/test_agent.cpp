// test-agent: a delivery agent for qmgr's system tests, built on the shared
// agent library (global/deliver_request.h, global/deliver_status.h).
//
// For each delivery request it appends "+ PID NEXTHOP RCPT,RCPT..." (and
// " last" when qmgr flagged it as the message's last delivery,
// deliver_request::kFlagLastDelivery) to the record file, sleeps, appends
// "- PID", then reports every recipient: sent,
// or deferred / bounced when the recipient's local part starts with
// "defer" / "bounce"; a nexthop of "site-fail" makes the whole delivery a
// destination failure (every recipient deferred, site_failure=1).
// Parameters (main.cf or master.cf -o; unknown names are fine):
//   test_record = PATH        the record file (required)
//   test_delay_ms = N         milliseconds to sleep per delivery
#include <fcntl.h>
#include <unistd.h>

#include <string>

#include "global/deliver_request.h"
#include "global/deliver_status.h"
#include "server/single_server.h"
#include "util/msg.h"
#include "util/strings.h"

namespace {

void Record(const std::string& path, const std::string& line) {
  int fd = open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) msg::Fatal("open %s: %m", path.c_str());
  std::string l = line + "\n";
  if (write(fd, l.data(), l.size()) != static_cast<ssize_t>(l.size())) msg::Fatal("write: %m");
  close(fd);
}

}  // namespace

int main(int argc, char** argv) {
  server::SingleServerHooks hooks;
  hooks.service = [](util::Stream& client, server::Server& s) {
    std::string record = s.config().Get(config::AnyParam::Dynamic("test_record"));
    long long delay =
        util::ParseInt(s.config().Get(config::AnyParam::Dynamic("test_delay_ms"))).value_or(0);
    deliver_status::ServeRequest(
        client, s.config(),
        [&](const deliver_request::Request& req, deliver_status::Reporter& rep) {
          std::string rcpts;
          for (const auto& r : req.recipients) rcpts += (rcpts.empty() ? "" : ",") + r.address;
          std::string pid = std::to_string(getpid());
          bool last = req.flags & deliver_request::kFlagLastDelivery;
          Record(record, "+ " + pid + " " + req.nexthop + " " + rcpts + (last ? " last" : ""));
          if (delay > 0) usleep(static_cast<useconds_t>(delay * 1000));
          Record(record, "- " + pid);
          bool site_fail = req.nexthop == "site-fail";
          if (site_fail) rep.SetSiteFailure("4.4.1 test site failure");
          for (size_t i = 0; i < req.recipients.size(); i++) {
            const std::string& a = req.recipients[i].address;
            if (site_fail)
              rep.Deferred(i, req.nexthop, "4.4.1", "test site failure");
            else if (a.rfind("defer", 0) == 0)
              rep.Deferred(i, req.nexthop, "4.2.0", "test deferral");
            else if (a.rfind("bounce", 0) == 0)
              rep.Bounced(i, req.nexthop, "5.1.1", "test bounce");
            else
              rep.Sent(i, req.nexthop, "2.0.0", "delivered to test");
          }
        });
  };
  server::RunSingleServer(argc, argv, hooks);
}
