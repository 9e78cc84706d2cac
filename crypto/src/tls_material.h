// The files behind a TlsContext, loaded and checked: CA, own certificate and key, CRL.
// Immutable once built; shared (shared_ptr<const>) between the context and in-flight handshakes.
#pragma once

#include <memory>

#include "openssl_util.h"
#include "pancaim/crypto/tls_context.h"

namespace pancaim::crypto::internal {

struct TlsMaterial {
  TlsMaterial() = default;
  ~TlsMaterial();
  TlsMaterial(const TlsMaterial&) = delete;
  TlsMaterial& operator=(const TlsMaterial&) = delete;

  X509Ptr ca;
  X509Ptr own_certificate;
  PkeyPtr own_key;
  STACK_OF(X509)* trusted = nullptr;    // owned: just the CA
  STACK_OF(X509_CRL)* crls = nullptr;   // owned: the CRL
  CrlInfo crl;
  PeerIdentity own_identity;
  TimePoint ca_not_after;
};

// X509 verify callback that accepts an expired CRL (freshness, with grace, is judged by
// CheckCrlFresh before verification) and otherwise keeps OpenSSL's verdict.
int AcceptCrlJudgedFresh(int preverify_ok, X509_STORE_CTX* context);

// Loads and checks every file in `files` for a context of `side` at time `now`.
StatusOr<std::shared_ptr<const TlsMaterial>> LoadTlsMaterial(TlsContext::Side side,
                                                             const TlsFiles& files,
                                                             TimePoint now);

}  // namespace pancaim::crypto::internal
