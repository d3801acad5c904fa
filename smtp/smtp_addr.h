// smtp_addr: where the smtp client connects for a nexthop (Postfix's
// smtp_addr/smtp_connect destination handling): the ordered list of
// (host name, address, port) to try, or a DNS failure classified as
// temporary (defer) or permanent (bounce).
//
//   smtp::LookupOptions o = smtp::LookupOptions::FromConfig(cfg);
//   smtp::Plan p = smtp::PlanDelivery(req.nexthop, o, util::dns::SystemResolver());
//   if (!p.ok()) ... p.dsn ("4.4.3"/"5.4.4"/"5.4.6"), p.reason
//   for (const smtp::Host& h : p.hosts) connect(h.address, h.port) ...
//
// Nexthop forms (the part after "transport:"):
//   [host]:port, [host], [192.0.2.1]  no MX lookup: the host's addresses
//   host, domain, domain:port         MX lookup; without MX records (NODATA
//                                     or NXDOMAIN) the name's own addresses
//   a port is a number or a service name ("submission" -> 587); the default
//   is smtp_tcp_port.
// LMTP (LookupOptions::lmtp, lmtp(8)): "unix:PATH" is a UNIX-domain socket
// (one Host, local, named myhostname, PATH as its address: relative PATHs
// are relative to the queue directory, the daemon's working directory);
// "inet:" may prefix the forms above; no MX lookups (the host's own
// addresses), no "loops back to myself", and lmtp_fallback_relay is
// ignored for a unix: destination, with Postfix's warning.
// MX hosts are tried in preference order (equal preferences shuffled by
// util/dns). An MX host that is this machine (myhostname, or one of the
// addresses of inet_interfaces/proxy_interfaces) ends the list: hosts of
// equal or worse preference are dropped; if that leaves nothing, the mail
// "loops back to myself" (5.4.6). A null MX (RFC 7505) bounces (5.1.10).
// At most smtp_mx_address_limit addresses are returned (0 = no limit).
// smtp_fallback_relay destinations are appended after the nexthop's own
// hosts; when the nexthop cannot be resolved at all they are used alone.
//
// Host address lookups follow smtp_host_lookup ("dns", "native" =
// getaddrinfo, or both in the order given) and inet_protocols.
// Errors use Postfix's wording:
//   "Host or domain name not found. Name service error for name=x type=MX:
//    Host not found, try again"                        4.4.3, temporary
//   "Host or domain name not found. Name service error for name=x type=A:
//    Host not found"                                   5.4.4, permanent
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "global/config.h"
#include "util/dns.h"

namespace smtp {

struct Host {
  std::string name;     // MX host or nexthop name (the address for [1.2.3.4])
  std::string address;  // numeric
  int port = 25;
  int preference = 0;
  bool local = false;  // LMTP unix:PATH: `address` is the socket's path, no port
};

struct Plan {
  std::vector<Host> hosts;
  std::string dsn;  // set when hosts is empty
  std::string reason;
  bool ok() const { return !hosts.empty(); }
};

struct LookupOptions {
  bool mx_dns = true;                              // MX lookups (disable_dns_lookups=no)
  std::vector<std::string> host_lookup = {"dns"};  // "dns" / "native", in order
  bool ipv4 = true;
  bool ipv6 = true;
  int mx_address_limit = 5;
  int default_port = 25;
  std::vector<std::string> fallback_relays;
  std::string myhostname;
  std::vector<std::string> own_addresses;  // normalized numeric
  bool lmtp = false;                       // LMTP destinations (above)

  static LookupOptions FromConfig(const config::Config& cfg, std::string_view prefix = "smtp");
};

// The hosts of one destination (no fallback relays).
Plan PlanDestination(std::string_view nexthop, const LookupOptions& options,
                     util::dns::Resolver& resolver);
// The hosts of the nexthop, then of each fallback relay.
Plan PlanDelivery(std::string_view nexthop, const LookupOptions& options,
                  util::dns::Resolver& resolver);

}  // namespace smtp
