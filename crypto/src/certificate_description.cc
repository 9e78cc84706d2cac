// DescribePem: human explanations of certificates, requests and CRLs (`pancaim-ca show`).
#include <openssl/pem.h>

#include <sstream>

#include "openssl_util.h"
#include "pancaim/crypto/certificate_authority.h"

namespace pancaim::crypto {
namespace {

using internal::BioContents;
using internal::BioPtr;

std::string Fingerprint(X509* certificate) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  X509_digest(certificate, EVP_sha256(), digest, &length);
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string text;
  for (unsigned int i = 0; i < length; ++i) {
    if (i > 0) text += ':';
    text += kHex[digest[i] >> 4];
    text += kHex[digest[i] & 0xF];
  }
  return text;
}

std::string Extensions(const STACK_OF(X509_EXTENSION) * extensions) {
  std::ostringstream out;
  for (int i = 0; i < sk_X509_EXTENSION_num(extensions); ++i) {
    X509_EXTENSION* extension = sk_X509_EXTENSION_value(extensions, i);
    BioPtr bio(BIO_new(BIO_s_mem()));
    if (!X509V3_EXT_print(bio.get(), extension, 0, 0)) {
      ASN1_STRING_print(bio.get(), X509_EXTENSION_get_data(extension));
    }
    const char* name = OBJ_nid2ln(OBJ_obj2nid(X509_EXTENSION_get_object(extension)));
    out << "  " << (name ? name : "extension")
        << (X509_EXTENSION_get_critical(extension) ? " (critical)" : "") << ": "
        << BioContents(bio.get()) << "\n";
  }
  ERR_clear_error();
  return out.str();
}

std::string KeyDescription(EVP_PKEY* key) {
  if (key == nullptr) return "none";
  char group[64] = {0};
  std::size_t length = 0;
  std::string type = EVP_PKEY_get0_type_name(key) ? EVP_PKEY_get0_type_name(key) : "unknown";
  if (EVP_PKEY_get_utf8_string_param(key, "group", group, sizeof(group), &length) == 1) {
    type += " " + std::string(group, length);
  }
  ERR_clear_error();
  return type + " (" + std::to_string(EVP_PKEY_get_bits(key)) + " bits)";
}

StatusOr<std::string> DescribeCertificate(std::string_view pem, TimePoint now) {
  PANCAIM_ASSIGN_OR_RETURN(internal::X509Ptr certificate,
                           internal::ParseCertificatePem(pem, "certificate"));
  X509* x = certificate.get();
  PANCAIM_ASSIGN_OR_RETURN(TimePoint not_before, internal::FromAsn1Time(X509_get0_notBefore(x)));
  PANCAIM_ASSIGN_OR_RETURN(TimePoint not_after, internal::FromAsn1Time(X509_get0_notAfter(x)));
  std::string state = now < not_before  ? "NOT YET VALID (starts " +
                                              internal::DescribeRelative(not_before, now) + ")"
                      : now >= not_after ? "EXPIRED " + internal::DescribeRelative(not_after, now)
                                         : "valid, expires " +
                                               internal::DescribeRelative(not_after, now);
  std::ostringstream out;
  out << "certificate\n"
      << "  subject: " << internal::NameToString(X509_get_subject_name(x)) << "\n"
      << "  issuer: " << internal::NameToString(X509_get_issuer_name(x)) << "\n"
      << "  serial: " << internal::SerialHex(X509_get0_serialNumber(x)) << "\n"
      << "  validity: " << FormatUtc(not_before) << " to " << FormatUtc(not_after) << ": " << state
      << "\n";
  StatusOr<PeerIdentity> identity = internal::IdentityFromX509(x);
  out << "  pancaim identity: "
      << (identity.ok() ? std::string(RoleName(identity->role)) + ":" + identity->id
          : X509_check_ca(x) ? std::string("none (a CA certificate)")
                             : "none (" + identity.status().message() + ")")
      << "\n"
      << "  key: " << KeyDescription(X509_get0_pubkey(x)) << "\n"
      << "  sha256 fingerprint: " << Fingerprint(x) << "\n"
      << Extensions(X509_get0_extensions(x));
  return out.str();
}

StatusOr<std::string> DescribeRequest(std::string_view pem) {
  BioPtr bio = internal::MemoryBio(pem);
  internal::X509ReqPtr request(PEM_read_bio_X509_REQ(bio.get(), nullptr, nullptr, nullptr));
  if (request == nullptr) {
    return InvalidArgumentError("not a PEM certificate signing request (" +
                                internal::DrainOpenSslErrors() + ")");
  }
  EVP_PKEY* key = X509_REQ_get0_pubkey(request.get());
  bool signature_ok = key != nullptr && X509_REQ_verify(request.get(), key) == 1;
  std::ostringstream out;
  out << "certificate signing request\n"
      << "  subject: " << internal::NameToString(X509_REQ_get_subject_name(request.get())) << "\n"
      << "  key: " << KeyDescription(key) << "\n"
      << "  self-signature: " << (signature_ok ? "valid" : "INVALID") << "\n";
  STACK_OF(X509_EXTENSION)* extensions = X509_REQ_get_extensions(request.get());
  out << "requested extensions:\n" << Extensions(extensions);
  sk_X509_EXTENSION_pop_free(extensions, X509_EXTENSION_free);
  ERR_clear_error();
  return out.str();
}

StatusOr<std::string> DescribeCrl(std::string_view pem, TimePoint now) {
  PANCAIM_ASSIGN_OR_RETURN(CrlInfo crl, ParseCrl(pem));
  std::ostringstream out;
  out << "certificate revocation list\n"
      << "  issuer: " << crl.issuer << "\n"
      << "  number: " << (crl.crl_number ? std::to_string(*crl.crl_number) : "none") << "\n"
      << "  this update: " << FormatUtc(crl.this_update) << "\n"
      << "  next update: "
      << (crl.next_update ? FormatUtc(*crl.next_update) + " (" +
                                internal::DescribeRelative(*crl.next_update, now) + ")"
                          : "none")
      << "\n";
  Status fresh = CheckCrlFresh(crl, now, std::chrono::seconds(0));
  out << "  freshness: " << (fresh.ok() ? "fresh" : fresh.message()) << "\n"
      << "  revoked serials (" << crl.revoked_serials_hex.size() << "):\n";
  for (const std::string& serial : crl.revoked_serials_hex) out << "    " << serial << "\n";
  return out.str();
}

}  // namespace

StatusOr<std::string> DescribePem(std::string_view pem, TimePoint now) {
  if (pem.size() > internal::kMaxCrlBytes) return InvalidArgumentError("file too large");
  if (pem.find("-----BEGIN CERTIFICATE REQUEST-----") != std::string_view::npos) {
    return DescribeRequest(pem);
  }
  if (pem.find("-----BEGIN CERTIFICATE-----") != std::string_view::npos) {
    return DescribeCertificate(pem, now);
  }
  if (pem.find("-----BEGIN X509 CRL-----") != std::string_view::npos) {
    return DescribeCrl(pem, now);
  }
  if (pem.find("PRIVATE KEY-----") != std::string_view::npos) {
    return InvalidArgumentError("this is a private key; `show` explains certificates, "
                                "requests and CRLs only (and private keys should not be shown)");
  }
  return InvalidArgumentError("no PEM certificate, certificate request or CRL found");
}

}  // namespace pancaim::crypto
