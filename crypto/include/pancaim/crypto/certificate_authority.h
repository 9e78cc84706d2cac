// The consortium certificate authority: a root CA in a folder, plus the requester's side (key +
// certificate signing request generated where the key will live). The `pancaim-ca` tool is a thin
// command line over this library; tests use it directly to build certificates and CRLs (including
// expired, not-yet-valid, revoked and stale ones).
//
// CA folder layout (created by CertificateAuthority::Init):
//   ca.crt            root certificate (PEM)
//   ca.key            root private key (PEM, mode 0600, optionally passphrase-encrypted)
//   index.json        record of every issued certificate and its status (written atomically)
//   issued/<SERIAL>.crt   copy of every issued certificate
//   crl.pem           the latest certificate revocation list (written by GenerateCrl)
//
// All keys are ECDSA P-256, signatures ECDSA-SHA256. Identities are carried in the subject
// alternative name URI "pancaim:<role>:<id>" (see identity.h); coordinators also get DNS names.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pancaim/common/status.h"
#include "pancaim/crypto/identity.h"

namespace pancaim::crypto {

using TimePoint = std::chrono::system_clock::time_point;

// Longest validity `Sign` accepts unless SignOptions::allow_long_validity is set.
inline constexpr std::chrono::days kMaxDefaultLeafValidity{365};

// Checks that `id` is a valid identity: [A-Za-z0-9._-]{1,64}, not starting with '.' or '-'.
// InvalidArgument naming the id otherwise.
Status ValidateIdentityName(std::string_view id);

// ---------------------------------------------------------------------------------------------
// Requester side: runs on the machine where the key will live; the key never leaves it.

// Options for a new key + certificate signing request.
struct RequestOptions {
  Role role = Role::kSite;
  std::string id{};                      // site id, coordinator name or operator name
  std::vector<std::string> dns_names{};  // coordinator only: host names clients will dial
};

// A freshly generated private key and its certificate signing request (both PEM).
struct KeyAndRequest {
  std::string private_key_pem{};  // PKCS#8, unencrypted: store it with mode 0600
  std::string request_pem{};      // PKCS#10 CSR, signed with the key; this is what travels
};

// Generates an ECDSA P-256 key and a CSR with subject CN=<id>, OU=<role>, O=PANCAIM-FL and a
// requested SAN (URI pancaim:<role>:<id>, plus DNS names). Errors: InvalidArgument for a bad id,
// DNS names on a non-coordinator, or a coordinator without DNS names.
StatusOr<KeyAndRequest> CreateKeyAndRequest(const RequestOptions& options);

// Writes `bytes` to `path` with mode 0600, refusing to overwrite an existing file
// (AlreadyExists naming the path). Used for private keys.
Status WritePrivateFile(const std::filesystem::path& path, std::string_view bytes);

// ---------------------------------------------------------------------------------------------
// CA side.

// Options for a new root CA.
struct CaInitOptions {
  std::string common_name = "PANCAIM-FL consortium root CA";
  std::chrono::days validity{3650};
  std::string passphrase{};  // non-empty: ca.key is encrypted (AES-256-CBC, PKCS#8) with it
  // Test hook: start of validity (default: now). Lets tests build an expired or future CA.
  std::optional<TimePoint> not_before{};
};

// Options for signing a request.
struct SignOptions {
  std::chrono::days validity{365};  // from not_before; > 365 needs allow_long_validity
  bool allow_long_validity = false;
  // Rotation: issue even though an active certificate exists for the same role and id (the old
  // one stays valid until it expires or is revoked). Without it, such a request is refused.
  bool allow_renewal = false;
  // Coordinator only: DNS names to put in the SAN instead of those requested in the CSR.
  std::vector<std::string> dns_names_override{};
  // Test hooks: explicit validity window (default: now - 5 minutes clock-skew allowance, and
  // not_before + validity). Lets tests build expired and not-yet-valid certificates; validity
  // limits still apply to not_after - not_before.
  std::optional<TimePoint> not_before{};
  std::optional<TimePoint> not_after{};
};

// Options for a CRL.
struct CrlOptions {
  std::chrono::hours next_update_in{24 * 7};  // nextUpdate = this_update + next_update_in
  // Test hooks: explicit times (default: now). A next_update in the past makes a stale CRL.
  std::optional<TimePoint> this_update{};
  std::optional<TimePoint> next_update{};
};

// One entry of the CA's record of issued certificates.
struct IssuedCertificate {
  enum class State { kActive, kRevoked, kExpired };

  std::string serial_hex;  // upper-case hex, no leading zeros beyond one byte pair
  Role role = Role::kSite;
  std::string id;
  std::vector<std::string> dns_names;
  TimePoint not_before;
  TimePoint not_after;
  TimePoint issued_at;
  std::optional<TimePoint> revoked_at;
  std::string public_key_sha256;  // hex SHA-256 of the DER SubjectPublicKeyInfo
  std::string certificate_pem;  // filled by Sign; List() leaves it empty (see issued/ folder)

