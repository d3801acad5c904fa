#include "util/tls_ccert.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "util/strings.h"

namespace util::tls {

namespace {

// Postfix decides what an unverified certificate means; the handshake
// goes on whatever the verdict (SSL_get_verify_result keeps it).
int AcceptAny(int, X509_STORE_CTX*) { return 1; }

StatusOr<std::string> Digest(const unsigned char* data, size_t len, std::string_view digest) {
  EVP_MD* md = EVP_MD_fetch(nullptr, std::string(digest).c_str(), nullptr);
  if (md == nullptr) return InvalidArgument("unknown message digest: " + std::string(digest));
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  int ok = EVP_Digest(data, len, out, &n, md, nullptr);
  EVP_MD_free(md);
  if (ok != 1) return Internal("EVP_Digest: " + OpenSslErrors());
  std::string text;
  for (unsigned int i = 0; i < n; ++i) text += StrFormat(i ? ":%02X" : "%02X", out[i]);
  return text;
}

}  // namespace

Status AskClientCertificates(ServerContext& ctx, const ClientCertSettings& st) {
  SSL_CTX* c = ctx.ctx();
  ERR_clear_error();
  if (!st.ca_file.empty() || !st.ca_path.empty()) {
    if (SSL_CTX_load_verify_locations(c, st.ca_file.empty() ? nullptr : st.ca_file.c_str(),
                                      st.ca_path.empty() ? nullptr : st.ca_path.c_str()) != 1)
      return FailedPrecondition("cannot load Certification Authority data, CAfile=\"" + st.ca_file +
                                "\", CApath=\"" + st.ca_path + "\": " + OpenSslErrors());
  }
  if (!st.ca_file.empty()) {
    STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(st.ca_file.c_str());
    if (names == nullptr)
      return FailedPrecondition("cannot load CA names from \"" + st.ca_file +
                                "\": " + OpenSslErrors());
    SSL_CTX_set_client_CA_list(c, names);
  }
  SSL_CTX_set_verify(c, SSL_VERIFY_PEER | SSL_VERIFY_CLIENT_ONCE, AcceptAny);
  SSL_CTX_set_verify_depth(c, st.verify_depth);
  return OkStatus();
}

StatusOr<std::string> CertFingerprint(std::string_view der, std::string_view digest) {
  return Digest(reinterpret_cast<const unsigned char*>(der.data()), der.size(), digest);
}

StatusOr<std::string> PublicKeyFingerprint(std::string_view der, std::string_view digest) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  X509* cert = d2i_X509(nullptr, &p, static_cast<long>(der.size()));
  if (cert == nullptr) return InvalidArgument("malformed certificate");
  unsigned char* spki = nullptr;
  int n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &spki);
  X509_free(cert);
  if (n <= 0) return InvalidArgument("malformed certificate public key");
  auto out = Digest(spki, static_cast<size_t>(n), digest);
  OPENSSL_free(spki);
  return out;
}

std::string_view ClientTrust(const Summary& s) {
  if (!s.peer_cert_present) return "Anonymous";
  return s.peer_cert_trusted ? "Trusted" : "Untrusted";
}

}  // namespace util::tls
