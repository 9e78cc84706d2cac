// TLS contexts for the coordinator (server) and site agents / operators (clients).
//
// Both sides: TLS 1.3 only; cipher suites TLS_AES_256_GCM_SHA384, TLS_AES_128_GCM_SHA256 and
// TLS_CHACHA20_POLY1305_SHA256; mutual certificates; the peer chain must end at the consortium CA
// given here (the system trust store is never loaded); the CRL is checked for every certificate
// in the chain and the handshake fails when the CRL is missing or past its nextUpdate plus
// `crl_grace` (fail closed). Clients also verify the coordinator's DNS name.
//
// A TlsContext owns its boost::asio::ssl::context. It is safe to use from many connections at
// once; Reload() swaps certificates/CRL for *new* connections without a restart (thread-safe).
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include <boost/asio/ssl/context.hpp>

#include "pancaim/common/status.h"
#include "pancaim/crypto/identity.h"

namespace pancaim::crypto {

struct TlsFiles {
  std::string ca_cert_path;  // consortium root CA certificate (PEM)
  std::string cert_path;     // this party's certificate (PEM)
  std::string key_path;      // this party's private key (PEM, mode 0600)
  std::string crl_path;      // the consortium CRL (PEM)
  std::chrono::seconds crl_grace{0};  // accepted staleness past nextUpdate
  std::string expected_server_name;   // client side: the coordinator's DNS name
};

class TlsContext {
 public:
  enum class Side { kServer, kClient };

  // Loads and checks the files; errors name the file and what is wrong with it.
  static StatusOr<std::unique_ptr<TlsContext>> Create(Side side, const TlsFiles& files);

  boost::asio::ssl::context& native();

  // Re-reads the files (new CRL, rotated certificate) for connections made after this call.
  Status Reload();

  // The identity in this party's own certificate.
  const PeerIdentity& own_identity() const;

  // Time until this party's own certificate expires (for the 30-day warning).
  std::chrono::seconds own_certificate_remaining() const;

  ~TlsContext();

 private:
  TlsContext();
  struct State;
  std::unique_ptr<State> state_;
};

// After a successful handshake on `ssl` (SSL* of the stream), extracts the verified peer identity
// from its certificate. Fails when there is no certificate or no valid pancaim URI SAN.
StatusOr<PeerIdentity> VerifiedPeerIdentity(void* ssl_native_handle);

}  // namespace pancaim::crypto
