// tls_testing: helpers for the TLS unit tests (*_test.cpp only), in
// util::testing.
//
//   util::testing::CertFile cert;                 // a fresh key and certificate
//   settings.chain_files.push_back(cert.path());  // removed with the object
#pragma once

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <string>

namespace util::testing {

// A self-signed P-256 certificate and its key in one PEM file.
class CertFile {
 public:
  explicit CertFile(const char* cn = "mx.example.com") {
    char tmpl[] = "/tmp/tls_test_XXXXXX";
    int fd = mkstemp(tmpl);
    path_ = tmpl;
    EVP_PKEY* key = EVP_EC_gen("P-256");
    X509* x = X509_new();
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), 0);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_set_pubkey(x, key);
    X509_NAME* name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn),
                               -1, -1, 0);
    X509_set_issuer_name(x, name);
    X509_sign(x, key, EVP_sha256());
    FILE* f = fdopen(fd, "w");
    PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr);
    PEM_write_X509(f, x);
    fclose(f);
    X509_free(x);
    EVP_PKEY_free(key);
  }
  ~CertFile() { unlink(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace util::testing
