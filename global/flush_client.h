// flush_client: requests to the fast flush service (Postfix's flush(8)),
// as postqueue -s SITE and postqueue -i ID send them.
//
// PROTOCOL (util/attr.h over $queue_directory/public/$flush_service_name,
// one request, one reply):
//   {request="send_site", site=SITE}   deliver the mail queued for SITE now
//   {request="send_file", queue_id=ID} deliver that deferred message now
//   reply {status=N}: Status below.
//   {request="add", site=SITE, queue_id=ID}  log a deferred message for SITE
// The service is flush/ (`flush unix n - n 1000? 0 flush` in master.cf);
// when it is not running, postqueue says Postfix's "Cannot flush mail
// queue - mail system is down".
//
// SendSite first checks `site` against $fast_flush_domains in this
// process (global/domain_list.h, domain style), as Postfix's client does
// (kDeny: "Flush service is not configured for destination"); a list that
// cannot be searched counts as no match.
//
//   switch (flush_client::SendFile(cfg, "3F2A1B2C", &why)) { ... }
#pragma once

#include <string>
#include <string_view>

#include "global/config.h"

namespace flush_client {

enum class Status {
  kOk = 0,    // request accepted
  kFail = 1,  // the service is unavailable (why says more)
  kBad = 3,   // invalid request (bad site or queue ID)
  kDeny = 4,  // the site is not in $fast_flush_domains
};

// `why` (may be null) receives a connection error for kFail.
Status SendSite(const config::Config& cfg, std::string_view site, std::string* why);
Status SendFile(const config::Config& cfg, std::string_view queue_id, std::string* why);

// Whether `site` matches the list in $fast_flush_domains (above).
bool FlushDomainMatches(const config::Config& cfg, std::string_view site);

// Host names and address literals: what may name a site (and its log).
bool ValidSite(std::string_view site);

// Called where a recipient is deferred (its defer log entry written): when
// the recipient's domain is in $fast_flush_domains, the flush service logs
// the queue ID for it (ETRN and postqueue -s can then deliver it). A
// failure is only a warning, as with Postfix ("ID: flush service failure").
void NoteDeferred(const config::Config& cfg, std::string_view recipient, std::string_view queue_id);

}  // namespace flush_client
