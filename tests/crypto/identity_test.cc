#include "pancaim/crypto/identity.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "pancaim/crypto/certificate_authority.h"

namespace pancaim::crypto {
namespace {

using ::testing::HasSubstr;

PeerIdentity Peer(Role role, const std::string& id) {
  PeerIdentity identity;
  identity.role = role;
  identity.id = id;
  identity.serial_hex = "4A";
  return identity;
}

TEST(IdentityTest, RolesRoundTripAndUnknownRolesAreRefused) {
  for (Role role : {Role::kSite, Role::kCoordinator, Role::kOperator}) {
    EXPECT_EQ(*ParseRole(RoleName(role)), role);
  }
  StatusOr<Role> bad = ParseRole("admin");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("unknown role 'admin'"));
}

TEST(IdentityTest, OnlySitesJoinAndSubmitUpdates) {
  EXPECT_TRUE(CheckRoleAllows(Peer(Role::kSite, "h1"), Action::kJoinAsSite).ok());
  EXPECT_TRUE(CheckRoleAllows(Peer(Role::kSite, "h1"), Action::kSubmitUpdate).ok());
  Status op = CheckRoleAllows(Peer(Role::kOperator, "alice"), Action::kSubmitUpdate);
  EXPECT_EQ(op.code(), StatusCode::kPermissionDenied);
  EXPECT_THAT(op.message(), HasSubstr("operator:alice (serial 4A) has role operator"));
  EXPECT_EQ(CheckRoleAllows(Peer(Role::kCoordinator, "c"), Action::kJoinAsSite).code(),
            StatusCode::kPermissionDenied);
}

TEST(IdentityTest, SiteCannotOperateOrServeAsCoordinator) {
  Status operate = CheckRoleAllows(Peer(Role::kSite, "h1"), Action::kOperate);
  EXPECT_EQ(operate.code(), StatusCode::kPermissionDenied);
  EXPECT_THAT(operate.message(), HasSubstr("may not operate the coordinator"));
  Status serve = CheckRoleAllows(Peer(Role::kSite, "h1"), Action::kServeAsCoordinator);
  EXPECT_THAT(serve.message(), HasSubstr("needs role coordinator"));
  EXPECT_TRUE(CheckRoleAllows(Peer(Role::kOperator, "a"), Action::kOperate).ok());
  EXPECT_TRUE(CheckRoleAllows(Peer(Role::kCoordinator, "c"), Action::kServeAsCoordinator).ok());
}

TEST(IdentityTest, IdentityNamesAreValidated) {
  EXPECT_TRUE(ValidateIdentityName("hospital-a.site_1").ok());
  EXPECT_FALSE(ValidateIdentityName("").ok());
  EXPECT_FALSE(ValidateIdentityName(std::string(65, 'a')).ok());
  EXPECT_FALSE(ValidateIdentityName("-leading").ok());
  EXPECT_FALSE(ValidateIdentityName("a:b").ok());
  EXPECT_FALSE(ValidateIdentityName("caf\xc3\xa9").ok());
}

TEST(IdentityTest, ToStringNamesRoleIdAndSerial) {
  EXPECT_EQ(Peer(Role::kSite, "hospital-a").ToString(), "site:hospital-a (serial 4A)");
}

}  // namespace
}  // namespace pancaim::crypto
