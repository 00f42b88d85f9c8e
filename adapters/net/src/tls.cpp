// OpenSSL, non-blocking, for LoopHttpClient. See tls.h for the contract.
#include "tls.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <arpa/inet.h>

#include <cerrno>
#include <cstring>

namespace ploke::net::detail {
namespace {

bool is_ip_literal(const std::string& host) {
  unsigned char buf[sizeof(in6_addr)];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

std::string last_error_reason() {
  const unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return errno != 0 ? std::string("socket error: ") + std::strerror(errno) : "connection closed";
  const char* reason = ERR_reason_error_string(e);
  return reason != nullptr ? reason : "error " + std::to_string(e);
}

// The outcome of an SSL call that returned `r`.
TlsWant want_of(ssl_st* ssl, int r) {
  switch (SSL_get_error(ssl, r)) {
    case SSL_ERROR_NONE: return TlsWant::kDone;
    case SSL_ERROR_WANT_READ: return TlsWant::kRead;
    case SSL_ERROR_WANT_WRITE: return TlsWant::kWrite;
    case SSL_ERROR_ZERO_RETURN: return TlsWant::kEof;
    default: return TlsWant::kFailed;
  }
}

// Both sides: TLS 1.2+, partial writes from a moving buffer, an EOF without close_notify
// read as EOF.
void common_setup(ssl_ctx_st* ctx) {
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
}

}  // namespace

void SslCtxFree::operator()(ssl_ctx_st* ctx) const { SSL_CTX_free(ctx); }

Result<TlsContext> make_tls_context(bool verify, const std::string& ca_file) {
  TlsContext ctx(SSL_CTX_new(TLS_client_method()));
  if (!ctx) return InternalError("TLS: cannot create a client context: " + last_error_reason());
  common_setup(ctx.get());
  static const unsigned char kAlpn[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
  SSL_CTX_set_alpn_protos(ctx.get(), kAlpn, sizeof kAlpn);
  if (!verify) {
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);
    return ctx;
  }
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  ERR_clear_error();
  const int loaded = ca_file.empty() ? SSL_CTX_set_default_verify_paths(ctx.get())
                                     : SSL_CTX_load_verify_locations(ctx.get(), ca_file.c_str(), nullptr);
  if (loaded != 1) {
    return InvalidRequestError("TLS: cannot load CA certificates from " +
                               (ca_file.empty() ? std::string("the system's default paths") : ca_file) + ": " +
                               last_error_reason());
  }
  return ctx;
}

namespace {
// ALPN on the server: "http/1.1" when the client offers it, else no ALPN (HTTP/1.1 anyway).
int select_http11(ssl_st*, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
                  unsigned int inlen, void*) {
  static const unsigned char kAlpn[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
  unsigned char* selected = nullptr;
  if (SSL_select_next_proto(&selected, outlen, kAlpn, sizeof kAlpn, in, inlen) != OPENSSL_NPN_NEGOTIATED) {
    return SSL_TLSEXT_ERR_NOACK;
  }
  *out = selected;
  return SSL_TLSEXT_ERR_OK;
}
}  // namespace

Result<TlsContext> make_tls_server_context(const std::string& cert_file, const std::string& key_file) {
  TlsContext ctx(SSL_CTX_new(TLS_server_method()));
  if (!ctx) return InternalError("TLS: cannot create a server context: " + last_error_reason());
  common_setup(ctx.get());
  SSL_CTX_set_alpn_select_cb(ctx.get(), select_http11, nullptr);
  // Many mostly idle keep-alive clients: their buffers are freed between records (a busy
  // upstream connection keeps its own: the client context does not set this).
  SSL_CTX_set_mode(ctx.get(), SSL_MODE_RELEASE_BUFFERS);
  ERR_clear_error();
  if (SSL_CTX_use_certificate_chain_file(ctx.get(), cert_file.c_str()) != 1) {
    return InvalidRequestError("TLS: cannot load the certificate chain " + cert_file + ": " + last_error_reason());
  }
  if (SSL_CTX_use_PrivateKey_file(ctx.get(), key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    return InvalidRequestError("TLS: cannot use the private key " + key_file + " with the certificate " + cert_file +
                               ": " + last_error_reason());  // unreadable, or "key values mismatch"
  }
  if (SSL_CTX_check_private_key(ctx.get()) != 1) {
    return InvalidRequestError("TLS: the private key " + key_file + " does not match the certificate " + cert_file);
  }
  return ctx;
}

ssl_st* tls_accept_new(ssl_ctx_st* ctx, int fd) {
  ssl_st* ssl = SSL_new(ctx);
  if (ssl == nullptr) return nullptr;
  if (SSL_set_fd(ssl, fd) != 1) {
    SSL_free(ssl);
    return nullptr;
  }
  SSL_set_accept_state(ssl);
  return ssl;
}

void tls_close_notify(ssl_st* ssl) {
  ERR_clear_error();
  (void)SSL_shutdown(ssl);
  ERR_clear_error();
}

Result<ssl_st*> tls_new(ssl_ctx_st* ctx, int fd, const std::string& host, bool verify) {
  ERR_clear_error();
  ssl_st* ssl = SSL_new(ctx);
  if (ssl == nullptr) return InternalError("TLS: cannot create a connection: " + last_error_reason());
  const bool ip = is_ip_literal(host);
  bool ok = SSL_set_fd(ssl, fd) == 1;
  if (ok && !ip) ok = SSL_set_tlsext_host_name(ssl, host.c_str()) == 1;
  if (ok && verify) {
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    ok = ip ? X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str()) == 1 : SSL_set1_host(ssl, host.c_str()) == 1;
  }
  if (!ok) {
    SSL_free(ssl);
    return InternalError("TLS: cannot set up a connection to " + host + ": " + last_error_reason());
  }
  SSL_set_connect_state(ssl);
  return ssl;
}

void tls_free(ssl_st* ssl) { SSL_free(ssl); }

TlsWant tls_handshake(ssl_st* ssl) {
  ERR_clear_error();
  errno = 0;
  return want_of(ssl, SSL_do_handshake(ssl));
}

TlsStep tls_read(ssl_st* ssl, char* buf, size_t cap) {
  ERR_clear_error();
  errno = 0;
  size_t n = 0;
  const int r = SSL_read_ex(ssl, buf, cap, &n);
  if (r == 1) return {TlsWant::kDone, n};
  return {want_of(ssl, r), 0};
}

TlsStep tls_write(ssl_st* ssl, const char* data, size_t len) {
  ERR_clear_error();
  errno = 0;
  size_t n = 0;
  const int r = SSL_write_ex(ssl, data, len, &n);
  if (r == 1) return {TlsWant::kDone, n};
  return {want_of(ssl, r), 0};
}

bool tls_has_pending(ssl_st* ssl) { return SSL_has_pending(ssl) == 1; }

bool tls_idle_alive(ssl_st* ssl) {
  char b;
  // kRead: only records without data were there. Data nobody asked for, EOF or an error: no.
  return tls_read(ssl, &b, 1).want == TlsWant::kRead;
}

Status handshake_failure(ssl_st* ssl, const std::string& origin) {
  const long verify = SSL_get_verify_result(ssl);
  if (verify != X509_V_OK) {
    ERR_clear_error();
    return ConnectionResetError("TLS: the certificate of " + origin +
                                " failed verification: " + X509_verify_cert_error_string(verify))
        .with_should_retry(false);
  }
  return ConnectionResetError("TLS handshake with " + origin + " failed: " + last_error_reason());
}

}  // namespace ploke::net::detail
