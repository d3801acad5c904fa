// tls_ccert: client certificates on the server side of TLS (Postfix's
// smtpd_tls_ask_ccert, smtpd_tls_CAfile / CApath, the fingerprints of
// relay_clientcerts and check_ccert_access).
//
//   util::tls::ClientCertSettings cs;
//   cs.ca_file = "/etc/postfix/clients-ca.pem";
//   util::Status st = util::tls::AskClientCertificates(*ctx, cs);   // before any handshake
//   ...after util::tls::Accept(..., &summary):
//   summary.peer_cert_present / peer_cert_trusted / peer_CN / issuer_CN
//   auto fp = util::tls::CertFingerprint(summary.peer_cert_der, "sha256");
//   // "9A:3C:...:0F", the form relay_clientcerts tables are keyed by
//
// A client is asked for a certificate (with the names of the CAs in the
// CA file) but never refused for not sending one, or for sending one that
// does not verify: the handshake completes and Summary says what came
// (Postfix decides later: smtpd_tls_req_ccert, permit_tls_clientcerts).
// A certificate is trusted when its chain verifies up to a CA of the CA
// file or directory within the verification depth. A resumed session
// carries the certificate and verdict of the session it resumes.
#pragma once

#include <string>
#include <string_view>

#include "util/status.h"
#include "util/tls.h"

namespace util::tls {

struct ClientCertSettings {
  std::string ca_file;  // PEM CAs; their names go into the certificate request
  std::string ca_path;  // a hashed directory of CAs (c_rehash)
  int verify_depth = 9;
};

// Makes `ctx` ask every client for a certificate. An error when a CA file
// or directory does not load.
Status AskClientCertificates(ServerContext& ctx, const ClientCertSettings& settings);

// The fingerprint of a DER certificate, or of its public key (DER
// SubjectPublicKeyInfo), with `digest` ("sha256", "sha1", "md5", ... any
// OpenSSL digest name): upper-case hex bytes joined by ':'.
StatusOr<std::string> CertFingerprint(std::string_view cert_der, std::string_view digest);
StatusOr<std::string> PublicKeyFingerprint(std::string_view cert_der, std::string_view digest);

// The first word of the server's log line (LogLine's `trust`): "Anonymous"
// without a client certificate, else "Trusted" or "Untrusted".
std::string_view ClientTrust(const Summary& s);

}  // namespace util::tls
