// Certificate revocation lists: generation by the CA, parsing and freshness checks.
#include <openssl/pem.h>

#include "ca_state.h"
#include "pancaim/common/files.h"
#include "pancaim/common/log.h"

namespace pancaim::crypto {
namespace {

using internal::DrainOpenSslErrors;

Status AddRevokedEntry(X509_CRL* crl, const IssuedCertificate& entry) {
  BIGNUM* serial_raw = nullptr;
  if (BN_hex2bn(&serial_raw, entry.serial_hex.c_str()) <= 0) {
    return InternalError("index serial '" + entry.serial_hex + "' is not hex");
  }
  internal::BignumPtr serial(serial_raw);
  internal::Asn1IntegerPtr serial_asn1(BN_to_ASN1_INTEGER(serial.get(), nullptr));
  internal::Asn1TimePtr when = internal::ToAsn1Time(*entry.revoked_at);
  X509_REVOKED* revoked = X509_REVOKED_new();
  PANCAIM_CHECK(revoked != nullptr);
  if (serial_asn1 == nullptr || X509_REVOKED_set_serialNumber(revoked, serial_asn1.get()) != 1 ||
      X509_REVOKED_set_revocationDate(revoked, when.get()) != 1 ||
      X509_CRL_add0_revoked(crl, revoked) != 1) {
    X509_REVOKED_free(revoked);
    return InternalError("cannot add serial " + entry.serial_hex +
                         " to the CRL: " + DrainOpenSslErrors());
  }
  return Status::Ok();
}

}  // namespace

StatusOr<std::string> CertificateAuthority::GenerateCrl(const CrlOptions& options) {
  State& s = *state_;
  TimePoint this_update = options.this_update.value_or(std::chrono::system_clock::now());
  TimePoint next_update = options.next_update.value_or(this_update + options.next_update_in);
  if (next_update <= this_update) {
    // Allowed only through the explicit test hooks (a stale CRL on purpose).
    if (!options.next_update.has_value()) {
      return InvalidArgumentError("CRL next update must be after this update");
    }
  }
  internal::X509CrlPtr crl(X509_CRL_new());
  PANCAIM_CHECK(crl != nullptr);
  internal::Asn1TimePtr last = internal::ToAsn1Time(this_update);
  internal::Asn1TimePtr next = internal::ToAsn1Time(next_update);
  if (X509_CRL_set_version(crl.get(), 1) != 1 ||
      X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(s.certificate.get())) != 1 ||
      X509_CRL_set1_lastUpdate(crl.get(), last.get()) != 1 ||
      X509_CRL_set1_nextUpdate(crl.get(), next.get()) != 1) {
    return InternalError("cannot fill the CRL: " + DrainOpenSslErrors());
  }
  std::size_t revoked_count = 0;
  for (const IssuedCertificate& entry : s.index.certificates) {
    if (!entry.revoked_at.has_value()) continue;
    PANCAIM_RETURN_IF_ERROR(AddRevokedEntry(crl.get(), entry));
    ++revoked_count;
  }
  X509_CRL_sort(crl.get());

  internal::Asn1IntegerPtr number(ASN1_INTEGER_new());
  PANCAIM_CHECK(number != nullptr);
  std::uint64_t crl_number = s.index.crl_number + 1;
  X509V3_CTX context;
  X509V3_set_ctx_nodb(&context);
  X509V3_set_ctx(&context, s.certificate.get(), nullptr, nullptr, crl.get(), 0);
  internal::X509ExtPtr authority_key(
      X509V3_EXT_conf_nid(nullptr, &context, NID_authority_key_identifier, "keyid:always"));
  if (ASN1_INTEGER_set_uint64(number.get(), crl_number) != 1 ||
      X509_CRL_add1_ext_i2d(crl.get(), NID_crl_number, number.get(), 0, 0) != 1 ||
      authority_key == nullptr || X509_CRL_add_ext(crl.get(), authority_key.get(), -1) != 1 ||
      X509_CRL_sign(crl.get(), s.key.get(), EVP_sha256()) <= 0) {
    return InternalError("cannot sign the CRL: " + DrainOpenSslErrors());
  }
  internal::BioPtr bio(BIO_new(BIO_s_mem()));
  if (PEM_write_bio_X509_CRL(bio.get(), crl.get()) != 1) {
    return InternalError("cannot encode the CRL: " + DrainOpenSslErrors());
  }
  std::string pem = internal::BioContents(bio.get());
  PANCAIM_RETURN_IF_ERROR(WriteFileAtomic(crl_path(), pem));
  s.index.crl_number = crl_number;
  PANCAIM_RETURN_IF_ERROR(internal::SaveCaIndex(s.folder, s.index));
  PANCAIM_LOG(INFO) << "wrote CRL #" << crl_number << " to " << crl_path().string() << " ("
                    << revoked_count << " revoked, next update " << FormatUtc(next_update) << ")";
  return pem;
}

StatusOr<CrlInfo> ParseCrl(std::string_view crl_pem) {
  PANCAIM_ASSIGN_OR_RETURN(internal::X509CrlPtr crl, internal::ParseCrlPem(crl_pem, "CRL"));
  CrlInfo info;
  info.issuer = internal::NameToString(X509_CRL_get_issuer(crl.get()));
  PANCAIM_ASSIGN_OR_RETURN(info.this_update,
                           internal::FromAsn1Time(X509_CRL_get0_lastUpdate(crl.get())));
  if (const ASN1_TIME* next = X509_CRL_get0_nextUpdate(crl.get())) {
    PANCAIM_ASSIGN_OR_RETURN(info.next_update, internal::FromAsn1Time(next));
  }
  STACK_OF(X509_REVOKED)* revoked = X509_CRL_get_REVOKED(crl.get());
  for (int i = 0; i < sk_X509_REVOKED_num(revoked); ++i) {
    info.revoked_serials_hex.push_back(
        internal::SerialHex(X509_REVOKED_get0_serialNumber(sk_X509_REVOKED_value(revoked, i))));
  }
  internal::Asn1IntegerPtr number(static_cast<ASN1_INTEGER*>(
      X509_CRL_get_ext_d2i(crl.get(), NID_crl_number, nullptr, nullptr)));
  std::uint64_t value = 0;
  if (number != nullptr && ASN1_INTEGER_get_uint64(&value, number.get()) == 1) {
    info.crl_number = value;
  }
  ERR_clear_error();
  return info;
}

Status CheckCrlFresh(const CrlInfo& crl, TimePoint now, std::chrono::seconds grace) {
  if (!crl.next_update.has_value()) {
    return FailedPreconditionError("CRL from '" + crl.issuer +
                                   "' has no nextUpdate; refusing it (fail closed)");
  }
  if (crl.this_update > now + std::chrono::minutes(5)) {
    return FailedPreconditionError("CRL is not yet valid (thisUpdate " +
                                   FormatUtc(crl.this_update) + ")");
  }
  if (now > *crl.next_update + grace) {
    return FailedPreconditionError(
        "CRL is stale: nextUpdate " + FormatUtc(*crl.next_update) + " passed " +
        internal::DescribeRelative(*crl.next_update, now) + " (grace " +
        std::to_string(grace.count()) + " s); install a fresh CRL from the CA");
  }
  return Status::Ok();
}

}  // namespace pancaim::crypto
