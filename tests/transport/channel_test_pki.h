// Test support: a throw-away consortium PKI (crypto's test helper over the real CA library) and
// the real crypto::TlsContext for each party, as the coordinator and site agents create them.
// Not thread-safe; one per test fixture.
#pragma once

#include <memory>
#include <string>

#include "pancaim/crypto/tls_context.h"
#include "test_pki.h"  // crypto's: tests/crypto/test_pki.h (pancaim_crypto_test_pki)

namespace pancaim::transport::testing {

using PartyFiles = crypto::testing::PartyFiles;

class TestPki {
 public:
  // Creates the CA and a fresh CRL under a temporary folder. Aborts the test on failure.
  TestPki();

  // Issues a certificate for role:id (coordinators get the DNS name "localhost").
  PartyFiles Issue(crypto::Role role, const std::string& id);
  // Revokes every certificate of role:id and rewrites the CRL file (contexts see it on Reload).
  void Revoke(crypto::Role role, const std::string& id);

  // crypto::TlsContext for the coordinator (server) or a site/operator (client, expecting the
  // server name "localhost").
  std::unique_ptr<crypto::TlsContext> ServerContext(const PartyFiles& party) const;
  std::unique_ptr<crypto::TlsContext> ClientContext(const PartyFiles& party) const;

 private:
  crypto::testing::TempFolder folder_;
  crypto::testing::TestPki pki_;
  int issued_ = 0;
};

}  // namespace pancaim::transport::testing
