// TLS contexts for the coordinator (server) and site agents / operators (clients).
//
// Both sides: TLS 1.3 only; cipher suites TLS_AES_256_GCM_SHA384, TLS_AES_128_GCM_SHA256 and
// TLS_CHACHA20_POLY1305_SHA256; mutual certificates; the peer chain must end at the consortium CA
// given here (the system trust store is never loaded); the CRL is checked for every certificate
// in the chain and the handshake fails when the CRL is missing or past its nextUpdate plus
// `crl_grace` (fail closed). Clients also verify the coordinator's DNS name.
//
// Session resumption is disabled (no tickets, no cache), so every connection runs the full
// certificate and CRL checks. The verified identity comes from the peer's pancaim URI SAN.
//
// A TlsContext owns its boost::asio::ssl::context. It is safe to use from many connections at
// once; Reload() swaps certificates/CRL for *new* connections without a restart (thread-safe):
// the files are consulted through per-handshake callbacks, so native() stays the same object.
// The TlsContext must outlive every stream created from native(). Do not change the verify
// mode, verify callback or certificates of native() or of streams made from it.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/ssl/context.hpp>
#include <boost/system/error_code.hpp>

#include "pancaim/common/status.h"
#include "pancaim/crypto/certificate_authority.h"
#include "pancaim/crypto/identity.h"

namespace pancaim::crypto {

// Where a party's TLS material lives. Plain value.
struct TlsFiles {
  std::string ca_cert_path{};  // consortium root CA certificate (PEM)
  std::string cert_path{};     // this party's certificate (PEM)
  std::string key_path{};      // this party's private key (PEM, unencrypted, mode 0600 or stricter)
  std::string crl_path{};      // the consortium CRL (PEM); required (fail closed)
  std::chrono::seconds crl_grace{0};   // accepted staleness past nextUpdate
  std::string expected_server_name{};  // client side: the coordinator's DNS name (required)
  // Test hook: the clock used for CRL freshness and expiry checks (default: system clock).
  // OpenSSL's own certificate-validity checks always use the real time.
  std::function<std::chrono::system_clock::time_point()> clock{};
};

// Warn this long before a certificate in use expires.
inline constexpr std::chrono::days kExpiryWarningWindow{30};

// Result of TlsContext::CheckExpiry, for logs and status pages.
struct CertificateExpiry {
  std::chrono::seconds remaining{0};  // until the first of own/CA certificate expires
  std::string which{};                // "own certificate site:x (serial ..)" or "CA certificate"
  bool warning = false;               // remaining < the warning window
  std::string message{};              // human summary, e.g. "own certificate ... expires in 12 days"
};

class TlsContext {
 public:
  enum class Side { kServer, kClient };

  // Loads and checks the files; errors name the file and what is wrong with it:
  // NotFound (missing file, including a missing CRL: fail closed), InvalidArgument (not PEM,
  // key not matching the certificate, CRL not signed by the CA, own certificate without a pancaim
  // identity or with the wrong role for `side` (server: coordinator; client: site or operator),
  // client without expected_server_name), PermissionDenied (key readable by group/others),
  // FailedPrecondition (CRL stale, own certificate expired, not yet valid or revoked).
  static StatusOr<std::unique_ptr<TlsContext>> Create(Side side, const TlsFiles& files);

  boost::asio::ssl::context& native();

  // Re-reads the files (new CRL, rotated certificate) for connections made after this call.
  // Same checks and errors as Create; on error the previous material stays in use (and a stale
  // previous CRL keeps failing handshakes closed).
  Status Reload();

  Side side() const;

  // The identity in this party's own (currently loaded) certificate; a copy, as Reload may swap it.
  PeerIdentity own_identity() const;

  // Time until this party's own certificate expires (for the 30-day warning).
  std::chrono::seconds own_certificate_remaining() const;

  // Checks the own and CA certificates' expiry against `window`; logs a WARNING line when one
  // expires within it (or has expired). Create and Reload call it; the application should also
  // call it periodically (e.g. daily) and show the result on its status page.
  CertificateExpiry CheckExpiry(std::chrono::seconds window = kExpiryWarningWindow) const;

  // What the currently loaded CRL says (nextUpdate, revoked serials), for status pages.
  CrlInfo crl_info() const;

  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  struct State;  // implementation detail, named here so OpenSSL's C callbacks can reach it

 private:
  TlsContext();
  std::unique_ptr<State> state_;
};

// After a successful handshake on `ssl` (SSL* of the stream), extracts the verified peer identity
// from its certificate. Unauthenticated when there is no certificate or it did not verify;
// InvalidArgument when it has no valid pancaim URI SAN.
StatusOr<PeerIdentity> VerifiedPeerIdentity(void* ssl_native_handle);

// Why a handshake on `ssl` failed, for logs and errors: the reason recorded by this library's
// certificate checks ("certificate revoked", "CRL is stale: ...", "hostname mismatch", with the
// peer's subject) when there is one, else OpenSSL's verify result, else `error`'s message
// (e.g. "unsupported protocol", "peer did not return a certificate").
std::string DescribeHandshakeFailure(void* ssl_native_handle,
                                     const boost::system::error_code& error);

}  // namespace pancaim::crypto
