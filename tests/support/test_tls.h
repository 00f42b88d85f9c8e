// Test-time TLS material (library ploke_test_tls: OpenSSL's libcrypto). Certificates are
// made when a test runs, never committed: a self-signed certificate that is its own CA
// (basicConstraints CA:TRUE), so a client trusts it by taking the certificate file as its
// CA bundle, with the subject alternative names given (DNS names and IP literals).
#pragma once

#include <string>
#include <vector>

namespace ploke::testing {

struct TestCertificate {
  std::string cert_file;  ///< PEM certificate (also the CA bundle that trusts it)
  std::string key_file;   ///< PEM private key (P-256)
};

/// Writes `<dir>/<stem>.crt` and `<dir>/<stem>.key` for `names` ("localhost", "127.0.0.1");
/// aborts the test (ADD_FAILURE + empty paths) if OpenSSL fails.
TestCertificate make_test_certificate(const std::string& dir, const std::string& stem,
                                      const std::vector<std::string>& names);

}  // namespace ploke::testing
