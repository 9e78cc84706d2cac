// Internal: the default identity extractor. Reads the peer certificate of a TLS session whose
// chain verified (SSL_get_verify_result == X509_V_OK) and parses its pancaim identity with
// crypto::IdentityFromCertificatePem. Thread-safe (touches only the given session).
#pragma once

#include "pancaim/common/status.h"
#include "pancaim/crypto/identity.h"

namespace pancaim::transport::internal {

// Unauthenticated when the session has no verified peer certificate; InvalidArgument when the
// certificate carries no valid pancaim identity.
StatusOr<crypto::PeerIdentity> PeerIdentityFromSession(void* ssl_native_handle);

}  // namespace pancaim::transport::internal
