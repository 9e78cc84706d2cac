// CertificateAuthority: creating and opening the CA folder, revocation and the issued record.
// Signing lives in ca_sign.cc, CRLs in crl.cc.
#include "pancaim/crypto/certificate_authority.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/rand.h>

#include <cerrno>
#include <cstring>

#include "ca_state.h"
#include "pancaim/common/files.h"
#include "pancaim/common/log.h"

namespace pancaim::crypto {
namespace {

namespace fs = std::filesystem;
using internal::DrainOpenSslErrors;

StatusOr<int> LockFolder(const fs::path& folder) {
  fs::path path = folder / internal::kLockFile;
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return UnavailableError("cannot open lock file '" + path.string() + "': " +
                            std::strerror(errno));
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return UnavailableError("CA folder '" + folder.string() +
                            "' is in use by another pancaim-ca process (lock " + path.string() +
                            ")");
  }
  return fd;
}

// Passed to PEM_read_bio_PrivateKey: never prompts on a terminal; records whether the key was
// encrypted (OpenSSL asked for a passphrase).
struct PassphraseRequest {
  std::string_view passphrase;
  bool asked = false;
};

int PassphraseCallback(char* buffer, int size, int /*rwflag*/, void* user) {
  auto* request = static_cast<PassphraseRequest*>(user);
  request->asked = true;
  if (request->passphrase.empty() || request->passphrase.size() > static_cast<size_t>(size)) {
    return -1;
  }
  std::memcpy(buffer, request->passphrase.data(), request->passphrase.size());
  return static_cast<int>(request->passphrase.size());
}

StatusOr<internal::PkeyPtr> LoadCaKey(const fs::path& path, std::string_view passphrase) {
  struct stat info {};
  if (::stat(path.c_str(), &info) == 0 && (info.st_mode & 077) != 0) {
    return PermissionDeniedError("CA key '" + path.string() +
                                 "' is readable by group or others; run chmod 600 on it");
  }
  PANCAIM_ASSIGN_OR_RETURN(std::string pem, ReadFile(path, internal::kMaxPemBytes));
  PassphraseRequest request{passphrase};
  ERR_clear_error();
  internal::BioPtr bio = internal::MemoryBio(pem);
  internal::PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, PassphraseCallback, &request));
  std::string detail = DrainOpenSslErrors();
  if (key != nullptr) return key;
  if (request.asked && passphrase.empty()) {
    return UnauthenticatedError("CA key '" + path.string() +
                                "' is encrypted: a passphrase is required");
  }
  if (request.asked) {
    return UnauthenticatedError("wrong passphrase for CA key '" + path.string() + "'");
  }
  return InvalidArgumentError("'" + path.string() + "' is not a PEM private key (" + detail + ")");
}

StatusOr<std::string> EncodeCaKey(EVP_PKEY* key, std::string_view passphrase) {
  internal::BioPtr bio(BIO_new(BIO_s_mem()));
  const EVP_CIPHER* cipher = passphrase.empty() ? nullptr : EVP_aes_256_cbc();
  if (PEM_write_bio_PKCS8PrivateKey(bio.get(), key, cipher, passphrase.data(),
                                    static_cast<int>(passphrase.size()), nullptr,
                                    nullptr) != 1) {
    return InternalError("cannot encode the CA key: " + DrainOpenSslErrors());
  }
  return internal::BioContents(bio.get());
}

StatusOr<internal::X509Ptr> BuildRootCertificate(EVP_PKEY* key, const CaInitOptions& options) {
  internal::X509Ptr certificate(X509_new());
  PANCAIM_CHECK(certificate != nullptr);
  unsigned char serial_bytes[16];
  PANCAIM_CHECK(RAND_bytes(serial_bytes, sizeof(serial_bytes)) == 1);
  serial_bytes[0] = static_cast<unsigned char>((serial_bytes[0] & 0x7F) | 0x40);
  internal::BignumPtr serial(BN_bin2bn(serial_bytes, sizeof(serial_bytes), nullptr));
  TimePoint not_before = options.not_before.value_or(std::chrono::system_clock::now());
  TimePoint not_after = not_before + options.validity;
  internal::Asn1TimePtr start = internal::ToAsn1Time(not_before);
  internal::Asn1TimePtr end = internal::ToAsn1Time(not_after);
  internal::X509NamePtr name = internal::MakeName(options.common_name, "");
  if (X509_set_version(certificate.get(), 2) != 1 ||
      BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(certificate.get())) == nullptr ||
      X509_set1_notBefore(certificate.get(), start.get()) != 1 ||
      X509_set1_notAfter(certificate.get(), end.get()) != 1 ||
      X509_set_subject_name(certificate.get(), name.get()) != 1 ||
      X509_set_issuer_name(certificate.get(), name.get()) != 1 ||
      X509_set_pubkey(certificate.get(), key) != 1) {
    return InternalError("cannot fill the CA certificate: " + DrainOpenSslErrors());
  }
  X509* self = certificate.get();
  PANCAIM_RETURN_IF_ERROR(
      internal::AddExtension(self, self, NID_basic_constraints, "critical,CA:TRUE,pathlen:0"));
  PANCAIM_RETURN_IF_ERROR(
      internal::AddExtension(self, self, NID_key_usage, "critical,keyCertSign,cRLSign"));
  PANCAIM_RETURN_IF_ERROR(internal::AddExtension(self, self, NID_subject_key_identifier, "hash"));
  PANCAIM_RETURN_IF_ERROR(
      internal::AddExtension(self, self, NID_authority_key_identifier, "keyid:always"));
  if (X509_sign(self, key, EVP_sha256()) <= 0) {
    return InternalError("cannot sign the CA certificate: " + DrainOpenSslErrors());
  }
  return certificate;
}

