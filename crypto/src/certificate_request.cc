// Requester side of enrolment: key + CSR generation, private-file writing.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/pem.h>

#include <cerrno>
#include <cstring>

#include "openssl_util.h"
#include "pancaim/crypto/certificate_authority.h"

namespace pancaim::crypto {
namespace {

using internal::DrainOpenSslErrors;

Status CheckRequestOptions(const RequestOptions& options) {
  PANCAIM_RETURN_IF_ERROR(ValidateIdentityName(options.id));
  if (options.role != Role::kCoordinator && !options.dns_names.empty()) {
    return InvalidArgumentError("DNS names are only for coordinator certificates, not for " +
                                std::string(RoleName(options.role)) + " '" + options.id + "'");
  }
  if (options.role == Role::kCoordinator && options.dns_names.empty()) {
    return InvalidArgumentError("a coordinator request needs at least one DNS name (--dns)");
  }
  for (const std::string& name : options.dns_names) {
    PANCAIM_RETURN_IF_ERROR(internal::ValidateDnsName(name));
  }
  return Status::Ok();
}

std::string SubjectAltNameValue(const RequestOptions& options) {
  std::string value = "URI:" + internal::MakePancaimUri(options.role, options.id);
  for (const std::string& name : options.dns_names) value += ",DNS:" + name;
  return value;
}

}  // namespace

StatusOr<KeyAndRequest> CreateKeyAndRequest(const RequestOptions& options) {
  PANCAIM_RETURN_IF_ERROR(CheckRequestOptions(options));
  PANCAIM_ASSIGN_OR_RETURN(internal::PkeyPtr key, internal::GenerateP256Key());

  internal::X509ReqPtr request(X509_REQ_new());
  PANCAIM_CHECK(request != nullptr);
  X509_REQ_set_version(request.get(), 0);
  internal::X509NamePtr subject = internal::MakeName(options.id, RoleName(options.role));
  if (X509_REQ_set_subject_name(request.get(), subject.get()) != 1 ||
      X509_REQ_set_pubkey(request.get(), key.get()) != 1) {
    return InternalError("cannot fill certificate request: " + DrainOpenSslErrors());
  }
  PANCAIM_ASSIGN_OR_RETURN(
      internal::X509ExtPtr san,
      internal::MakeExtension(NID_subject_alt_name, SubjectAltNameValue(options)));
  STACK_OF(X509_EXTENSION)* extensions = sk_X509_EXTENSION_new_null();
  PANCAIM_CHECK(extensions != nullptr);
  sk_X509_EXTENSION_push(extensions, san.get());
  int added = X509_REQ_add_extensions(request.get(), extensions);
  sk_X509_EXTENSION_free(extensions);  // does not free `san`, still owned above
  if (added != 1 || X509_REQ_sign(request.get(), key.get(), EVP_sha256()) <= 0) {
    return InternalError("cannot sign certificate request: " + DrainOpenSslErrors());
  }

  KeyAndRequest result;
  internal::BioPtr key_bio(BIO_new(BIO_s_mem()));
  internal::BioPtr request_bio(BIO_new(BIO_s_mem()));
  if (PEM_write_bio_PrivateKey(key_bio.get(), key.get(), nullptr, nullptr, 0, nullptr,
                               nullptr) != 1 ||
      PEM_write_bio_X509_REQ(request_bio.get(), request.get()) != 1) {
    return InternalError("cannot encode key or request as PEM: " + DrainOpenSslErrors());
  }
  result.private_key_pem = internal::BioContents(key_bio.get());
  result.request_pem = internal::BioContents(request_bio.get());
  return result;
}

Status WritePrivateFile(const std::filesystem::path& path, std::string_view bytes) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    int err = errno;
    std::string message = "cannot create '" + path.string() + "': " + std::strerror(err);
    if (err == EEXIST) {
      return AlreadyExistsError("'" + path.string() + "' already exists; refusing to overwrite it");
    }
    if (err == ENOENT) return NotFoundError(message);
    if (err == EACCES || err == EPERM) return PermissionDeniedError(message);
    return UnavailableError(message);
  }
  // The umask may have widened nothing (0600 is already minimal) but may have narrowed it;
  // enforce exactly owner read/write.
  bool ok = ::fchmod(fd, 0600) == 0;
  std::string_view rest = bytes;
  while (ok && !rest.empty()) {
    ssize_t written = ::write(fd, rest.data(), rest.size());
    if (written < 0 && errno == EINTR) continue;
    if (written < 0) {
      ok = false;
      break;
    }
    rest.remove_prefix(static_cast<std::size_t>(written));
  }
  ok = ok && ::fsync(fd) == 0;
  int err = errno;
  ::close(fd);
  if (!ok) {
    ::unlink(path.c_str());
    return UnavailableError("cannot write '" + path.string() + "': " + std::strerror(err));
  }
  return Status::Ok();
}

}  // namespace pancaim::crypto
