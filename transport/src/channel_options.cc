#include "pancaim/transport/channel_options.h"

namespace pancaim::transport {

Status ChannelOptions::Validate() const {
  const std::pair<const char*, std::chrono::milliseconds> timeouts[] = {
      {"handshake_timeout", handshake_timeout},
      {"idle_timeout", idle_timeout},
      {"io_timeout", io_timeout},
      {"heartbeat_interval", heartbeat_interval}};
  for (const auto& [name, value] : timeouts) {
    if (value.count() <= 0) {
      return InvalidArgumentError(std::string("channel option ") + name + " must be positive, got " +
                                  std::to_string(value.count()) + " ms");
    }
  }
  if (heartbeat_interval >= idle_timeout) {
    return InvalidArgumentError("channel option heartbeat_interval (" +
                                std::to_string(heartbeat_interval.count()) +
                                " ms) must be shorter than idle_timeout (" +
                                std::to_string(idle_timeout.count()) + " ms)");
  }
  if (max_send_queue_bytes == 0) {
    return InvalidArgumentError("channel option max_send_queue_bytes must be positive");
  }
  return Status::Ok();
}

}  // namespace pancaim::transport
