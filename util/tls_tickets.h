// tls_tickets: RFC 5077 session tickets for a util::tls::ServerContext
// whose keys come from outside the process, so that a session made with
// one server process resumes in another (Postfix's tlsmgr(8) hands the
// keys to every smtpd). The keys themselves are plain data here: made with
// NewTicketKey, carried as text with EncodeTicketKey/DecodeTicketKey.
//
//   util::tls::EnableTickets(*ctx, lifetime, session_context,
//       [&](const util::tls::TicketKeyName* name) -> std::optional<util::tls::TicketKey> {
//         return name ? keys.Find(*name)     // decrypting a ticket: that key, if known
//                     : keys.Current();      // issuing a ticket: the current key
//       });
//
// Tickets are AES-256-CBC encrypted and HMAC-SHA256 authenticated
// (Postfix's tls_session_ticket_cipher default). A ticket older than
// `lifetime` seconds does not resume (also the lifetime hint the client
// gets); a ticket made with a key that is no longer the current one (its
// `expires` has passed) still resumes and is replaced by a new ticket.
// When the source has no key (the key service is unreachable), no ticket
// is issued or accepted and every handshake is a full one. The source is
// called during the handshake, so it must answer quickly.
#pragma once

#include <array>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "util/status.h"
#include "util/tls.h"

namespace util::tls {

using TicketKeyName = std::array<unsigned char, 16>;

struct TicketKey {
  TicketKeyName name{};
  std::array<unsigned char, 32> hmac{};  // HMAC-SHA256 key
  std::array<unsigned char, 32> aes{};   // AES-256-CBC key
  long expires = 0;                      // time(2): new tickets use it until then
};

// A fresh random key (name too) used for new tickets until `expires`.
StatusOr<TicketKey> NewTicketKey(long expires);
// The key name as 32 lowercase hex digits, and back.
std::string TicketKeyNameHex(const TicketKeyName& name);
std::optional<TicketKeyName> ParseTicketKeyName(std::string_view hex);
// "NAME:HMAC:AES:EXPIRES" (hex, hex, hex, decimal), and back.
std::string EncodeTicketKey(const TicketKey& key);
StatusOr<TicketKey> DecodeTicketKey(std::string_view text);

// Where keys come from: nullptr asks for the key to issue a ticket with;
// a name asks for that key to open a ticket. nullopt: no such key.
using TicketKeySource = std::function<std::optional<TicketKey>(const TicketKeyName* name)>;

// Turns on tickets (TLS 1.2 and 1.3) for `ctx` with keys from `source`.
// `session_context` names what a session may be resumed by (sessions of
// another context never resume here: e.g. another service, or other
// client certificate settings). Call before any handshake.
Status EnableTickets(ServerContext& ctx, long lifetime, std::string_view session_context,
                     TicketKeySource source);
// No tickets at all (OpenSSL would otherwise issue TLS 1.2 tickets under
// a key of its own, good for this process only).
void DisableTickets(ServerContext& ctx);

}  // namespace util::tls
