// smtp_reuse: what the smtp and lmtp clients keep about a connection they
// hand to the connection cache (scache(8), global/scache_client.h), so the
// next delivery to the same server can go on where this one ended: without
// a greeting or EHLO, with what the server offered then.
//
//   std::string label = smtp::EndpointLabel("relay", "192.0.2.1", 25);
//   smtp::ReuseState st{host, uses, first_used, ehlo};
//   cache.Save(label, smtp::EncodeReuse(st), fd, ttl);
//   ... later:
//   std::optional<smtp::ReuseState> back = smtp::DecodeReuse(cached.props);
//
// The label names the master.cf service (its -o settings made the session)
// and the server's address and port (a UNIX socket: its path). Only plain
// sessions are cached: not one that uses TLS or has authenticated (the
// client decides, smtp_deliver.h).
#pragma once

#include <optional>
#include <string>

#include "global/smtp_reply.h"

namespace smtp {

struct ReuseState {
  std::string host;     // "name[address]" as in log lines
  int uses = 0;         // deliveries made over the connection so far
  long long since = 0;  // when it was opened (seconds since the epoch)
  smtp_reply::Ehlo ehlo;
};

// "SERVICE|ADDRESS:PORT", or "SERVICE|PATH" for a UNIX socket (port 0).
std::string EndpointLabel(const std::string& service, const std::string& address, int port);

std::string EncodeReuse(const ReuseState& st);
// nullopt for text EncodeReuse did not write.
std::optional<ReuseState> DecodeReuse(const std::string& text);

}  // namespace smtp
