#include "pancaim/protocol/frame.h"

#include <cstring>

namespace pancaim::protocol {
namespace {

std::uint64_t ReadLittleEndian(std::string_view bytes, std::size_t offset, std::size_t width) {
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < width; ++i) {
    value |= static_cast<std::uint64_t>(static_cast<unsigned char>(bytes[offset + i])) << (8 * i);
  }
  return value;
}

void AppendLittleEndian(std::string& out, std::uint64_t value, std::size_t width) {
  for (std::size_t i = 0; i < width; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

std::string Hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (char c : bytes) {
    out.push_back(kDigits[(static_cast<unsigned char>(c) >> 4) & 0xf]);
    out.push_back(kDigits[static_cast<unsigned char>(c) & 0xf]);
  }
  return out;
}

Status CheckLengths(const FramePrefix& prefix, const FrameLimits& limits) {
  if (prefix.header_bytes == 0) return InvalidArgumentError("frame header is empty");
  if (prefix.header_bytes > limits.max_header_bytes) {
    return ResourceExhaustedError("frame header of " + std::to_string(prefix.header_bytes) +
                                  " bytes is over the cap of " +
                                  std::to_string(limits.max_header_bytes));
  }
  if (prefix.payload_bytes > limits.max_payload_bytes) {
    return ResourceExhaustedError("frame payload of " + std::to_string(prefix.payload_bytes) +
                                  " bytes is over the cap of " +
                                  std::to_string(limits.max_payload_bytes));
  }
  return Status::Ok();
}

}  // namespace

StatusOr<FramePrefix> DecodeFramePrefix(std::string_view prefix, const FrameLimits& limits) {
  if (prefix.size() != kFramePrefixBytes) {
    return DataLossError("frame prefix is " + std::to_string(prefix.size()) + " bytes, expected " +
                         std::to_string(kFramePrefixBytes));
  }
  if (std::memcmp(prefix.data(), kFrameMagic, sizeof(kFrameMagic)) != 0) {
    return InvalidArgumentError("bad frame magic 0x" + Hex(prefix.substr(0, 4)) +
                                " (expected \"PFL1\"): not a PANCAIM-FL peer, or out of step");
  }
  FramePrefix decoded;
  decoded.header_bytes = static_cast<std::uint32_t>(ReadLittleEndian(prefix, 4, 4));
  decoded.payload_bytes = ReadLittleEndian(prefix, 8, 8);
  PANCAIM_RETURN_IF_ERROR(CheckLengths(decoded, limits));
  return decoded;
}

std::uint64_t FrameBodyBytes(const FramePrefix& prefix) {
  return std::uint64_t{prefix.header_bytes} + prefix.payload_bytes;
}

StatusOr<FrameView> DecodeFrame(std::string_view frame, const FrameLimits& limits) {
  if (frame.size() < kFramePrefixBytes) {
    return DataLossError("truncated frame: " + std::to_string(frame.size()) +
                         " bytes, shorter than the " + std::to_string(kFramePrefixBytes) +
                         "-byte prefix");
  }
  PANCAIM_ASSIGN_OR_RETURN(FramePrefix prefix,
                           DecodeFramePrefix(frame.substr(0, kFramePrefixBytes), limits));
  const std::uint64_t body = frame.size() - kFramePrefixBytes;
  // Compared piecewise so that no sum can overflow even with caps near 2^64.
  if (prefix.header_bytes > body || prefix.payload_bytes > body - prefix.header_bytes) {
    return DataLossError("truncated frame: prefix announces " +
                         std::to_string(prefix.header_bytes) + " header + " +
                         std::to_string(prefix.payload_bytes) + " payload bytes, only " +
                         std::to_string(body) + " follow");
  }
  const std::uint64_t used = prefix.header_bytes + prefix.payload_bytes;
  if (used != body) {
    return InvalidArgumentError("frame has " + std::to_string(body - used) +
                                " trailing bytes after its payload");
  }
  FrameView view;
  view.header_json = frame.substr(kFramePrefixBytes, prefix.header_bytes);
  view.payload = frame.substr(kFramePrefixBytes + prefix.header_bytes);
  return view;
}

StatusOr<std::string> EncodeFramePrefix(const FramePrefix& prefix, const FrameLimits& limits) {
  PANCAIM_RETURN_IF_ERROR(CheckLengths(prefix, limits));
  std::string out(kFrameMagic, sizeof(kFrameMagic));
  AppendLittleEndian(out, prefix.header_bytes, 4);
  AppendLittleEndian(out, prefix.payload_bytes, 8);
  return out;
}

StatusOr<std::string> EncodeFrame(std::string_view header_json, std::string_view payload,
                                  const FrameLimits& limits) {
  if (header_json.size() > limits.max_header_bytes) {
    return ResourceExhaustedError("frame header of " + std::to_string(header_json.size()) +
                                  " bytes is over the cap of " +
                                  std::to_string(limits.max_header_bytes));
  }
  FramePrefix prefix{static_cast<std::uint32_t>(header_json.size()), payload.size()};
  PANCAIM_ASSIGN_OR_RETURN(std::string out, EncodeFramePrefix(prefix, limits));
  out.reserve(kFramePrefixBytes + header_json.size() + payload.size());
  out.append(header_json);
  out.append(payload);
  return out;
}

}  // namespace pancaim::protocol
