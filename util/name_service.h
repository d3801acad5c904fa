// name_service: a util::dns::Resolver over the C library's name service
// (getnameinfo / getaddrinfo, so /etc/hosts and then DNS as nsswitch.conf
// says), which is how Postfix's smtpd looks up client names: 127.0.0.1 is
// "localhost" from /etc/hosts even where no DNS server answers.
//
//   util::dns::Resolver& r = util::NameServiceResolver();
//   util::dns::Answer ptr = r.Lookup("192.0.2.1", util::dns::Type::kPtr);
//   util::dns::Answer a = r.Lookup("mail.example.com", util::dns::Type::kA);
//
// Only kPtr, kA and kAaaa are supported (anything else is kTempFail with
// an explanation). Outcomes: kFound; kNxDomain for EAI_NONAME / no name;
// kNoData for EAI_NODATA (and EAI_ADDRFAMILY); kTempFail for EAI_AGAIN and
// other failures. When the test seam MTA_DNS_NAMESERVER is set
// (util/dns.h), the lookups go to util::dns::SystemResolver() instead, so
// a test's private DNS server decides client names too.
#pragma once

#include "util/dns.h"

namespace util {

util::dns::Resolver& NameServiceResolver();

}  // namespace util
