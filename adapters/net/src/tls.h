// Internal to ploke_net: the TLS side of LoopHttpClient (OpenSSL, non-blocking, on the
// caller's socket). Nothing here blocks or waits: every step says what the socket must
// become ready for before the caller tries again, so the event loop drives the handshake,
// writes and reads like plain ones.
//
// Contract:
//  - A TlsContext is one SSL_CTX: TLS 1.2+, ALPN "http/1.1", SSL_MODE_ENABLE_PARTIAL_WRITE |
//    ACCEPT_MOVING_WRITE_BUFFER (pooled upstream connections keep their record buffers:
//    freeing them per record costs more CPU than the ~34 KiB each holds),
//    an EOF without close_notify reads as EOF (as curl and browsers do; the HTTP framing
//    still detects a truncated body). Verification (on unless the caller turns it off):
//    the CA file given, else OpenSSL's default paths (which honour SSL_CERT_FILE /
//    SSL_CERT_DIR), then the host name (or IP literal) against the certificate.
//  - Server side: TLS 1.2+, ALPN answers "http/1.1" (the only protocol spoken), session
//    tickets on, RELEASE_BUFFERS (many idle keep-alive clients hold no buffers). tls_accept_new() gives an SSL for an accepted socket; the server then runs
//    tls_handshake / tls_read / tls_write like the client.
//  - tls_new(): SNI for a host name (never for an IP literal), hostname checking when
//    verifying. tls_free() frees the SSL, never the socket.
//  - tls_handshake / tls_read / tls_write: one non-blocking step. kRead/kWrite: wait for
//    that readiness, then call again (with the same buffer for writes). kEof: the peer
//    closed. kFailed: a TLS or socket error.
//  - handshake_failure(): the classified Status for a failed handshake: a certificate that
//    does not verify is kConnectionReset with should_retry=false (the retry layer then falls
//    over to another endpoint instead of retrying this one) and the X.509 reason; any other
//    handshake failure is a plain kConnectionReset naming the OpenSSL reason.
//  - The OpenSSL error queue is cleared before every step (it is per thread).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "ploke/core/status.h"

struct ssl_st;
struct ssl_ctx_st;

namespace ploke::net::detail {

struct SslCtxFree {
  void operator()(ssl_ctx_st* ctx) const;
};
using TlsContext = std::unique_ptr<ssl_ctx_st, SslCtxFree>;

/// The client context; kInvalidRequest naming the file when `ca_file` cannot be loaded.
Result<TlsContext> make_tls_context(bool verify, const std::string& ca_file);

/// The server context (HttpServer, ServerOptions::tls_cert_file / tls_key_file): the PEM
/// certificate chain and private key; kInvalidRequest naming the file and the OpenSSL
/// reason when either cannot be loaded or they do not match.
Result<TlsContext> make_tls_server_context(const std::string& cert_file, const std::string& key_file);
/// An accepting SSL on an accepted socket; nullptr when OpenSSL cannot make one.
ssl_st* tls_accept_new(ssl_ctx_st* ctx, int fd);
/// Sends close_notify once (non-blocking; best effort) before a half-close.
void tls_close_notify(ssl_st* ssl);

/// A client SSL on `fd` for `host` (SNI, hostname check when `verify`); kInternal on failure.
Result<ssl_st*> tls_new(ssl_ctx_st* ctx, int fd, const std::string& host, bool verify);
void tls_free(ssl_st* ssl);

enum class TlsWant : uint8_t { kDone, kRead, kWrite, kEof, kFailed };
struct TlsStep {
  TlsWant want = TlsWant::kFailed;
  size_t n = 0;  ///< bytes read or written (kDone)
};

TlsWant tls_handshake(ssl_st* ssl);
TlsStep tls_read(ssl_st* ssl, char* buf, size_t cap);
TlsStep tls_write(ssl_st* ssl, const char* data, size_t len);
/// Decrypted or buffered bytes a read would return without waiting on the socket.
bool tls_has_pending(ssl_st* ssl);
/// For a pooled connection whose socket has bytes: true when they were only TLS records
/// without data (session tickets, a key update) and the connection is still usable.
bool tls_idle_alive(ssl_st* ssl);

Status handshake_failure(ssl_st* ssl, const std::string& origin);

}  // namespace ploke::net::detail
