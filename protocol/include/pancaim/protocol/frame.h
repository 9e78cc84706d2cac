// Length-prefixed frames of the coordinator–site–operator protocol.
//
// Wire layout (all integers little-endian):
//   offset 0   4 bytes   magic "PFL1"
//   offset 4   4 bytes   header length H (uint32)
//   offset 8   8 bytes   payload length P (uint64)
//   offset 16  H bytes   JSON header (see messages.h)
//   then       P bytes   optional payload (safetensors), P = 0 when absent
//
// A reader first decodes the 16-byte prefix with DecodeFramePrefix(), which checks both lengths
// against FrameLimits *before* anything is allocated, then reads exactly H + P more bytes.
// Pure functions over byte spans; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "pancaim/common/status.h"

namespace pancaim::protocol {

inline constexpr std::size_t kFramePrefixBytes = 16;
inline constexpr char kFrameMagic[4] = {'P', 'F', 'L', '1'};

// Size caps, configurable per deployment (coordinator and site configs expose them).
struct FrameLimits {
  std::uint32_t max_header_bytes = 64u << 10;       // 64 KiB of JSON
  std::uint64_t max_payload_bytes = 1ull << 30;     // 1 GiB model or update
};

// The two lengths announced by a frame's prefix.
struct FramePrefix {
  std::uint32_t header_bytes = 0;
  std::uint64_t payload_bytes = 0;
};

// A decoded frame: views into the buffer passed to DecodeFrame (not owned).
struct FrameView {
  std::string_view header_json;
  std::string_view payload;
};

// Checks magic and both lengths against `limits`. `prefix` must be exactly kFramePrefixBytes.
// Errors: DataLoss (wrong prefix size), InvalidArgument (bad magic, empty header),
// ResourceExhausted (a length over its cap). Nothing is allocated from the lengths before they pass.
StatusOr<FramePrefix> DecodeFramePrefix(std::string_view prefix, const FrameLimits& limits);

// Bytes that follow the prefix: header_bytes + payload_bytes (cannot overflow once the prefix has
// passed DecodeFramePrefix with caps below 2^63).
std::uint64_t FrameBodyBytes(const FramePrefix& prefix);

// Decodes one complete frame occupying all of `frame` (prefix + header + payload).
// Errors: those of DecodeFramePrefix, DataLoss when the frame is shorter than its prefix says,
// InvalidArgument when bytes trail after it. The result views `frame`.
StatusOr<FrameView> DecodeFrame(std::string_view frame, const FrameLimits& limits);

// Builds a frame. Fails (ResourceExhausted/InvalidArgument) when the header is empty or header or
// payload exceed `limits`.
StatusOr<std::string> EncodeFrame(std::string_view header_json, std::string_view payload,
                                  const FrameLimits& limits);

// Builds only the 16-byte prefix, for writers that send header and a large payload from their own
// buffers (scatter-gather) instead of copying them into one frame. Same checks as EncodeFrame.
StatusOr<std::string> EncodeFramePrefix(const FramePrefix& prefix, const FrameLimits& limits);

}  // namespace pancaim::protocol
