#include "util/tls_tickets.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <time.h>

#include <memory>

#include "util/strings.h"

namespace util::tls {

namespace {

std::string Hex(const unsigned char* p, size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * n);
  for (size_t i = 0; i < n; ++i) {
    out += kDigits[p[i] >> 4];
    out += kDigits[p[i] & 15];
  }
  return out;
}

bool Unhex(std::string_view hex, unsigned char* out, size_t n) {
  if (hex.size() != 2 * n) return false;
  auto digit = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (size_t i = 0; i < n; ++i) {
    int hi = digit(hex[2 * i]), lo = digit(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<unsigned char>(hi << 4 | lo);
  }
  return true;
}

// The source of one SSL_CTX, kept in its ex_data and freed with it.
struct Tickets {
  TicketKeySource source;
};

void FreeTickets(void*, void* ptr, CRYPTO_EX_DATA*, int, long, void*) {
  delete static_cast<Tickets*>(ptr);
}

int ExIndex() {
  static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, FreeTickets);
  return index;
}

int KeyCallback(SSL* ssl, unsigned char* key_name, unsigned char* iv, EVP_CIPHER_CTX* cipher,
                EVP_MAC_CTX* mac, int enc) {
  auto* t = static_cast<Tickets*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), ExIndex()));
  if (t == nullptr) return 0;
  std::optional<TicketKey> key;
  if (enc) {
    key = t->source(nullptr);
    if (!key) return 0;  // no ticket
    if (RAND_bytes(iv, EVP_MAX_IV_LENGTH) != 1) return -1;
    std::copy(key->name.begin(), key->name.end(), key_name);
  } else {
    TicketKeyName name;
    std::copy(key_name, key_name + name.size(), name.begin());
    key = t->source(&name);
    if (!key) return 0;  // unknown (or no) key: a full handshake
  }
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY, key->hmac.data(), key->hmac.size()),
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_end(),
  };
  if (EVP_MAC_CTX_set_params(mac, params) != 1) return -1;
  if (enc) {
    if (EVP_EncryptInit_ex(cipher, EVP_aes_256_cbc(), nullptr, key->aes.data(), iv) != 1) return -1;
    return 1;
  }
  if (EVP_DecryptInit_ex(cipher, EVP_aes_256_cbc(), nullptr, key->aes.data(), iv) != 1) return -1;
  // A key no longer used for new tickets: resume, and send a new ticket.
  // Under TLS 1.3 always a new one: a client uses each ticket once
  // (RFC 8446 C.4; OpenSSL's client does), so without a fresh ticket every
  // other connection would be a full handshake.
  return key->expires <= time(nullptr) || SSL_version(ssl) == TLS1_3_VERSION ? 2 : 1;
}

}  // namespace

StatusOr<TicketKey> NewTicketKey(long expires) {
  TicketKey k;
  if (RAND_bytes(k.name.data(), k.name.size()) != 1 ||
      RAND_bytes(k.hmac.data(), k.hmac.size()) != 1 || RAND_bytes(k.aes.data(), k.aes.size()) != 1)
    return Internal("RAND_bytes failed: cannot make a session ticket key");
  k.expires = expires;
  return k;
}

std::string TicketKeyNameHex(const TicketKeyName& name) { return Hex(name.data(), name.size()); }

std::optional<TicketKeyName> ParseTicketKeyName(std::string_view hex) {
  TicketKeyName name;
  if (!Unhex(hex, name.data(), name.size())) return std::nullopt;
  return name;
}

std::string EncodeTicketKey(const TicketKey& k) {
  return TicketKeyNameHex(k.name) + ":" + Hex(k.hmac.data(), k.hmac.size()) + ":" +
         Hex(k.aes.data(), k.aes.size()) + ":" + std::to_string(k.expires);
}

StatusOr<TicketKey> DecodeTicketKey(std::string_view text) {
  std::vector<std::string> parts = Split(text, ':');
  TicketKey k;
  std::optional<long long> expires;
  if (parts.size() != 4 || !Unhex(parts[0], k.name.data(), k.name.size()) ||
      !Unhex(parts[1], k.hmac.data(), k.hmac.size()) ||
      !Unhex(parts[2], k.aes.data(), k.aes.size()) || !(expires = ParseInt(parts[3])))
    return InvalidArgument("malformed session ticket key");
  k.expires = static_cast<long>(*expires);
  return k;
}

Status EnableTickets(ServerContext& ctx, long lifetime, std::string_view session_context,
                     TicketKeySource source) {
  SSL_CTX* c = ctx.ctx();
  // At most 32 bytes: a digest of the name.
  unsigned char sid[EVP_MAX_MD_SIZE];
  unsigned int sid_len = 0;
  if (EVP_Digest(session_context.data(), session_context.size(), sid, &sid_len, EVP_sha256(),
                 nullptr) != 1 ||
      SSL_CTX_set_session_id_context(c, sid, std::min<unsigned>(sid_len, SSL_MAX_SID_CTX_LENGTH)) !=
          1)
    return Internal("cannot set the TLS session id context");
  if (ExIndex() < 0) return Internal("SSL_CTX_get_ex_new_index failed");
  auto t = std::make_unique<Tickets>();
  t->source = std::move(source);
  auto* old = static_cast<Tickets*>(SSL_CTX_get_ex_data(c, ExIndex()));
  if (SSL_CTX_set_ex_data(c, ExIndex(), t.get()) != 1) return Internal("SSL_CTX_set_ex_data");
  delete old;
  t.release();
  SSL_CTX_clear_options(c, SSL_OP_NO_TICKET);
  SSL_CTX_set_num_tickets(c, 1);
  SSL_CTX_set_timeout(c, lifetime);
  if (SSL_CTX_set_tlsext_ticket_key_evp_cb(c, KeyCallback) != 1)
    return Internal("cannot install the session ticket callback");
  return OkStatus();
}

void DisableTickets(ServerContext& ctx) {
  SSL_CTX_set_options(ctx.ctx(), SSL_OP_NO_TICKET);
  SSL_CTX_set_num_tickets(ctx.ctx(), 0);
}

}  // namespace util::tls
