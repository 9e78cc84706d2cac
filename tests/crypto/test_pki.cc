#include "test_pki.h"

#include <random>

#include "pancaim/common/check.h"
#include "pancaim/common/files.h"

namespace pancaim::crypto::testing {

namespace fs = std::filesystem;

TempFolder::TempFolder(const std::string& prefix) {
  std::random_device random;
  for (int attempt = 0; attempt < 100; ++attempt) {
    fs::path candidate = fs::temp_directory_path() / (prefix + "-" + std::to_string(random()));
    std::error_code error;
    if (fs::create_directory(candidate, error)) {
      path_ = candidate;
      return;
    }
  }
  PANCAIM_CHECK(false) << "cannot create a temporary folder";
}

TempFolder::~TempFolder() {
  std::error_code error;
  fs::remove_all(path_, error);
}

TestPki::TestPki(const fs::path& root, const std::string& name) : folder_(root / name) {
  StatusOr<std::unique_ptr<CertificateAuthority>> ca =
      CertificateAuthority::Init(folder_ / "ca", CaInitOptions{.common_name = name + " test CA"});
  PANCAIM_CHECK(ca.ok()) << ca.status();
  ca_ = std::move(*ca);
  WriteCrl();
}

PartyFiles TestPki::Enroll(Role role, const std::string& id, const std::string& label,
                           SignOptions options, std::vector<std::string> dns_names) {
  StatusOr<KeyAndRequest> request =
      CreateKeyAndRequest({.role = role, .id = id, .dns_names = std::move(dns_names)});
  PANCAIM_CHECK(request.ok()) << request.status();
  options.allow_renewal = true;
  StatusOr<IssuedCertificate> issued = ca_->Sign(request->request_pem, options);
  PANCAIM_CHECK(issued.ok()) << issued.status();
  PartyFiles files;
  files.key_path = folder_ / (label + ".key");
  files.cert_path = folder_ / (label + ".crt");
  files.issued = *issued;
  PANCAIM_CHECK(WritePrivateFile(files.key_path, request->private_key_pem).ok());
  PANCAIM_CHECK(WriteFileAtomic(files.cert_path, issued->certificate_pem).ok());
  return files;
}

fs::path TestPki::WriteCrl(const CrlOptions& options) {
  StatusOr<std::string> crl = ca_->GenerateCrl(options);
  PANCAIM_CHECK(crl.ok()) << crl.status();
  return ca_->crl_path();
}

TlsFiles TestPki::Files(const PartyFiles& party, const std::string& expected_server_name) const {
  TlsFiles files;
  files.ca_cert_path = ca_->ca_certificate_path().string();
  files.cert_path = party.cert_path.string();
  files.key_path = party.key_path.string();
  files.crl_path = ca_->crl_path().string();
  files.expected_server_name = expected_server_name;
  return files;
}

}  // namespace pancaim::crypto::testing
