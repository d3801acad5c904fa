// echo-multi: a multi-server test daemon (server/multi_server.h).
//
// Each request is an attribute list {line=TEXT}; the reply is
// {reply="PID SERVICE: TEXT"}. Many clients at once, many rounds per
// connection. A request {exit=yes} is answered {reply=bye} and makes the
// process exit once its connections are done (Server::RequestExit). Any
// other attribute is refused ("unknown attribute: x") and the connection
// dropped. Parameters: test_fail_start = yes (fatal at start-up), and
// test_delay = N (sleep N seconds before each reply).
#include <unistd.h>

#include <string>

#include "server/multi_server.h"
#include "util/msg.h"
#include "util/strings.h"

int main(int argc, char** argv) {
  server::MultiServerHooks hooks;
  hooks.post_init = [](server::Server& s) {
    if (util::ParseBool(s.config().Get(config::AnyParam::Dynamic("test_fail_start")))
            .value_or(false)) {
      msg::Fatal("test_fail_start is set");
    }
  };
  hooks.request = [](const util::AttrList& req, server::Connection&,
                     server::Server& s) -> util::StatusOr<util::AttrList> {
    if (util::Status st = req.RefuseUnknown({"line", "exit"}); !st.ok()) return st;
    if (req.Has("exit")) {
      s.RequestExit();
      return util::AttrList{{"reply", "bye"}};
    }
    util::StatusOr<std::string_view> line = req.GetRequired("line");
    if (!line.ok()) return line.status();
    long long delay =
        util::ParseInt(s.config().Get(config::AnyParam::Dynamic("test_delay"))).value_or(0);
    if (delay > 0) sleep(static_cast<unsigned>(delay));
    std::string reply =
        std::to_string(getpid()) + " " + s.service_name() + ": " + std::string(*line);
    return util::AttrList{{"reply", reply}};
  };
  server::RunMultiServer(argc, argv, hooks);
}
