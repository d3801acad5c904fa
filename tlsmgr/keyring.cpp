#include "tlsmgr/keyring.h"

#include <time.h>

namespace tlsmgr {

KeyRing::KeyRing(long lifetime, std::function<long()> now)
    : lifetime_(lifetime),
      now_(now ? std::move(now) : [] { return static_cast<long>(time(nullptr)); }) {}

void KeyRing::Expire() {
  const long now = now_();
  std::erase_if(keys_, [&](const util::tls::TicketKey& k) { return k.expires + lifetime_ <= now; });
}

util::StatusOr<util::tls::TicketKey> KeyRing::Current() {
  Expire();
  const long now = now_();
  if (!keys_.empty() && keys_.back().expires > now) return keys_.back();
  util::StatusOr<util::tls::TicketKey> k = util::tls::NewTicketKey(now + lifetime_);
  if (k.ok()) keys_.push_back(*k);
  return k;
}

std::optional<util::tls::TicketKey> KeyRing::Find(const util::tls::TicketKeyName& name) {
  Expire();
  for (const util::tls::TicketKey& k : keys_)
    if (k.name == name) return k;
  return std::nullopt;
}

}  // namespace tlsmgr
