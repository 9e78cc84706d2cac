#include "tls_material.h"

#include <sys/stat.h>

#include <openssl/pem.h>

#include "pancaim/common/files.h"

namespace pancaim::crypto::internal {
namespace {

int NoPassphrase(char*, int, int, void*) { return -1; }  // never prompt on a terminal

StatusOr<std::string> ReadPem(const std::string& path, const char* what, std::uint64_t limit) {
  if (path.empty()) {
    return NotFoundError(std::string("no ") + what + " file configured" +
                         (std::string(what) == "CRL" ? " (a CRL is required: fail closed)" : ""));
  }
  StatusOr<std::string> text = ReadFile(path, limit);
  if (!text.ok()) return text.status().WithContext(what);
  return text;
}

StatusOr<PkeyPtr> LoadKey(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) == 0 && (info.st_mode & 077) != 0) {
    return PermissionDeniedError("private key '" + path +
                                 "' is readable by group or others; run chmod 600 on it");
  }
  PANCAIM_ASSIGN_OR_RETURN(std::string pem, ReadPem(path, "private key", kMaxPemBytes));
  ERR_clear_error();
  BioPtr bio = MemoryBio(pem);
  PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, NoPassphrase, nullptr));
  if (key == nullptr) {
    return InvalidArgumentError("'" + path + "' is not an unencrypted PEM private key (" +
                                DrainOpenSslErrors() + ")");
  }
  return key;
}

Status CheckOwnRole(TlsContext::Side side, const PeerIdentity& identity,
                    const std::string& path) {
  bool ok = side == TlsContext::Side::kServer ? identity.role == Role::kCoordinator
                                              : identity.role != Role::kCoordinator;
  if (ok) return Status::Ok();
  return InvalidArgumentError("certificate '" + path + "' is for " + identity.ToString() +
                              ", which cannot act as the TLS " +
                              (side == TlsContext::Side::kServer ? "server (coordinator)"
                                                                 : "client (site or operator)"));
}

// Verifies the own certificate against the CA and CRL now, so misconfiguration shows at load.
Status VerifyOwnCertificate(const TlsMaterial& material, const std::string& path, TimePoint now) {
  std::unique_ptr<X509_STORE_CTX, OpenSslDeleter<X509_STORE_CTX_free>> context(
      X509_STORE_CTX_new());
  std::unique_ptr<X509_STORE, OpenSslDeleter<X509_STORE_free>> store(X509_STORE_new());
  PANCAIM_CHECK(context != nullptr && store != nullptr);
  if (X509_STORE_CTX_init(context.get(), store.get(), material.own_certificate.get(), nullptr) !=
      1) {
    return InternalError("X509_STORE_CTX_init failed: " + DrainOpenSslErrors());
  }
  X509_STORE_CTX_set0_trusted_stack(context.get(), material.trusted);
  X509_STORE_CTX_set0_crls(context.get(), material.crls);
  X509_STORE_CTX_set_flags(context.get(), X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL |
                                              X509_V_FLAG_USE_CHECK_TIME);
  // Verify at our clock (the test hook may move it).
  X509_STORE_CTX_set_time(context.get(), 0, std::chrono::system_clock::to_time_t(now));
  X509_STORE_CTX_set_verify_cb(context.get(), AcceptCrlJudgedFresh);
  if (X509_verify_cert(context.get()) == 1) return Status::Ok();
  int error = X509_STORE_CTX_get_error(context.get());
  ERR_clear_error();
  std::string reason = X509_verify_cert_error_string(error);
  if (error == X509_V_ERR_CERT_HAS_EXPIRED || error == X509_V_ERR_CERT_NOT_YET_VALID ||
      error == X509_V_ERR_CERT_REVOKED) {
    return FailedPreconditionError("own certificate '" + path + "': " + reason);
  }
  return InvalidArgumentError("own certificate '" + path +
                              "' does not verify against the consortium CA: " + reason);
}

}  // namespace

