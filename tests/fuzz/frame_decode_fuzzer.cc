// libFuzzer target: DecodeFramePrefix and DecodeFrame over arbitrary bytes, with small caps so
// that both the cap checks and the accepting paths are reached.
#include <cstddef>
#include <cstdint>
#include <string>

#include "pancaim/protocol/frame.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  pancaim::protocol::FrameLimits limits;
  limits.max_header_bytes = 4096;
  limits.max_payload_bytes = 1 << 16;
  if (bytes.size() >= pancaim::protocol::kFramePrefixBytes) {
    auto prefix = pancaim::protocol::DecodeFramePrefix(
        std::string_view(bytes).substr(0, pancaim::protocol::kFramePrefixBytes), limits);
    if (prefix.ok() && pancaim::protocol::FrameBodyBytes(*prefix) >
                           limits.max_header_bytes + limits.max_payload_bytes) {
      __builtin_trap();  // the caps must bound what a reader allocates
    }
  }
  auto frame = pancaim::protocol::DecodeFrame(bytes, limits);
  if (frame.ok()) {
    auto again = pancaim::protocol::EncodeFrame(frame->header_json, frame->payload, limits);
    if (!again.ok() || *again != bytes) __builtin_trap();  // decode and encode are inverses
  }
  return 0;
}
