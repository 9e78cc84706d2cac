#include "peer_identity_from_session.h"

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <memory>
#include <string>

#include "pancaim/crypto/certificate_authority.h"

namespace pancaim::transport::internal {

StatusOr<crypto::PeerIdentity> PeerIdentityFromSession(void* ssl_native_handle) {
  SSL* ssl = static_cast<SSL*>(ssl_native_handle);
  X509* certificate = SSL_get0_peer_certificate(ssl);
  if (certificate == nullptr) return UnauthenticatedError("peer presented no certificate");
  const long verify = SSL_get_verify_result(ssl);
  if (verify != X509_V_OK) {
    return UnauthenticatedError(std::string("peer certificate did not verify: ") +
                                X509_verify_cert_error_string(verify));
  }
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
  if (!bio || PEM_write_bio_X509(bio.get(), certificate) != 1) {
    return InternalError("cannot encode the peer certificate");
  }
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return crypto::IdentityFromCertificatePem(std::string_view(data, static_cast<std::size_t>(size)));
}

}  // namespace pancaim::transport::internal