Status CheckNoExistingCa(const fs::path& folder) {
  for (const char* file : {internal::kCaKeyFile, internal::kCaCertFile, internal::kIndexFile}) {
    std::error_code error;
    if (fs::exists(folder / file, error)) {
      return AlreadyExistsError("'" + (folder / file).string() +
                                "' exists: a CA is already set up there; refusing to overwrite it");
    }
  }
  return Status::Ok();
}

}  // namespace

namespace internal {

Status SaveCaIndex(const fs::path& folder, const CaIndex& index) {
  return WriteFileAtomic(folder / kIndexFile, SerializeCaIndex(index), 0644);
}

}  // namespace internal

std::string_view IssuedStateName(IssuedCertificate::State state) {
  switch (state) {
    case IssuedCertificate::State::kActive:
      return "active";
    case IssuedCertificate::State::kRevoked:
      return "revoked";
    case IssuedCertificate::State::kExpired:
      return "expired";
  }
  return "unknown";
}

IssuedCertificate::State IssuedCertificate::StateAt(TimePoint now) const {
  if (revoked_at.has_value()) return State::kRevoked;
  if (not_after <= now) return State::kExpired;
  return State::kActive;
}

CertificateAuthority::CertificateAuthority(std::unique_ptr<State> state)
    : state_(std::move(state)) {}

CertificateAuthority::~CertificateAuthority() {
  if (state_ != nullptr && state_->lock_fd >= 0) ::close(state_->lock_fd);
}

StatusOr<std::unique_ptr<CertificateAuthority>> CertificateAuthority::Init(
    const fs::path& folder, const CaInitOptions& options) {
  if (options.common_name.empty() || options.common_name.size() > 64) {
    return InvalidArgumentError("CA common name must be 1 to 64 characters");
  }
  if (options.validity <= std::chrono::days{0}) {
    return InvalidArgumentError("CA validity must be positive");
  }
  std::error_code error;
  bool created = fs::create_directories(folder, error);
  if (error) {
    return UnavailableError("cannot create CA folder '" + folder.string() +
                            "': " + error.message());
  }
  if (created) fs::permissions(folder, fs::perms::owner_all, error);
  PANCAIM_RETURN_IF_ERROR(CheckNoExistingCa(folder));
  auto state = std::make_unique<State>();
  state->folder = folder;
  PANCAIM_ASSIGN_OR_RETURN(state->lock_fd, LockFolder(folder));
  auto ca = std::unique_ptr<CertificateAuthority>(new CertificateAuthority(std::move(state)));
  State& s = *ca->state_;
  PANCAIM_RETURN_IF_ERROR(CheckNoExistingCa(folder));  // again, now under the lock

  PANCAIM_ASSIGN_OR_RETURN(s.key, internal::GenerateP256Key());
  PANCAIM_ASSIGN_OR_RETURN(s.certificate, BuildRootCertificate(s.key.get(), options));
  PANCAIM_ASSIGN_OR_RETURN(s.certificate_pem, internal::CertificateToPem(s.certificate.get()));
  PANCAIM_ASSIGN_OR_RETURN(s.not_after,
                           internal::FromAsn1Time(X509_get0_notAfter(s.certificate.get())));
  PANCAIM_ASSIGN_OR_RETURN(std::string key_pem, EncodeCaKey(s.key.get(), options.passphrase));

  // The key is created with O_EXCL first, so two concurrent inits cannot both succeed.
  PANCAIM_RETURN_IF_ERROR(WritePrivateFile(folder / internal::kCaKeyFile, key_pem));
  PANCAIM_RETURN_IF_ERROR(WriteFileAtomic(folder / internal::kCaCertFile, s.certificate_pem));
  fs::create_directories(folder / internal::kIssuedFolder, error);
  if (error) {
    return UnavailableError("cannot create '" + (folder / internal::kIssuedFolder).string() +
                            "': " + error.message());
  }
  PANCAIM_RETURN_IF_ERROR(internal::SaveCaIndex(folder, s.index));
  PANCAIM_LOG(INFO) << "created consortium CA in " << folder.string() << " ("
                    << internal::NameToString(X509_get_subject_name(s.certificate.get()))
                    << ", valid until " << FormatUtc(s.not_after)
                    << (options.passphrase.empty() ? ", key NOT encrypted" : ", key encrypted")
                    << ")";
  return ca;
}

