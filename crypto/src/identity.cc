#include "pancaim/crypto/identity.h"

#include <cctype>
#include <ctime>

#include "openssl_util.h"
#include "pancaim/crypto/certificate_authority.h"

namespace pancaim::crypto {
namespace {

std::string_view ActionName(Action action) {
  switch (action) {
    case Action::kJoinAsSite:
      return "join as a site";
    case Action::kSubmitUpdate:
      return "submit a model update";
    case Action::kOperate:
      return "operate the coordinator";
    case Action::kServeAsCoordinator:
      return "serve as coordinator";
  }
  return "unknown action";
}

Role RoleRequiredFor(Action action) {
  switch (action) {
    case Action::kJoinAsSite:
    case Action::kSubmitUpdate:
      return Role::kSite;
    case Action::kOperate:
      return Role::kOperator;
    case Action::kServeAsCoordinator:
      return Role::kCoordinator;
  }
  PANCAIM_CHECK(false) << "unknown action " << static_cast<int>(action);
  return Role::kSite;
}

}  // namespace

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kSite:
      return "site";
    case Role::kCoordinator:
      return "coordinator";
    case Role::kOperator:
      return "operator";
  }
  return "unknown";
}

StatusOr<Role> ParseRole(std::string_view name) {
  if (name == "site") return Role::kSite;
  if (name == "coordinator") return Role::kCoordinator;
  if (name == "operator") return Role::kOperator;
  return InvalidArgumentError("unknown role '" + std::string(name.substr(0, 64)) +
                              "' (expected site, coordinator or operator)");
}

std::string PeerIdentity::ToString() const {
  return std::string(RoleName(role)) + ":" + id + " (serial " + serial_hex + ")";
}

Status CheckRoleAllows(const PeerIdentity& identity, Action action) {
  Role required = RoleRequiredFor(action);
  if (identity.role == required) return Status::Ok();
  return PermissionDeniedError(identity.ToString() + " has role " +
                               std::string(RoleName(identity.role)) + " and may not " +
                               std::string(ActionName(action)) + " (needs role " +
                               std::string(RoleName(required)) + ")");
}

Status ValidateIdentityName(std::string_view id) {
  auto bad = [&](const std::string& why) {
    return InvalidArgumentError("identity '" + std::string(id.substr(0, 80)) + "' " + why);
  };
  if (id.empty() || id.size() > 64) return bad("must be 1 to 64 characters");
  if (id.front() == '.' || id.front() == '-') return bad("must not start with '.' or '-'");
  for (char c : id) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') {
      return bad("may contain only letters, digits, '.', '_' and '-'");
    }
  }
  return Status::Ok();
}

std::string FormatUtc(TimePoint time) {
  std::time_t seconds = std::chrono::system_clock::to_time_t(time);
  std::tm parts{};
  gmtime_r(&seconds, &parts);
  char buffer[32];
  std::strftime(buffer, sizeof(buffer), "%Y-%m-%dT%H:%M:%SZ", &parts);
  return buffer;
}

StatusOr<PeerIdentity> IdentityFromCertificatePem(std::string_view certificate_pem) {
  PANCAIM_ASSIGN_OR_RETURN(internal::X509Ptr certificate,
                           internal::ParseCertificatePem(certificate_pem, "certificate"));
  return internal::IdentityFromX509(certificate.get());
}

}  // namespace pancaim::crypto
