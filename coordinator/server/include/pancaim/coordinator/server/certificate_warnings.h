// The coordinator's certificate-expiry warnings for logs and `pancaim-coordinator status`
// (issue 3: warn 30 days before any certificate in use expires).
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "pancaim/crypto/tls_context.h"

namespace pancaim::coordinator::server {

// One sentence per certificate in use by `tls` (its own certificate and the consortium CA's)
// that expires within `window` or has expired, e.g. "CA certificate expires in 12 days
// (2026-12-10 08:00:00 UTC); renew it ...". Empty when none does. Logs each as a WARNING
// (through TlsContext::CheckExpiry). Thread-safe as TlsContext is.
std::vector<std::string> CertificateExpiryWarnings(
    const crypto::TlsContext& tls, std::chrono::seconds window = crypto::kExpiryWarningWindow);

}  // namespace pancaim::coordinator::server
