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

// The name's commonName, or (an issuer without one) its organization.
std::string NameText(X509_NAME* name, bool or_organization) {
  if (name == nullptr) return "";
  for (int nid : {NID_commonName, NID_organizationName}) {
    int i = X509_NAME_get_index_by_NID(name, nid, -1);
    if (i >= 0) {
      ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));
      unsigned char* utf8 = nullptr;
      int n = ASN1_STRING_to_UTF8(&utf8, data);
      if (n < 0) return "";
      std::string out(reinterpret_cast<char*>(utf8), static_cast<size_t>(n));
      OPENSSL_free(utf8);
      return Printable(out);
    }
    if (!or_organization) break;
  }
  return "";
}

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

// Postfix's wording of a chain that did not verify.
std::string VerifyFailure(long result, X509* cert) {
  switch (result) {
    case X509_V_OK:
      return "";
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
      return "self-signed certificate";
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN: {
      char buf[256];
      X509_NAME_oneline(X509_get_issuer_name(cert), buf, sizeof(buf));
      return std::string("untrusted issuer ") + buf;
    }
    case X509_V_ERR_CERT_NOT_YET_VALID:
      return "certificate not yet valid";
    case X509_V_ERR_CERT_HAS_EXPIRED:
      return "certificate has expired";
    default:
      return StrFormat("num=%ld:%s", result, X509_verify_cert_error_string(result));
  }
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

void SummarizePeer(SSL* ssl, Summary* s) {
  s->session_reused = SSL_session_reused(ssl) == 1;
  s->peer_cert_requested = (SSL_get_verify_mode(ssl) & SSL_VERIFY_PEER) != 0;
  X509* peer = SSL_get0_peer_certificate(ssl);
  if (peer == nullptr) return;
  s->peer_cert_present = true;
  const long result = SSL_get_verify_result(ssl);
  s->peer_cert_trusted = result == X509_V_OK;
  s->peer_verify_failure = VerifyFailure(result, peer);
  s->peer_CN = NameText(X509_get_subject_name(peer), false);
  s->issuer_CN = NameText(X509_get_issuer_name(peer), true);
  unsigned char* der = nullptr;
  int n = i2d_X509(peer, &der);
  if (n > 0) s->peer_cert_der.assign(reinterpret_cast<char*>(der), static_cast<size_t>(n));
  OPENSSL_free(der);
}

}  // namespace util::tls
