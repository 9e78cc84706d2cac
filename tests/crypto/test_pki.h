// Test fixture helper: a throw-away consortium PKI in a temporary folder (CA, CRL, enrolled
// parties with key/certificate files), built with the real CertificateAuthority library.
// Also usable by other components' tests (link pancaim_crypto_test_pki). Not thread-safe.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "pancaim/crypto/certificate_authority.h"
#include "pancaim/crypto/tls_context.h"

namespace pancaim::crypto::testing {

// A unique empty folder under the system temp directory, removed (recursively) on destruction.
class TempFolder {
 public:
  explicit TempFolder(const std::string& prefix = "pancaim-test");
  ~TempFolder();
  TempFolder(const TempFolder&) = delete;
  TempFolder& operator=(const TempFolder&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Key + certificate files of one enrolled party.
struct PartyFiles {
  std::filesystem::path key_path;
  std::filesystem::path cert_path;
  IssuedCertificate issued;
};

class TestPki {
 public:
  // Creates a CA (unencrypted key) in <root>/<name>/ca and an initial fresh CRL (7 days).
  // Aborts the test binary (PANCAIM_CHECK) on failure: fixtures are programmer territory.
  TestPki(const std::filesystem::path& root, const std::string& name = "consortium");

  CertificateAuthority& ca() { return *ca_; }
  std::filesystem::path ca_cert_path() const { return ca_->ca_certificate_path(); }
  std::filesystem::path crl_path() const { return ca_->crl_path(); }

  // Generates a key + CSR for role/id and signs it with `options` (allow_renewal is forced on,
  // so one identity may be issued several times). Files: <root>/<name>/<label>.key/.crt.
  PartyFiles Enroll(Role role, const std::string& id, const std::string& label,
                    SignOptions options = {}, std::vector<std::string> dns_names = {});

  // Writes a new CRL (as GenerateCrl) and returns its path.
  std::filesystem::path WriteCrl(const CrlOptions& options = {});

  // TlsFiles for a party of this PKI.
  TlsFiles Files(const PartyFiles& party, const std::string& expected_server_name = "") const;

 private:
  std::filesystem::path folder_;
  std::unique_ptr<CertificateAuthority> ca_;
};

}  // namespace pancaim::crypto::testing
