#include "server/delivery_agent.h"

#include <string>

#include "global/deliver_status.h"
#include "global/mail_queue.h"
#include "util/msg.h"
#include "util/strings.h"

namespace server {

void RunDeliveryAgent(int argc, char** argv, std::string_view relay_name,
                      std::function<void(Server&)> post_init, AgentDeliverFn deliver) {
  static std::string relay;
  static AgentDeliverFn deliver_fn;
  relay = relay_name;
  deliver_fn = std::move(deliver);
  SingleServerHooks hooks;
  hooks.post_init = std::move(post_init);
  hooks.service = [](util::Stream& client, Server& s) {
    const config::Config& cfg = s.config();
    deliver_status::ServeRequest(
        client, cfg, [&cfg](const deliver_request::Request& req, deliver_status::Reporter& rep) {
          AgentRequest r{cfg, req, rep.file()};
          for (size_t i = 0; i < req.recipients.size(); i++) {
            std::vector<AgentOutcome> outs = deliver_fn(r, i);
            const std::string& rcpt = req.recipients[i].address;
            bool single =
                outs.size() == 1 && !outs[0].reported &&
                (outs[0].address.empty() || util::EqualsIgnoreCase(outs[0].address, rcpt));
            if (!single) {
              bool deferred = false;
              for (const AgentOutcome& o : outs) {
                const char* status = o.result.outcome == mailbox::Outcome::kSent      ? "sent"
                                     : o.result.outcome == mailbox::Outcome::kBounced ? "bounced"
                                                                                      : "deferred";
                deferred |= o.result.outcome == mailbox::Outcome::kDeferred;
                if (o.reported) continue;
                rep.Expanded(i, o.address.empty() ? rcpt : o.address, status,
                             o.relay.empty() ? relay : o.relay, o.result.dsn, o.result.text);
              }
              rep.Finish(i, deferred);
              continue;
            }
            const mailbox::Result& res = outs[0].result;
            const std::string& via = outs[0].relay.empty() ? relay : outs[0].relay;
            switch (res.outcome) {
              case mailbox::Outcome::kSent:
                rep.Sent(i, via, res.dsn, res.text);
                break;
              case mailbox::Outcome::kBounced:
                rep.Bounced(i, via, res.dsn, res.text);
                break;
              case mailbox::Outcome::kDeferred:
                rep.Deferred(i, via, res.dsn, res.text);
                break;
            }
          }
        });
  };
  RunSingleServer(argc, argv, hooks);
}

}  // namespace server
