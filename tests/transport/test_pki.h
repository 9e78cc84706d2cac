// Test support: a throw-away consortium CA in a temporary folder (built with the crypto CA
// library), certificates for named parties, revocation, and TLS contexts configured the way
// crypto::TlsContext does (TLS 1.3 only, mutual certificates, consortium CA only, CRL checked).
// Not thread-safe; one per test fixture.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include <boost/asio/ssl/context.hpp>

#include "pancaim/crypto/certificate_authority.h"

namespace pancaim::transport::testing {

struct PartyFiles {
  std::string cert_path;
  std::string key_path;
};

class TestPki {
 public:
  // Creates the CA and an (empty) CRL under a fresh temporary folder. Aborts the test on failure.
  TestPki();
  ~TestPki();  // removes the folder

  // Issues a certificate for role:id (coordinators get DNS name "localhost").
  PartyFiles Issue(crypto::Role role, const std::string& id);
  // Revokes every certificate of role:id and rewrites the CRL.
  void Revoke(crypto::Role role, const std::string& id);

  std::unique_ptr<boost::asio::ssl::context> ServerContext(const PartyFiles& party) const;
  std::unique_ptr<boost::asio::ssl::context> ClientContext(const PartyFiles& party) const;

  const std::filesystem::path& folder() const { return folder_; }

 private:
  std::unique_ptr<boost::asio::ssl::context> MakeContext(bool server,
                                                         const PartyFiles& party) const;
  std::filesystem::path folder_;
  std::unique_ptr<crypto::CertificateAuthority> ca_;
};

}  // namespace pancaim::transport::testing
