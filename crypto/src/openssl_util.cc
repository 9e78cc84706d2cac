#include "openssl_util.h"

#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include <cctype>
#include <cstdio>
#include <ctime>

namespace pancaim::crypto::internal {

std::string DrainOpenSslErrors() {
  std::string text;
  unsigned long code = 0;
  while ((code = ERR_get_error()) != 0) {
    char buffer[256];
    ERR_error_string_n(code, buffer, sizeof(buffer));
    if (!text.empty()) text += "; ";
    text += buffer;
  }
  return text.empty() ? "no OpenSSL detail" : text;
}

BioPtr MemoryBio(std::string_view bytes) {
  BioPtr bio(BIO_new_mem_buf(bytes.data(), static_cast<int>(bytes.size())));
  PANCAIM_CHECK(bio != nullptr) << "BIO_new_mem_buf failed";
  return bio;
}

std::string BioContents(BIO* bio) {
  char* data = nullptr;
  long length = BIO_get_mem_data(bio, &data);
  return length > 0 ? std::string(data, static_cast<std::size_t>(length)) : std::string();
}

StatusOr<X509Ptr> ParseCertificatePem(std::string_view pem, std::string_view what) {
  if (pem.size() > kMaxPemBytes) {
    return InvalidArgumentError(std::string(what) + ": " + std::to_string(pem.size()) +
                                " bytes, too large for a certificate");
  }
  ERR_clear_error();
  BioPtr bio = MemoryBio(pem);
  X509Ptr certificate(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (certificate == nullptr) {
    return InvalidArgumentError(std::string(what) + ": not a PEM certificate (" +
                                DrainOpenSslErrors() + ")");
  }
  return certificate;
}

StatusOr<X509CrlPtr> ParseCrlPem(std::string_view pem, std::string_view what) {
  if (pem.size() > kMaxCrlBytes) {
    return InvalidArgumentError(std::string(what) + ": " + std::to_string(pem.size()) +
                                " bytes, too large for a CRL");
  }
  ERR_clear_error();
  BioPtr bio = MemoryBio(pem);
  X509CrlPtr crl(PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr));
  if (crl == nullptr) {
    return InvalidArgumentError(std::string(what) + ": not a PEM CRL (" + DrainOpenSslErrors() +
                                ")");
  }
  return crl;
}

StatusOr<std::string> CertificateToPem(X509* certificate) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr || PEM_write_bio_X509(bio.get(), certificate) != 1) {
    return InternalError("cannot encode certificate as PEM: " + DrainOpenSslErrors());
  }
  return BioContents(bio.get());
}

StatusOr<TimePoint> FromAsn1Time(const ASN1_TIME* time) {
  std::tm parts{};
  if (time == nullptr || ASN1_TIME_to_tm(time, &parts) != 1) {
    return InvalidArgumentError("malformed ASN.1 time");
  }
  return std::chrono::system_clock::from_time_t(timegm(&parts));
}

Asn1TimePtr ToAsn1Time(TimePoint time) {
  Asn1TimePtr result(ASN1_TIME_set(nullptr, std::chrono::system_clock::to_time_t(time)));
  PANCAIM_CHECK(result != nullptr) << "ASN1_TIME_set failed";
  return result;
}

StatusOr<TimePoint> ParseUtc(std::string_view text) {
  std::tm parts{};
  char zone = 0;
  std::string copy(text);
  if (text.size() != 20 ||
      std::sscanf(copy.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%c", &parts.tm_year, &parts.tm_mon,
                  &parts.tm_mday, &parts.tm_hour, &parts.tm_min, &parts.tm_sec, &zone) != 7 ||
      zone != 'Z') {
    return InvalidArgumentError("'" + copy + "' is not a UTC time like 2026-11-28T07:45:00Z");
  }
  parts.tm_year -= 1900;
  parts.tm_mon -= 1;
  return std::chrono::system_clock::from_time_t(timegm(&parts));
}

