// finisher: what happens to a message after its last delivery.
//
//   Finisher finisher(cfg, deps);
//   Finisher::Outcome o = finisher.Finish(m);   // then forget m
//
// When every delivery answered "all finished" and qmgr wrote nothing
// itself, the file is removed at once (after the non-delivery notice, when
// an agent bounced a recipient). Otherwise the queue file is read again:
//   - live recipients left and the message older than
//     maximal_queue_lifetime (bounce_queue_lifetime for the null sender):
//     each is bounced with its last defer reason ("4.4.7 delivery time
//     expired" when there is none); the same, whatever its age, for a
//     message postsuper -e/-f marked (Message::force_expired, or the mark
//     found now), logged "status=force-expired, returned to sender", with
//     "4.7.0 message is administratively expired" when there is no reason
//     (the feeder gives such a message no delivery at all);
//   - a bounce/ log exists: Notices::Notify(kNonDelivery) first; if that
//     fails the message is kept (deferred, retried later);
//   - nothing live: the file and its logs are removed ("ID: removed");
//   - else the delay notice goes out if this is the first attempt to end
//     past delay_warning_time, and the file moves to deferred/ with its
//     retry time (NextRetryTime: minimal_backoff_time ..
//     maximal_backoff_time) as mtime.
// A file renamed or removed meanwhile (postsuper) is forgotten. Done marks
// an agent left unsynced are synced before the file is kept.
#pragma once

#include "global/config.h"
#include "qmgr/deps.h"
#include "qmgr/message.h"

namespace qmgr {

class Finisher {
 public:
  enum class Outcome {
    kRemoved,   // delivered (or bounced) to every recipient: the file is gone
    kDeferred,  // moved to deferred/ with its retry time
    kGone,      // the file was not there (any more): nothing done
    kKept,      // left in active/ (it could not be removed or moved)
  };
  Finisher(const config::Config& cfg, const Deps& deps) : cfg_(cfg), deps_(deps) {}
  // Decides `m`'s fate; the caller forgets it afterwards (m.removed tells
  // whether its file was unlinked).
  Outcome Finish(Message& m);

 private:
  // Removes the file, its trace/ log and the logs asked for.
  Outcome Remove(Message& m, bool defer_log, bool bounce_log);
  const config::Config& cfg_;
  Deps deps_;
};

}  // namespace qmgr
