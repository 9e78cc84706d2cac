// Internal helpers over OpenSSL's C API: owning smart pointers, error text, time and serial
// conversions, PEM parsing from memory. Not part of the public API. Stateless; thread-safe.
#pragma once

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "pancaim/common/status.h"
#include "pancaim/crypto/certificate_authority.h"

namespace pancaim::crypto::internal {

template <auto Free>
struct OpenSslDeleter {
  template <typename T>
  void operator()(T* pointer) const {
    Free(pointer);
  }
};

using BioPtr = std::unique_ptr<BIO, OpenSslDeleter<BIO_free_all>>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, OpenSslDeleter<EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, OpenSslDeleter<X509_free>>;
using X509ReqPtr = std::unique_ptr<X509_REQ, OpenSslDeleter<X509_REQ_free>>;
using X509CrlPtr = std::unique_ptr<X509_CRL, OpenSslDeleter<X509_CRL_free>>;
using X509NamePtr = std::unique_ptr<X509_NAME, OpenSslDeleter<X509_NAME_free>>;
using X509ExtPtr = std::unique_ptr<X509_EXTENSION, OpenSslDeleter<X509_EXTENSION_free>>;
using Asn1IntegerPtr = std::unique_ptr<ASN1_INTEGER, OpenSslDeleter<ASN1_INTEGER_free>>;
using Asn1TimePtr = std::unique_ptr<ASN1_TIME, OpenSslDeleter<ASN1_TIME_free>>;
using BignumPtr = std::unique_ptr<BIGNUM, OpenSslDeleter<BN_free>>;
using GeneralNamesPtr = std::unique_ptr<GENERAL_NAMES, OpenSslDeleter<GENERAL_NAMES_free>>;

// Largest PEM object (certificate, request, key) we parse; CRLs may be larger.
inline constexpr std::size_t kMaxPemBytes = 64 * 1024;
inline constexpr std::size_t kMaxCrlBytes = 16 * 1024 * 1024;

// Drains OpenSSL's thread-local error queue into one line ("error:...; error:..."), or "no
// OpenSSL detail" when empty.
std::string DrainOpenSslErrors();

// Read-only memory BIO over `bytes` (which must outlive it).
BioPtr MemoryBio(std::string_view bytes);
// Contents of a memory BIO.
std::string BioContents(BIO* bio);

StatusOr<X509Ptr> ParseCertificatePem(std::string_view pem, std::string_view what);
StatusOr<X509CrlPtr> ParseCrlPem(std::string_view pem, std::string_view what);
StatusOr<std::string> CertificateToPem(X509* certificate);

// ASN1_TIME <-> system_clock; whole seconds, UTC.
StatusOr<TimePoint> FromAsn1Time(const ASN1_TIME* time);
Asn1TimePtr ToAsn1Time(TimePoint time);
StatusOr<TimePoint> ParseUtc(std::string_view text);  // "2026-11-28T07:45:00Z"

// Upper-case hex of a serial number ("00" for zero).
std::string SerialHex(const ASN1_INTEGER* serial);

// One-line RFC 2253 rendering of a name.
std::string NameToString(const X509_NAME* name);

// Subject "CN=<common_name>, OU=<unit> (when non-empty), O=PANCAIM-FL consortium".
X509NamePtr MakeName(std::string_view common_name, std::string_view unit);

// An extension from OpenSSL's config syntax, with no certificate context (e.g. subjectAltName).
StatusOr<X509ExtPtr> MakeExtension(int nid, const std::string& value);

// Adds an extension given in OpenSSL's config syntax ("critical,CA:TRUE") to a certificate.
Status AddExtension(X509* certificate, X509* issuer, int nid, const std::string& value);

// A new ECDSA P-256 key.
StatusOr<PkeyPtr> GenerateP256Key();

// OK when `key` is an EC key on P-256; InvalidArgument naming `what` otherwise.
Status CheckP256Key(EVP_PKEY* key, std::string_view what);

// The pancaim URI SANs and DNS SANs found in a GENERAL_NAMES list.
struct SubjectAltNames {
  std::vector<std::string> pancaim_uris;  // every URI starting with "pancaim:"
  std::vector<std::string> other_uris;
  std::vector<std::string> dns_names;
};
SubjectAltNames CollectSubjectAltNames(const GENERAL_NAMES* names);

// Parses "pancaim:<role>:<id>" into role and id. InvalidArgument otherwise.
StatusOr<std::pair<Role, std::string>> ParsePancaimUri(std::string_view uri);
std::string MakePancaimUri(Role role, std::string_view id);

// Identity of a certificate: exactly one valid pancaim URI SAN required.
StatusOr<PeerIdentity> IdentityFromX509(X509* certificate);

// OK for a syntactically valid DNS host name (no wildcards), InvalidArgument otherwise.
Status ValidateDnsName(std::string_view name);

// Seconds/days left, for human messages: "in 12 days", "3 days ago".
std::string DescribeRelative(TimePoint when, TimePoint now);

}  // namespace pancaim::crypto::internal
