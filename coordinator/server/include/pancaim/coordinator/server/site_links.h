// SiteLinks: how the round state machine reaches sites, without knowing about sockets. The
// coordinator server implements it over transport connections; tests implement it with fakes.
//
// Thread-safety: called only from the strand that owns the state machine; implementations must
// not call back into the state machine from Send (queue and return).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "pancaim/common/status.h"
#include "pancaim/protocol/messages.h"

namespace pancaim::coordinator::server {

class SiteLinks {
 public:
  virtual ~SiteLinks() = default;
  // Site ids (from certificates) connected now and able to take part, sorted.
  virtual std::vector<std::string> ConnectedSites() const = 0;
  // Queues `message` (and `payload`, shared by every site of a round; may be null) to `site_id`.
  // Errors: Unavailable when the site is not connected (naming it), or the transport's refusal.
  virtual Status Send(const std::string& site_id, const protocol::Message& message,
                      std::shared_ptr<const std::string> payload) = 0;
};

}  // namespace pancaim::coordinator::server
