#include "global/tlsmgr_client.h"

#include <time.h>

#include <algorithm>

#include "util/msg.h"
#include "util/strings.h"

namespace tlsmgr_client {

namespace {

constexpr long kMinLifetime = 120;          // 2 minutes
constexpr long kMaxLifetime = 100 * 86400;  // 100 days
constexpr long kMaxIpcSeconds = 10;         // asked during a handshake

}  // namespace

long TicketLifetime(const config::Config& cfg, std::string* warning) {
  long long t = cfg.GetTime("smtpd_tls_session_cache_timeout");
  if (t <= 0) return 0;
  if (t > kMaxLifetime) {
    if (warning != nullptr)
      *warning = util::StrFormat(
          "smtpd_tls_session_cache_timeout: %llds exceeds the limit of "
          "100 days; using %lds",
          t, kMaxLifetime);
    return kMaxLifetime;
  }
  return std::max<long>(static_cast<long>(t), kMinLifetime);
}

Client::Client(const config::Config& cfg)
    : Client(cfg.Get("queue_directory") + "/private/" + cfg.Get("tlsmgr_service_name"),
             TicketLifetime(cfg),
             std::chrono::seconds(
                 std::clamp<long long>(cfg.GetTime("ipc_timeout"), 1, kMaxIpcSeconds))) {}

Client::Client(std::string socket_path, long lifetime, std::chrono::milliseconds timeout)
    : client_(std::move(socket_path), "tlsmgr", timeout), lifetime_(lifetime) {}

std::optional<util::tls::TicketKey> Client::Key(const util::tls::TicketKeyName* name) {
  const long now = time(nullptr);
  // Forget keys that can open no ticket any more.
  std::erase_if(cache_,
                [&](const util::tls::TicketKey& k) { return k.expires + lifetime_ <= now; });
  for (const util::tls::TicketKey& k : cache_) {
    if (name != nullptr ? k.name == *name : k.expires > now) return k;
  }
  std::optional<util::tls::TicketKey> k = Ask(name ? util::tls::TicketKeyNameHex(*name) : "");
  if (k && k->expires + lifetime_ > now) cache_.push_back(*k);
  if (k && name == nullptr && k->expires <= now) return std::nullopt;  // a stale current key
  return k;
}

std::optional<util::tls::TicketKey> Client::Ask(std::string_view name_hex) {
  util::AttrList req;
  req.Set(kAttrRequest, kRequestTicketKey);
  req.Set(kAttrKeyName, name_hex);
  util::StatusOr<util::AttrList> reply = client_.Call(req);
  util::Status st = reply.status();
  if (reply.ok()) {
    util::StatusOr<long long> status = reply->GetInt(kAttrStatus);
    if (status.ok() && *status != 0) return std::nullopt;  // unknown key name
    std::optional<std::string_view> text = reply->Get(kAttrKey);
    if (status.ok() && text) {
      util::StatusOr<util::tls::TicketKey> key = util::tls::DecodeTicketKey(*text);
      if (key.ok()) return *key;
      st = key.status();
    } else {
      st = status.ok() ? util::InvalidArgument("reply without a key") : status.status();
    }
  }
  if (!warned_) {
    warned_ = true;
    msg::Warn("TLS session ticket key manager %s unavailable: %s; session resumption disabled",
              client_.socket_path().c_str(), st.message().c_str());
  }
  return std::nullopt;
}

}  // namespace tlsmgr_client
