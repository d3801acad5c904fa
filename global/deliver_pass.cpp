#include "global/deliver_pass.h"

#include "util/msg.h"

namespace deliver_pass {

bool ParseService(std::string_view service, std::string_view default_nexthop,
                  std::string* transport, std::string* nexthop) {
  size_t colon = service.find(':');
  *transport = std::string(service.substr(0, colon));
  std::string_view next =
      colon == std::string_view::npos ? std::string_view() : service.substr(colon + 1);
  *nexthop = std::string(next.empty() ? default_nexthop : next);
  return !transport->empty() && transport->find('/') == std::string::npos && *transport != "." &&
         *transport != "..";
}

Result Pass(const std::string& queue_directory, std::string_view service,
            const deliver_request::Request& req, const deliver_request::Recipient& rcpt,
            std::chrono::milliseconds timeout) {
  deliver_request::Request pass = req;
  std::string transport;
  if (!ParseService(service, req.nexthop, &transport, &pass.nexthop)) {
    msg::Warn("bad transport name in \"%s\"", std::string(service).c_str());
    return {Outcome::kFailed, "4.3.0", "mail system configuration error"};
  }
  deliver_request::Recipient r = rcpt;
  r.offset = -1;  // the passing agent marks it done
  pass.recipients = {r};
  util::StatusOr<deliver_request::Reply> reply =
      deliver_request::Deliver(queue_directory + "/private/" + transport, pass, timeout);
  if (!reply.ok()) {
    msg::Warn("%s: %s", req.queue_id.c_str(), reply.status().message().c_str());
    if (reply.status().code() == util::Code::kUnavailable)
      return {Outcome::kFailed, "4.3.0", "mail transport unavailable"};
    return {Outcome::kFailed, "4.3.0", "unknown mail transport error"};
  }
  return {reply->status == 0 ? Outcome::kDone : Outcome::kDeferred, "", ""};
}

}  // namespace deliver_pass
