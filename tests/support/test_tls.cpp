// See test_tls.h.
#include "support/test_tls.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <arpa/inet.h>

#include <cstdio>
#include <functional>
#include <memory>

namespace ploke::testing {
namespace {

bool is_ip(const std::string& s) {
  unsigned char buf[16];
  return inet_pton(AF_INET, s.c_str(), buf) == 1 || inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

bool add_ext(X509* x, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, x, x, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (ext == nullptr) return false;
  const bool ok = X509_add_ext(x, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

bool write_pem(const std::string& path, const std::function<int(FILE*)>& write) {
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "w"), &std::fclose);
  return f && write(f.get()) == 1;
}

}  // namespace

TestCertificate make_test_certificate(const std::string& dir, const std::string& stem,
                                      const std::vector<std::string>& names) {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_EC_gen("P-256"), &EVP_PKEY_free);
  std::unique_ptr<X509, decltype(&X509_free)> x(X509_new(), &X509_free);
  std::string san;
  for (const std::string& n : names) san += (san.empty() ? "" : ",") + std::string(is_ip(n) ? "IP:" : "DNS:") + n;
  bool ok = key && x && X509_set_version(x.get(), 2) == 1 &&
            ASN1_INTEGER_set(X509_get_serialNumber(x.get()), 1) == 1 &&
            X509_gmtime_adj(X509_getm_notBefore(x.get()), -3600) != nullptr &&
            X509_gmtime_adj(X509_getm_notAfter(x.get()), 7L * 24 * 3600) != nullptr &&
            X509_set_pubkey(x.get(), key.get()) == 1;
  if (ok) {
    X509_NAME* name = X509_get_subject_name(x.get());
    const std::string cn = "ploke-sim test " + stem;
    ok = X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn.c_str()), -1,
                                    -1, 0) == 1 &&
         X509_set_issuer_name(x.get(), name) == 1 && add_ext(x.get(), NID_basic_constraints, "critical,CA:TRUE") &&
         add_ext(x.get(), NID_key_usage, "critical,digitalSignature,keyCertSign") &&
         add_ext(x.get(), NID_subject_key_identifier, "hash") &&
         (san.empty() || add_ext(x.get(), NID_subject_alt_name, san)) &&
         X509_sign(x.get(), key.get(), EVP_sha256()) > 0;
  }
  TestCertificate out{dir + "/" + stem + ".crt", dir + "/" + stem + ".key"};
  ok = ok && write_pem(out.cert_file, [&](FILE* f) { return PEM_write_X509(f, x.get()); }) &&
       write_pem(out.key_file,
                 [&](FILE* f) { return PEM_write_PrivateKey(f, key.get(), nullptr, nullptr, 0, nullptr, nullptr); });
  if (!ok) {
    ADD_FAILURE() << "cannot make a test certificate in " << dir;
    return {};
  }
  return out;
}

}  // namespace ploke::testing
