#include "pancaim/coordinator/server/certificate_warnings.h"

#include <gtest/gtest.h>

#include "test_pki.h"

namespace pancaim::coordinator::server {
namespace {

using crypto::testing::TempFolder;
using crypto::testing::TestPki;

std::unique_ptr<crypto::TlsContext> ServerContext(TestPki& pki, std::chrono::days validity) {
  crypto::SignOptions options;
  options.validity = validity;
  const auto party = pki.Enroll(crypto::Role::kCoordinator, "coordinator", "coordinator", options,
                                {"localhost"});
  auto tls = crypto::TlsContext::Create(crypto::TlsContext::Side::kServer, pki.Files(party));
  EXPECT_TRUE(tls.ok()) << tls.status();
  return tls.ok() ? std::move(tls).value() : nullptr;
}

TEST(CertificateWarningsTest, NoneForACertificateValidLongerThan30Days) {
  TempFolder folder("cert-warnings");
  TestPki pki(folder.path());
  auto tls = ServerContext(pki, std::chrono::days(365));
  ASSERT_NE(tls, nullptr);
  EXPECT_TRUE(CertificateExpiryWarnings(*tls).empty());
}

TEST(CertificateWarningsTest, WarnsWithin30DaysNamingTheCertificate) {
  TempFolder folder("cert-warnings");
  TestPki pki(folder.path());
  auto tls = ServerContext(pki, std::chrono::days(10));
  ASSERT_NE(tls, nullptr);
  const std::vector<std::string> warnings = CertificateExpiryWarnings(*tls);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0].rfind("own certificate coordinator:coordinator", 0), 0u) << warnings[0];
  EXPECT_NE(warnings[0].find("expires in 9 days"), std::string::npos) << warnings[0];
  EXPECT_NE(warnings[0].find("renew"), std::string::npos) << warnings[0];
  // A narrower window (here 5 days) does not warn yet.
  EXPECT_TRUE(CertificateExpiryWarnings(*tls, std::chrono::days(5)).empty());
}

}  // namespace
}  // namespace pancaim::coordinator::server
