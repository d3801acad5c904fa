// keyring: tlsmgr's session ticket keys (util/tls_tickets.h): the current
// key, used for new tickets for `lifetime` seconds and then replaced by a
// fresh one, and the keys before it, each of which still opens tickets for
// `lifetime` seconds after it was replaced (a ticket lives at most
// `lifetime`). Keys live in memory only: a restarted tlsmgr starts a new
// key, and tickets made before it no longer resume (a full handshake, as
// with Postfix's tlsmgr).
//
//   tlsmgr::KeyRing ring(3600);                 // smtpd_tls_session_cache_timeout
//   util::StatusOr<util::tls::TicketKey> k = ring.Current();
//   std::optional<util::tls::TicketKey> old = ring.Find(name);
//
// The clock is injectable for tests.
#pragma once

#include <functional>
#include <optional>
#include <vector>

#include "util/status.h"
#include "util/tls_tickets.h"

namespace tlsmgr {

class KeyRing {
 public:
  explicit KeyRing(long lifetime, std::function<long()> now = nullptr);

  // The key for new tickets (a new one when there is none or it expired).
  util::StatusOr<util::tls::TicketKey> Current();
  // The key of that name while it may open tickets.
  std::optional<util::tls::TicketKey> Find(const util::tls::TicketKeyName& name);

 private:
  void Expire();

  long lifetime_;
  std::function<long()> now_;
  std::vector<util::tls::TicketKey> keys_;  // newest last
};

}  // namespace tlsmgr
