#include "channel_test_pki.h"

#include "pancaim/common/check.h"

namespace pancaim::transport::testing {

TestPki::TestPki() : folder_("pancaim-transport-test"), pki_(folder_.path()) {}

PartyFiles TestPki::Issue(crypto::Role role, const std::string& id) {
  std::vector<std::string> dns_names;
  if (role == crypto::Role::kCoordinator) dns_names = {"localhost"};
  const std::string label =
      std::string(crypto::RoleName(role)) + "-" + id + "-" + std::to_string(issued_++);
  return pki_.Enroll(role, id, label, {}, dns_names);
}

void TestPki::Revoke(crypto::Role role, const std::string& id) {
  auto revoked = pki_.ca().Revoke(std::string(crypto::RoleName(role)) + ":" + id);
  PANCAIM_CHECK(revoked.ok()) << revoked.status();
  pki_.WriteCrl();
}

std::unique_ptr<crypto::TlsContext> TestPki::ServerContext(const PartyFiles& party) const {
  auto context = crypto::TlsContext::Create(crypto::TlsContext::Side::kServer, pki_.Files(party));
  PANCAIM_CHECK(context.ok()) << context.status();
  return std::move(*context);
}

std::unique_ptr<crypto::TlsContext> TestPki::ClientContext(const PartyFiles& party) const {
  auto context = crypto::TlsContext::Create(crypto::TlsContext::Side::kClient,
                                            pki_.Files(party, "localhost"));
  PANCAIM_CHECK(context.ok()) << context.status();
  return std::move(*context);
}

}  // namespace pancaim::transport::testing
