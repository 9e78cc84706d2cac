// CertificateAuthority::Sign: turns a checked CSR into a leaf certificate.
#include <openssl/pem.h>
#include <openssl/rand.h>

#include "ca_state.h"
#include "pancaim/common/files.h"
#include "pancaim/common/log.h"
#include "pancaim/crypto/sha256.h"

namespace pancaim::crypto {
namespace {

namespace fs = std::filesystem;
using internal::DrainOpenSslErrors;

// What a CSR asks for, after its checks.
struct CheckedRequest {
  internal::X509ReqPtr request;
  Role role = Role::kSite;
  std::string id;
  std::vector<std::string> dns_names;
};

StatusOr<internal::SubjectAltNames> RequestedAltNames(X509_REQ* request) {
  STACK_OF(X509_EXTENSION)* extensions = X509_REQ_get_extensions(request);
  internal::SubjectAltNames result;
  bool found = false;
  for (int i = 0; i < sk_X509_EXTENSION_num(extensions); ++i) {
    X509_EXTENSION* extension = sk_X509_EXTENSION_value(extensions, i);
    if (OBJ_obj2nid(X509_EXTENSION_get_object(extension)) != NID_subject_alt_name) continue;
    internal::GeneralNamesPtr names(static_cast<GENERAL_NAMES*>(X509V3_EXT_d2i(extension)));
    if (names == nullptr || found) {
      sk_X509_EXTENSION_pop_free(extensions, X509_EXTENSION_free);
      return InvalidArgumentError("malformed request: unreadable or repeated subjectAltName");
    }
    result = internal::CollectSubjectAltNames(names.get());
    found = true;
  }
  sk_X509_EXTENSION_pop_free(extensions, X509_EXTENSION_free);
  if (!found) {
    return InvalidArgumentError(
        "malformed request: no subjectAltName with a pancaim URI (create requests with "
        "`pancaim-ca request`)");
  }
  return result;
}

std::string CommonName(X509_NAME* name) {
  int index = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
  if (index < 0) return "";
  ASN1_STRING* value = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index));
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(value)),
                     static_cast<std::size_t>(ASN1_STRING_length(value)));
}

StatusOr<CheckedRequest> CheckRequest(std::string_view request_pem) {
  if (request_pem.size() > internal::kMaxPemBytes) {
    return InvalidArgumentError("malformed request: " + std::to_string(request_pem.size()) +
                                " bytes is too large for a certificate signing request");
  }
  ERR_clear_error();
  CheckedRequest checked;
  internal::BioPtr bio = internal::MemoryBio(request_pem);
  checked.request.reset(PEM_read_bio_X509_REQ(bio.get(), nullptr, nullptr, nullptr));
  if (checked.request == nullptr) {
    return InvalidArgumentError("malformed request: not a PEM certificate signing request (" +
                                DrainOpenSslErrors() + ")");
  }
  X509_REQ* request = checked.request.get();
  EVP_PKEY* key = X509_REQ_get0_pubkey(request);
  PANCAIM_RETURN_IF_ERROR(internal::CheckP256Key(key, "malformed request"));
  if (X509_REQ_verify(request, key) != 1) {
    ERR_clear_error();
    return InvalidArgumentError("malformed request: its self-signature does not verify");
  }
  PANCAIM_ASSIGN_OR_RETURN(internal::SubjectAltNames sans, RequestedAltNames(request));
  if (sans.pancaim_uris.size() != 1 || !sans.other_uris.empty()) {
    return InvalidArgumentError("malformed request: needs exactly one URI SAN pancaim:<role>:<id>");
  }
  StatusOr<std::pair<Role, std::string>> parsed =
      internal::ParsePancaimUri(sans.pancaim_uris.front());
  if (!parsed.ok()) return parsed.status().WithContext("malformed request");
  checked.role = parsed->first;
  checked.id = parsed->second;
  std::string common_name = CommonName(X509_REQ_get_subject_name(request));
  if (common_name != checked.id) {
    return InvalidArgumentError("malformed request: subject CN '" + common_name.substr(0, 80) +
                                "' differs from the identity '" + checked.id + "' in its SAN");
  }
  checked.dns_names = sans.dns_names;
  return checked;
}

