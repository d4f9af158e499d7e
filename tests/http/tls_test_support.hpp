#pragma once
// Self-signed certificates for the desk's TLS tests, made with OpenSSL's C
// API (no openssl command needed): a P-256 key and a certificate for
// 127.0.0.1 (subjectAltName IP:127.0.0.1), valid from an hour ago for a day.

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>

namespace wachtpost::testing {

struct TestKeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct TestCertFree {
  void operator()(X509* cert) const { X509_free(cert); }
};
struct TestFileClose {
  void operator()(std::FILE* file) const { std::fclose(file); }
};

using TestKey = std::unique_ptr<EVP_PKEY, TestKeyFree>;

inline TestKey new_test_key() {
  TestKey key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!key) throw std::runtime_error("EVP_PKEY_Q_keygen failed");
  return key;
}

// Writes `key` as PEM; with a passphrase, encrypted (PKCS#8, AES-256-CBC).
inline void write_test_key(const TestKey& key, const std::string& path, const std::string& passphrase = {}) {
  const std::unique_ptr<std::FILE, TestFileClose> file(std::fopen(path.c_str(), "w"));
  if (!file) throw std::runtime_error("cannot write " + path);
  std::string pass = passphrase;
  const bool ok = passphrase.empty()
                      ? PEM_write_PrivateKey(file.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1
                      : PEM_write_PrivateKey(file.get(), key.get(), EVP_aes_256_cbc(),
                                             reinterpret_cast<unsigned char*>(pass.data()),
                                             static_cast<int>(pass.size()), nullptr, nullptr) == 1;
  if (!ok) throw std::runtime_error("PEM_write_PrivateKey failed");
}

// A self-signed certificate of `key` for 127.0.0.1, as PEM at `path`.
inline void write_test_certificate(const TestKey& key, const std::string& path) {
  const std::unique_ptr<X509, TestCertFree> cert(X509_new());
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 86400);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("127.0.0.1"), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  X509V3_CTX context;
  X509V3_set_ctx(&context, cert.get(), cert.get(), nullptr, nullptr, 0);
  X509_EXTENSION* san = X509V3_EXT_conf_nid(nullptr, &context, NID_subject_alt_name, "IP:127.0.0.1");
  if (san == nullptr) throw std::runtime_error("subjectAltName failed");
  X509_add_ext(cert.get(), san, -1);
  X509_EXTENSION_free(san);
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) throw std::runtime_error("X509_sign failed");
  const std::unique_ptr<std::FILE, TestFileClose> file(std::fopen(path.c_str(), "w"));
  if (!file || PEM_write_X509(file.get(), cert.get()) != 1) throw std::runtime_error("cannot write " + path);
}

// A certificate and its key in `folder`: PREFIXcert.pem and PREFIXkey.pem.
struct TestCertificate {
  std::string cert_file;
  std::string key_file;
};

inline TestCertificate make_test_certificate(const std::string& folder, const std::string& prefix = "") {
  const TestKey key = new_test_key();
  const std::filesystem::path at(folder);
  TestCertificate made{(at / (prefix + "cert.pem")).string(), (at / (prefix + "key.pem")).string()};
  write_test_certificate(key, made.cert_file);
  write_test_key(key, made.key_file);
  return made;
}

}  // namespace wachtpost::testing