std::string SerialHex(const ASN1_INTEGER* serial) {
  BignumPtr number(ASN1_INTEGER_to_BN(serial, nullptr));
  PANCAIM_CHECK(number != nullptr) << "ASN1_INTEGER_to_BN failed";
  char* hex = BN_bn2hex(number.get());
  PANCAIM_CHECK(hex != nullptr);
  std::string result(hex);
  OPENSSL_free(hex);
  if (result == "0") result = "00";
  return result;
}

std::string NameToString(const X509_NAME* name) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  PANCAIM_CHECK(bio != nullptr);
  X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253);
  return BioContents(bio.get());
}

X509NamePtr MakeName(std::string_view common_name, std::string_view unit) {
  X509NamePtr name(X509_NAME_new());
  PANCAIM_CHECK(name != nullptr);
  auto add = [&](const char* field, std::string_view value) {
    PANCAIM_CHECK(X509_NAME_add_entry_by_txt(name.get(), field, MBSTRING_UTF8,
                                             reinterpret_cast<const unsigned char*>(value.data()),
                                             static_cast<int>(value.size()), -1, 0) == 1)
        << "cannot add " << field << " to a name: " << DrainOpenSslErrors();
  };
  add("O", "PANCAIM-FL consortium");
  if (!unit.empty()) add("OU", unit);
  add("CN", common_name);
  return name;
}

StatusOr<X509ExtPtr> MakeExtension(int nid, const std::string& value) {
  X509ExtPtr extension(X509V3_EXT_conf_nid(nullptr, nullptr, nid, value.c_str()));
  if (extension == nullptr) {
    return InvalidArgumentError("cannot build extension " + std::string(OBJ_nid2sn(nid)) + "=" +
                                value + ": " + DrainOpenSslErrors());
  }
  return extension;
}

Status AddExtension(X509* certificate, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX context;
  X509V3_set_ctx_nodb(&context);
  X509V3_set_ctx(&context, issuer, certificate, nullptr, nullptr, 0);
  X509ExtPtr extension(X509V3_EXT_conf_nid(nullptr, &context, nid, value.c_str()));
  if (extension == nullptr || X509_add_ext(certificate, extension.get(), -1) != 1) {
    return InternalError("cannot add extension " + std::string(OBJ_nid2sn(nid)) + "=" + value +
                         ": " + DrainOpenSslErrors());
  }
  return Status::Ok();
}

StatusOr<PkeyPtr> GenerateP256Key() {
  PkeyPtr key(EVP_EC_gen("P-256"));
  if (key == nullptr) return InternalError("cannot generate a P-256 key: " + DrainOpenSslErrors());
  return key;
}

Status CheckP256Key(EVP_PKEY* key, std::string_view what) {
  char group[64] = {0};
  std::size_t length = 0;
  if (key == nullptr || !EVP_PKEY_is_a(key, "EC") ||
      EVP_PKEY_get_utf8_string_param(key, "group", group, sizeof(group), &length) != 1 ||
      std::string_view(group, length) != "prime256v1") {
    ERR_clear_error();
    return InvalidArgumentError(std::string(what) + ": key is not ECDSA P-256");
  }
  return Status::Ok();
}

SubjectAltNames CollectSubjectAltNames(const GENERAL_NAMES* names) {
  SubjectAltNames result;
  if (names == nullptr) return result;
  for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, i);
    if (name->type != GEN_URI && name->type != GEN_DNS) continue;
    const ASN1_IA5STRING* text = name->type == GEN_URI ? name->d.uniformResourceIdentifier
                                                       : name->d.dNSName;
    std::string value(reinterpret_cast<const char*>(ASN1_STRING_get0_data(text)),
                      static_cast<std::size_t>(ASN1_STRING_length(text)));
    if (name->type == GEN_DNS) {
      result.dns_names.push_back(value);
    } else if (value.rfind("pancaim:", 0) == 0) {
      result.pancaim_uris.push_back(value);
    } else {
      result.other_uris.push_back(value);
    }
  }
  return result;
}