Status CheckDnsNames(Role role, const std::vector<std::string>& names) {
  if (role != Role::kCoordinator && !names.empty()) {
    return InvalidArgumentError("DNS names are only allowed for coordinator certificates, not " +
                                std::string(RoleName(role)));
  }
  if (role == Role::kCoordinator && names.empty()) {
    return InvalidArgumentError("a coordinator certificate needs at least one DNS name");
  }
  for (const std::string& name : names) PANCAIM_RETURN_IF_ERROR(internal::ValidateDnsName(name));
  return Status::Ok();
}

std::string PublicKeyFingerprint(EVP_PKEY* key) {
  unsigned char* der = nullptr;
  int length = i2d_PUBKEY(key, &der);
  PANCAIM_CHECK(length > 0) << "i2d_PUBKEY failed";
  std::string fingerprint =
      Sha256Hex(std::string_view(reinterpret_cast<const char*>(der), static_cast<size_t>(length)));
  OPENSSL_free(der);
  return fingerprint;
}

// A key is certified for one identity only, and never again once a certificate of it was
// revoked (revocation usually means the key is compromised).
Status CheckKeyReuse(const internal::CaIndex& index, const CheckedRequest& request,
                     const std::string& fingerprint) {
  for (const IssuedCertificate& entry : index.certificates) {
    if (entry.public_key_sha256 != fingerprint) continue;
    std::string owner = std::string(RoleName(entry.role)) + ":" + entry.id;
    if (entry.revoked_at.has_value()) {
      return PermissionDeniedError("the request's key belongs to revoked certificate " +
                                   entry.serial_hex + " (" + owner +
                                   "); generate a new key with `pancaim-ca request`");
    }
    if (entry.role != request.role || entry.id != request.id) {
      return PermissionDeniedError("the request's key is already certified for " + owner +
                                   "; every identity needs its own key");
    }
  }
  return Status::Ok();
}

std::string RandomSerialHex() {
  unsigned char bytes[16];
  PANCAIM_CHECK(RAND_bytes(bytes, sizeof(bytes)) == 1);
  // Positive, and a fixed 32-hex-digit width.
  bytes[0] = static_cast<unsigned char>((bytes[0] & 0x7F) | 0x40);
  internal::BignumPtr number(BN_bin2bn(bytes, sizeof(bytes), nullptr));
  char* hex = BN_bn2hex(number.get());
  std::string result(hex);
  OPENSSL_free(hex);
  return result;
}

std::string SubjectAltNameValue(Role role, const std::string& id,
                                const std::vector<std::string>& dns_names) {
  std::string value = "URI:" + internal::MakePancaimUri(role, id);
  for (const std::string& name : dns_names) value += ",DNS:" + name;
  return value;
}

}  // namespace