  // kRevoked when revoked, else kExpired when not_after <= now, else kActive.
  State StateAt(TimePoint now) const;
};

std::string_view IssuedStateName(IssuedCertificate::State state);  // "active", ...

// A root CA opened from its folder. Owns the CA key in memory. Not thread-safe: one owner at a
// time; across processes, the folder is locked (flock on <folder>/.lock) while an instance exists,
// so two `pancaim-ca` invocations cannot interleave index updates.
class CertificateAuthority {
 public:
  // Creates a new CA in `folder` (created if missing). Refuses (AlreadyExists) when the folder
  // already holds ca.key, ca.crt or index.json; never overwrites anything.
  static StatusOr<std::unique_ptr<CertificateAuthority>> Init(const std::filesystem::path& folder,
                                                              const CaInitOptions& options);

  // Opens an existing CA. Errors: NotFound (no CA in folder), Unauthenticated (ca.key is
  // encrypted and the passphrase is missing or wrong), InvalidArgument (damaged files, key not
  // matching the certificate, malformed index.json, naming the file), Unavailable (locked by
  // another process).
  static StatusOr<std::unique_ptr<CertificateAuthority>> Open(const std::filesystem::path& folder,
                                                              std::string_view passphrase = {});

  ~CertificateAuthority();
  CertificateAuthority(const CertificateAuthority&) = delete;
  CertificateAuthority& operator=(const CertificateAuthority&) = delete;

  // Issues a certificate for the CSR `request_pem`: SAN URI pancaim:<role>:<id> (+ DNS names for
  // a coordinator), EKU serverAuth (coordinator) or clientAuth (site, operator), a fresh random
  // 128-bit serial unique within the index. Records it in index.json and issued/<SERIAL>.crt.
  // Errors: InvalidArgument (malformed CSR, bad self-signature, no/invalid pancaim URI, subject
  // and SAN disagreeing, bad DNS names, validity over the limit or not_after <= not_before),
  // AlreadyExists (an active certificate for the same role+id, unless allow_renewal),
  // PermissionDenied (the request's key belongs to a revoked certificate or another identity:
  // a compromised or shared key must be replaced, not re-certified).
  StatusOr<IssuedCertificate> Sign(std::string_view request_pem, const SignOptions& options = {});

  // Revokes by serial (hex, case-insensitive) or by identity: "ID" or "ROLE:ID" revokes every
  // unrevoked certificate of that identity. Returns the entries revoked. Errors: NotFound (no
  // such serial or identity), InvalidArgument ("ID" alone matches
  // identities of several roles: use ROLE:ID), FailedPrecondition (all matches already revoked).
  // Does not write a CRL: call GenerateCrl.
  StatusOr<std::vector<IssuedCertificate>> Revoke(std::string_view serial_or_identity);

  // Builds a CRL (v2, CRL number incremented each time) listing every revoked serial, signs it,
  // writes it to crl.pem atomically and returns the PEM.
  StatusOr<std::string> GenerateCrl(const CrlOptions& options = {});

  // Every issued certificate, oldest first.
  std::vector<IssuedCertificate> List() const;

  const std::string& ca_certificate_pem() const;
  const std::filesystem::path& folder() const;
  std::filesystem::path ca_certificate_path() const;  // <folder>/ca.crt
  std::filesystem::path crl_path() const;             // <folder>/crl.pem

 private:
  struct State;
  explicit CertificateAuthority(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

// ---------------------------------------------------------------------------------------------
// Inspection (for `pancaim-ca show`, status pages and the TLS contexts).

// What a CRL says, parsed from PEM.
struct CrlInfo {
  std::string issuer;  // one-line issuer name
  TimePoint this_update;
  std::optional<TimePoint> next_update;  // absent in the CRL: treated as stale by CheckCrlFresh
  std::vector<std::string> revoked_serials_hex;
  std::optional<std::uint64_t> crl_number;
};

// Parses a PEM CRL. InvalidArgument when it is not one.
StatusOr<CrlInfo> ParseCrl(std::string_view crl_pem);

// OK when `now` <= nextUpdate + grace. FailedPrecondition otherwise, saying by how long the CRL
// is stale (or that it has no nextUpdate).
Status CheckCrlFresh(const CrlInfo& crl, TimePoint now, std::chrono::seconds grace);

// Parses a PEM certificate into the identity it carries. InvalidArgument when the PEM is not a
// certificate or has no valid pancaim URI SAN.
StatusOr<PeerIdentity> IdentityFromCertificatePem(std::string_view certificate_pem);

// A multi-line human explanation of a PEM certificate, request or CRL (subject, issuer, serial,
// validity with days left, SAN, key usage, EKU, CA flag; or request/CRL contents).
// InvalidArgument when the text holds none of these.
StatusOr<std::string> DescribePem(std::string_view pem, TimePoint now);

// "2026-11-28T07:45:00Z".
std::string FormatUtc(TimePoint time);

}  // namespace pancaim::crypto
