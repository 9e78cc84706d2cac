#include "pancaim/coordinator/server/certificate_warnings.h"

namespace pancaim::coordinator::server {
namespace {

constexpr char kRenewHint[] = "; renew it (pancaim-ca request + sign --renew, then reload)";

}  // namespace

std::vector<std::string> CertificateExpiryWarnings(const crypto::TlsContext& tls,
                                                   std::chrono::seconds window) {
  std::vector<std::string> warnings;
  // CheckExpiry reports the first of the own and CA certificates to expire; when that is the
  // CA's, the own certificate may still be within the window too, so it is checked on its own.
  const crypto::CertificateExpiry first = tls.CheckExpiry(window);
  if (first.warning) warnings.push_back(first.message + kRenewHint);
  const std::chrono::seconds own = tls.own_certificate_remaining();
  if (first.which == "CA certificate" && own < window) {
    const auto days = std::chrono::duration_cast<std::chrono::days>(own).count();
    warnings.push_back("own certificate " + tls.own_identity().ToString() +
                       (own.count() <= 0 ? " has EXPIRED"
                                         : " expires in " + std::to_string(days) + " days") +
                       kRenewHint);
  }
  return warnings;
}

}  // namespace pancaim::coordinator::server