StatusOr<std::unique_ptr<CertificateAuthority>> CertificateAuthority::Open(
    const fs::path& folder, std::string_view passphrase) {
  std::error_code error;
  for (const char* file : {internal::kCaCertFile, internal::kCaKeyFile, internal::kIndexFile}) {
    if (!fs::exists(folder / file, error)) {
      return NotFoundError("no CA in '" + folder.string() + "' (missing " + file +
                           "); create one with `pancaim-ca init`");
    }
  }
  auto state = std::make_unique<State>();
  state->folder = folder;
  PANCAIM_ASSIGN_OR_RETURN(state->lock_fd, LockFolder(folder));
  auto ca = std::unique_ptr<CertificateAuthority>(new CertificateAuthority(std::move(state)));
  State& s = *ca->state_;

  fs::path cert_path = folder / internal::kCaCertFile;
  PANCAIM_ASSIGN_OR_RETURN(s.certificate_pem, ReadFile(cert_path, internal::kMaxPemBytes));
  PANCAIM_ASSIGN_OR_RETURN(s.certificate,
                           internal::ParseCertificatePem(s.certificate_pem, cert_path.string()));
  PANCAIM_ASSIGN_OR_RETURN(s.not_after,
                           internal::FromAsn1Time(X509_get0_notAfter(s.certificate.get())));
  PANCAIM_ASSIGN_OR_RETURN(s.key, LoadCaKey(folder / internal::kCaKeyFile, passphrase));
  if (X509_check_private_key(s.certificate.get(), s.key.get()) != 1) {
    ERR_clear_error();
    return InvalidArgumentError("CA key '" + (folder / internal::kCaKeyFile).string() +
                                "' does not match certificate '" + cert_path.string() + "'");
  }
  fs::path index_path = folder / internal::kIndexFile;
  PANCAIM_ASSIGN_OR_RETURN(std::string index_text, ReadFile(index_path, internal::kMaxIndexBytes));
  PANCAIM_ASSIGN_OR_RETURN(s.index, internal::ParseCaIndex(index_text, index_path.string()));
  return ca;
}

StatusOr<std::vector<IssuedCertificate>> CertificateAuthority::Revoke(
    std::string_view serial_or_identity) {
  State& s = *state_;
  std::vector<IssuedCertificate*> targets;
  std::string what(serial_or_identity.substr(0, 100));
  if (IssuedCertificate* entry = s.index.FindSerial(serial_or_identity)) {
    targets.push_back(entry);
  } else {
    std::optional<Role> role;
    std::string_view id = serial_or_identity;
    if (std::size_t colon = id.find(':'); colon != std::string_view::npos) {
      PANCAIM_ASSIGN_OR_RETURN(role, ParseRole(id.substr(0, colon)));
      id = id.substr(colon + 1);
    }
    std::vector<Role> roles_seen;
    for (IssuedCertificate& entry : s.index.certificates) {
      if (entry.id != id || (role && entry.role != *role)) continue;
      targets.push_back(&entry);
      if (std::find(roles_seen.begin(), roles_seen.end(), entry.role) == roles_seen.end()) {
        roles_seen.push_back(entry.role);
      }
    }
    if (roles_seen.size() > 1) {
      return InvalidArgumentError("'" + what +
                                  "' names identities of several roles; use ROLE:ID, e.g. site:" +
                                  std::string(id));
    }
  }
  if (targets.empty()) {
    return NotFoundError("no certificate with serial or identity '" + what +
                         "' was issued by this CA");
  }
  std::vector<IssuedCertificate> revoked;
  TimePoint now = std::chrono::system_clock::now();
  for (IssuedCertificate* entry : targets) {
    if (entry->revoked_at.has_value()) continue;
    entry->revoked_at = now;
    revoked.push_back(*entry);
  }
  if (revoked.empty()) {
    return FailedPreconditionError("every certificate matching '" + what +
                                   "' is already revoked");
  }
  PANCAIM_RETURN_IF_ERROR(internal::SaveCaIndex(s.folder, s.index));
  for (const IssuedCertificate& entry : revoked) {
    PANCAIM_LOG(INFO) << "revoked " << RoleName(entry.role) << ":" << entry.id << " serial "
                      << entry.serial_hex << "; generate and distribute a new CRL";
  }
  return revoked;
}

std::vector<IssuedCertificate> CertificateAuthority::List() const {
  return state_->index.certificates;
}

const std::string& CertificateAuthority::ca_certificate_pem() const {
  return state_->certificate_pem;
}

const fs::path& CertificateAuthority::folder() const { return state_->folder; }

fs::path CertificateAuthority::ca_certificate_path() const {
  return state_->folder / internal::kCaCertFile;
}

fs::path CertificateAuthority::crl_path() const { return state_->folder / internal::kCrlFile; }

}  // namespace pancaim::crypto