int AcceptCrlJudgedFresh(int preverify_ok, X509_STORE_CTX* context) {
  if (preverify_ok) return 1;
  if (X509_STORE_CTX_get_error(context) != X509_V_ERR_CRL_HAS_EXPIRED) return 0;
  X509_STORE_CTX_set_error(context, X509_V_OK);  // else libssl records it as the verify result
  return 1;
}

TlsMaterial::~TlsMaterial() {
  sk_X509_pop_free(trusted, X509_free);
  sk_X509_CRL_pop_free(crls, X509_CRL_free);
}

StatusOr<std::shared_ptr<const TlsMaterial>> LoadTlsMaterial(TlsContext::Side side,
                                                             const TlsFiles& files,
                                                             TimePoint now) {
  auto material = std::make_shared<TlsMaterial>();
  PANCAIM_ASSIGN_OR_RETURN(std::string ca_pem, ReadPem(files.ca_cert_path, "CA certificate",
                                                       kMaxPemBytes));
  PANCAIM_ASSIGN_OR_RETURN(material->ca, ParseCertificatePem(ca_pem, files.ca_cert_path));
  if (X509_check_ca(material->ca.get()) == 0) {
    return InvalidArgumentError("'" + files.ca_cert_path + "' is not a CA certificate");
  }
  PANCAIM_ASSIGN_OR_RETURN(material->ca_not_after,
                           FromAsn1Time(X509_get0_notAfter(material->ca.get())));
  material->trusted = sk_X509_new_null();
  PANCAIM_CHECK(material->trusted != nullptr);
  X509_up_ref(material->ca.get());
  sk_X509_push(material->trusted, material->ca.get());

  PANCAIM_ASSIGN_OR_RETURN(std::string crl_pem, ReadPem(files.crl_path, "CRL", kMaxCrlBytes));
  PANCAIM_ASSIGN_OR_RETURN(X509CrlPtr crl, ParseCrlPem(crl_pem, files.crl_path));
  if (X509_NAME_cmp(X509_CRL_get_issuer(crl.get()), X509_get_subject_name(material->ca.get())) !=
          0 ||
      X509_CRL_verify(crl.get(), X509_get0_pubkey(material->ca.get())) != 1) {
    ERR_clear_error();
    return InvalidArgumentError("CRL '" + files.crl_path + "' is not signed by the CA in '" +
                                files.ca_cert_path + "'");
  }
  StatusOr<CrlInfo> crl_info = ParseCrl(crl_pem);
  if (!crl_info.ok()) return crl_info.status().WithContext(files.crl_path);
  material->crl = *crl_info;
  PANCAIM_RETURN_IF_ERROR(CheckCrlFresh(material->crl, now, files.crl_grace)
                              .WithContext("CRL '" + files.crl_path + "'"));
  material->crls = sk_X509_CRL_new_null();
  PANCAIM_CHECK(material->crls != nullptr);
  sk_X509_CRL_push(material->crls, crl.release());

  PANCAIM_ASSIGN_OR_RETURN(std::string cert_pem,
                           ReadPem(files.cert_path, "certificate", kMaxPemBytes));
  PANCAIM_ASSIGN_OR_RETURN(material->own_certificate,
                           ParseCertificatePem(cert_pem, files.cert_path));
  PANCAIM_ASSIGN_OR_RETURN(material->own_key, LoadKey(files.key_path));
  if (X509_check_private_key(material->own_certificate.get(), material->own_key.get()) != 1) {
    ERR_clear_error();
    return InvalidArgumentError("private key '" + files.key_path + "' does not match certificate '" +
                                files.cert_path + "'");
  }
  StatusOr<PeerIdentity> identity = IdentityFromX509(material->own_certificate.get());
  if (!identity.ok()) return identity.status().WithContext(files.cert_path);
  material->own_identity = *identity;
  PANCAIM_RETURN_IF_ERROR(CheckOwnRole(side, material->own_identity, files.cert_path));
  PANCAIM_RETURN_IF_ERROR(VerifyOwnCertificate(*material, files.cert_path, now));
  return std::shared_ptr<const TlsMaterial>(std::move(material));
}

}  // namespace pancaim::crypto::internal