StatusOr<IssuedCertificate> CertificateAuthority::Sign(std::string_view request_pem,
                                                       const SignOptions& options) {
  State& s = *state_;
  PANCAIM_ASSIGN_OR_RETURN(CheckedRequest request, CheckRequest(request_pem));
  std::vector<std::string> dns_names =
      options.dns_names_override.empty() ? request.dns_names : options.dns_names_override;
  PANCAIM_RETURN_IF_ERROR(CheckDnsNames(request.role, dns_names));
  std::string identity = std::string(RoleName(request.role)) + ":" + request.id;

  std::string fingerprint = PublicKeyFingerprint(X509_REQ_get0_pubkey(request.request.get()));
  PANCAIM_RETURN_IF_ERROR(CheckKeyReuse(s.index, request, fingerprint));
  TimePoint now = std::chrono::system_clock::now();
  if (!options.allow_renewal) {
    for (const IssuedCertificate& entry : s.index.certificates) {
      if (entry.role == request.role && entry.id == request.id &&
          entry.StateAt(now) == IssuedCertificate::State::kActive) {
        return AlreadyExistsError("an active certificate for " + identity + " exists (serial " +
                                  entry.serial_hex + ", expires " + FormatUtc(entry.not_after) +
                                  "); revoke it first, or renew to rotate");
      }
    }
  }

  // Five minutes of back-dating tolerate clock skew between the CA and the parties.
  TimePoint not_before = options.not_before.value_or(now - std::chrono::minutes(5));
  TimePoint not_after = options.not_after.value_or(not_before + options.validity);
  if (not_after <= not_before) {
    return InvalidArgumentError("certificate validity must end after it starts");
  }
  if (not_after - not_before > kMaxDefaultLeafValidity + std::chrono::minutes(5) &&
      !options.allow_long_validity) {
    return InvalidArgumentError("validity of " +
                                std::to_string(std::chrono::duration_cast<std::chrono::days>(
                                                   not_after - not_before)
                                                   .count()) +
                                " days exceeds the 365-day limit (allow it explicitly)");
  }
  if (not_after > s.not_after) {
    return InvalidArgumentError("certificate would outlive the CA certificate (valid until " +
                                FormatUtc(s.not_after) + ")");
  }

  IssuedCertificate entry;
  do {
    entry.serial_hex = RandomSerialHex();
  } while (s.index.FindSerial(entry.serial_hex) != nullptr);
  entry.role = request.role;
  entry.id = request.id;
  entry.dns_names = dns_names;
  entry.issued_at = now;
  entry.public_key_sha256 = fingerprint;

  internal::X509Ptr certificate(X509_new());
  PANCAIM_CHECK(certificate != nullptr);
  X509* leaf = certificate.get();
  internal::BignumPtr serial;
  BIGNUM* serial_raw = nullptr;
  PANCAIM_CHECK(BN_hex2bn(&serial_raw, entry.serial_hex.c_str()) > 0);
  serial.reset(serial_raw);
  internal::Asn1TimePtr start = internal::ToAsn1Time(not_before);
  internal::Asn1TimePtr end = internal::ToAsn1Time(not_after);
  internal::X509NamePtr subject = internal::MakeName(request.id, RoleName(request.role));
  if (X509_set_version(leaf, 2) != 1 ||
      BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(leaf)) == nullptr ||
      X509_set1_notBefore(leaf, start.get()) != 1 || X509_set1_notAfter(leaf, end.get()) != 1 ||
      X509_set_subject_name(leaf, subject.get()) != 1 ||
      X509_set_issuer_name(leaf, X509_get_subject_name(s.certificate.get())) != 1 ||
      X509_set_pubkey(leaf, X509_REQ_get0_pubkey(request.request.get())) != 1) {
    return InternalError("cannot fill the certificate: " + DrainOpenSslErrors());
  }
  X509* issuer = s.certificate.get();
  PANCAIM_RETURN_IF_ERROR(
      internal::AddExtension(leaf, issuer, NID_basic_constraints, "critical,CA:FALSE"));
  PANCAIM_RETURN_IF_ERROR(
      internal::AddExtension(leaf, issuer, NID_key_usage, "critical,digitalSignature"));
  PANCAIM_RETURN_IF_ERROR(internal::AddExtension(
      leaf, issuer, NID_ext_key_usage,
      request.role == Role::kCoordinator ? "serverAuth" : "clientAuth"));
  PANCAIM_RETURN_IF_ERROR(internal::AddExtension(
      leaf, issuer, NID_subject_alt_name,
      SubjectAltNameValue(request.role, request.id, dns_names)));
  PANCAIM_RETURN_IF_ERROR(internal::AddExtension(leaf, issuer, NID_subject_key_identifier, "hash"));
  PANCAIM_RETURN_IF_ERROR(
      internal::AddExtension(leaf, issuer, NID_authority_key_identifier, "keyid:always"));
  if (X509_sign(leaf, s.key.get(), EVP_sha256()) <= 0) {
    return InternalError("cannot sign the certificate: " + DrainOpenSslErrors());
  }
  PANCAIM_ASSIGN_OR_RETURN(entry.certificate_pem, internal::CertificateToPem(leaf));
  PANCAIM_ASSIGN_OR_RETURN(entry.not_before, internal::FromAsn1Time(X509_get0_notBefore(leaf)));
  PANCAIM_ASSIGN_OR_RETURN(entry.not_after, internal::FromAsn1Time(X509_get0_notAfter(leaf)));

  // The certificate file first, then the record: a crash in between leaves an unreferenced
  // file, never a recorded serial without its certificate.
  PANCAIM_RETURN_IF_ERROR(WriteFileAtomic(
      s.folder / internal::kIssuedFolder / (entry.serial_hex + ".crt"), entry.certificate_pem));
  IssuedCertificate record = entry;
  record.certificate_pem.clear();
  s.index.certificates.push_back(record);
  Status saved = internal::SaveCaIndex(s.folder, s.index);
  if (!saved.ok()) {
    s.index.certificates.pop_back();
    return saved;
  }
  PANCAIM_LOG(INFO) << "issued " << identity << " serial " << entry.serial_hex << " valid "
                    << FormatUtc(entry.not_before) << " to " << FormatUtc(entry.not_after);
  return entry;
}

}  // namespace pancaim::crypto
