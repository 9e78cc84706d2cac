// Who a verified peer is, as stated by its consortium certificate (never by message contents).
//
// Certificates carry the role and identity in a subject-alternative-name URI
// "pancaim:<role>:<id>" (role: site, coordinator, operator; id: [A-Za-z0-9._-]{1,64}).
// Values; thread-safe as values are.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "pancaim/common/status.h"

namespace pancaim::crypto {

enum class Role { kSite, kCoordinator, kOperator };

std::string_view RoleName(Role role);             // "site", "coordinator", "operator"
StatusOr<Role> ParseRole(std::string_view name);  // refuses anything else

// The identity extracted from a certificate chain that verified against the consortium CA.
struct PeerIdentity {
  Role role = Role::kSite;
  std::string id;          // site id, coordinator name or operator name
  std::string serial_hex;  // certificate serial number
  std::string subject;     // one-line subject, for logs
  std::chrono::system_clock::time_point not_after;

  std::string ToString() const;  // "site:hospital-a (serial 1A2B)"
};

// Checks that `identity` may perform `action` (e.g. only sites submit updates, only operators
// submit runs). Returns PermissionDenied naming identity, role and action otherwise.
enum class Action { kJoinAsSite, kSubmitUpdate, kOperate, kServeAsCoordinator };
Status CheckRoleAllows(const PeerIdentity& identity, Action action);

}  // namespace pancaim::crypto
