// flush: the fast flush service's logic (Postfix's flush(8)): per
// destination logs of deferred queue IDs, and the requests that deliver
// the mail of one destination, or one message, now.
//
//   flush::Service svc(cfg);                 // $queue_directory/flush/, fast_flush_*
//   util::AttrList reply = svc.Handle(request_attrs);
//
// REQUESTS (attribute lists, global/flush_client.h):
//   add        site, queue_id   append queue_id to the log of site
//   send_site  site             deliver the mail logged for site now
//   send_file  queue_id         deliver that deferred message now
//   refresh                     send the logs not sent for fast_flush_refresh_time;
//                               remove the empty ones unused for fast_flush_purge_time
//   purge                       send every log
// Reply {status=N}: 0 done, 3 bad request (site or queue ID), 4 the site
// is not in $fast_flush_domains, 1 failure.
//
// LOGS: $queue_directory/flush/SITE (the site in lower case; only host
// names and address literals get a log, nothing that could be a path), one
// queue ID per line, appended under an exclusive flock. Sending a site
// reads its log, empties it, and for each distinct ID still in deferred/
// moves the file to incoming/ with its time set to now; then it wakes
// qmgr ("RW": dead destinations revived, incoming/ scanned). IDs whose message is gone, or is being
// delivered, are dropped: a message that is deferred again is logged again (by the deferral,
// global/flush_client.h NoteDeferred).
#pragma once

#include <string>

#include "global/config.h"
#include "global/mail_queue.h"
#include "util/attr.h"

namespace flush {

class Service {
 public:
  explicit Service(const config::Config& cfg);
  util::AttrList Handle(const util::AttrList& request);

  // The parts, for tests: each returns the reply status.
  int Add(std::string_view site, std::string_view queue_id);
  int SendSite(std::string_view site);
  int SendFile(std::string_view queue_id);
  int Refresh();
  int Purge();

 private:
  // The log path of `site`, or "" when the site is not acceptable.
  std::string LogPath(std::string_view site) const;
  // Moves deferred/ID to incoming/ (time now); false when it is not there.
  bool Requeue(const std::string& id);
  int SendLog(const std::string& path, bool* moved);
  // Refresh (all = false) or Purge (all = true).
  int Sweep(bool all);
  void WakeQmgr();

  const config::Config& cfg_;
  mail_queue::Layout layout_;
  std::string dir_;
  long long refresh_time_;
  long long purge_time_;
};

}  // namespace flush
