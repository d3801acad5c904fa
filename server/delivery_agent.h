// delivery_agent: the skeleton of the mailbox delivery agents (virtual,
// local): a single server that reads one delivery request per connection,
// reads the request's queue file and hands each recipient's decision to
// the agent, reporting its mailbox::Result with the agent's relay name.
//
//   int main(int argc, char** argv) {
//     server::RunDeliveryAgent(argc, argv, "virtual",
//         [](server::Server& s) { ... create the agent from s.config() ... },
//         [](const server::AgentRequest& r, size_t i) { return agent->Deliver(...); });
//   }
//
// The queue file is the one deliver_status::Reporter opened for update
// (one open per request; one that cannot be opened gets qmgr's "try
// again" reply). A single outcome for the
// recipient itself is reported as sent, bounced or deferred through
// global/deliver_status.h; several (or one for another address) are
// logged one by one as expansions ("to=<ann@host>, orig_to=<team@host>")
// and the recipient is done when none was deferred. Outcomes already
// reported by another agent are only counted.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "global/config.h"
#include "global/deliver_request.h"
#include "global/mailbox_result.h"
#include "global/queue_file.h"
#include "server/single_server.h"

namespace server {

struct AgentRequest {
  const config::Config& cfg;
  const deliver_request::Request& req;
  const queue_file::Reader& file;
  // A content function reading the queue file (for mailbox::Message).
  mailbox::ContentFn content() const {
    return [this](const mailbox::LineFn& fn) { return file.ReadContent(fn); };
  }
};

// The outcome for `address`: empty for the recipient itself, else an
// address it was expanded to (local(8) aliases and .forward files).
// `relay` replaces the agent's relay name in the log line ("none" for a
// transport that could not be reached). `reported`: the outcome was
// logged and recorded by the agent the recipient was passed to
// (global/deliver_pass.h); it is not logged again, only counted (kSent:
// finished, kDeferred: tried again).
struct AgentOutcome {
  std::string address;
  mailbox::Result result;
  std::string relay;
  bool reported = false;
};

using AgentDeliverFn =
    std::function<std::vector<AgentOutcome>(const AgentRequest& r, size_t recipient)>;

void RunDeliveryAgent(int argc, char** argv, std::string_view relay,
                      std::function<void(Server&)> post_init, AgentDeliverFn deliver);

}  // namespace server