StatusOr<std::pair<Role, std::string>> ParsePancaimUri(std::string_view uri) {
  constexpr std::string_view kPrefix = "pancaim:";
  if (uri.substr(0, kPrefix.size()) != kPrefix) {
    return InvalidArgumentError("URI '" + std::string(uri) + "' does not start with pancaim:");
  }
  std::string_view rest = uri.substr(kPrefix.size());
  std::size_t colon = rest.find(':');
  if (colon == std::string_view::npos) {
    return InvalidArgumentError("URI '" + std::string(uri) + "' is not pancaim:<role>:<id>");
  }
  StatusOr<Role> role = ParseRole(rest.substr(0, colon));
  if (!role.ok()) return role.status().WithContext("URI '" + std::string(uri) + "'");
  std::string id(rest.substr(colon + 1));
  PANCAIM_RETURN_IF_ERROR(ValidateIdentityName(id).WithContext("URI '" + std::string(uri) + "'"));
  return std::make_pair(*role, id);
}

std::string MakePancaimUri(Role role, std::string_view id) {
  return "pancaim:" + std::string(RoleName(role)) + ":" + std::string(id);
}

StatusOr<PeerIdentity> IdentityFromX509(X509* certificate) {
  GeneralNamesPtr names(static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(certificate, NID_subject_alt_name, nullptr, nullptr)));
  SubjectAltNames sans = CollectSubjectAltNames(names.get());
  std::string subject = NameToString(X509_get_subject_name(certificate));
  if (sans.pancaim_uris.size() != 1) {
    return InvalidArgumentError("certificate '" + subject + "' has " +
                                std::to_string(sans.pancaim_uris.size()) +
                                " pancaim URI SANs, exactly one required");
  }
  StatusOr<std::pair<Role, std::string>> parsed = ParsePancaimUri(sans.pancaim_uris.front());
  if (!parsed.ok()) return parsed.status().WithContext("certificate '" + subject + "'");
  PeerIdentity identity;
  identity.role = parsed->first;
  identity.id = parsed->second;
  identity.serial_hex = SerialHex(X509_get0_serialNumber(certificate));
  identity.subject = subject;
  PANCAIM_ASSIGN_OR_RETURN(identity.not_after, FromAsn1Time(X509_get0_notAfter(certificate)));
  return identity;
}

Status ValidateDnsName(std::string_view name) {
  auto bad = [&](const std::string& why) {
    return InvalidArgumentError("DNS name '" + std::string(name) + "' " + why);
  };
  if (name.empty() || name.size() > 253) return bad("must be 1 to 253 characters");
  std::size_t label_length = 0;
  for (std::size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    if (c == '.') {
      if (label_length == 0) return bad("has an empty label");
      label_length = 0;
      continue;
    }
    bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '-';
    if (!ok) return bad("may contain only letters, digits, '-' and '.' (no wildcards)");
    if (c == '-' && (label_length == 0 || i + 1 == name.size() || name[i + 1] == '.')) {
      return bad("has a label starting or ending with '-'");
    }
    if (++label_length > 63) return bad("has a label longer than 63 characters");
  }
  if (label_length == 0) return bad("ends with '.'");
  return Status::Ok();
}

std::string DescribeRelative(TimePoint when, TimePoint now) {
  using std::chrono::duration_cast;
  auto seconds = duration_cast<std::chrono::seconds>(when - now).count();
  long long magnitude = seconds < 0 ? -seconds : seconds;
  std::string amount;
  if (magnitude >= 2 * 86400) {
    amount = std::to_string(magnitude / 86400) + " days";
  } else if (magnitude >= 2 * 3600) {
    amount = std::to_string(magnitude / 3600) + " hours";
  } else if (magnitude >= 120) {
    amount = std::to_string(magnitude / 60) + " minutes";
  } else {
    amount = std::to_string(magnitude) + " seconds";
  }
  return seconds >= 0 ? "in " + amount : amount + " ago";
}

}  // namespace pancaim::crypto::internal
