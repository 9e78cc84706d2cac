#include "pancaim/protocol/frame.h"

#include <limits>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace pancaim::protocol {
namespace {

using ::testing::HasSubstr;

std::string Prefix(std::string_view magic, std::uint32_t header, std::uint64_t payload) {
  std::string out(magic);
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((header >> (8 * i)) & 0xff));
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((payload >> (8 * i)) & 0xff));
  return out;
}

TEST(Frame, RoundTripWithAndWithoutPayload) {
  const FrameLimits limits;
  for (std::string payload : {std::string(), std::string("\x00\x01\x02 payload", 12)}) {
    auto frame = EncodeFrame(R"({"type":"bye"})", payload, limits);
    ASSERT_TRUE(frame.ok()) << frame.status();
    EXPECT_EQ(frame->size(), kFramePrefixBytes + 14 + payload.size());
    EXPECT_EQ(frame->substr(0, 4), "PFL1");
    auto view = DecodeFrame(*frame, limits);
    ASSERT_TRUE(view.ok()) << view.status();
    EXPECT_EQ(view->header_json, R"({"type":"bye"})");
    EXPECT_EQ(view->payload, payload);
    // Views point into the frame: nothing copied.
    EXPECT_EQ(view->header_json.data(), frame->data() + kFramePrefixBytes);
    auto prefix = DecodeFramePrefix(std::string_view(*frame).substr(0, kFramePrefixBytes), limits);
    ASSERT_TRUE(prefix.ok());
    EXPECT_EQ(prefix->header_bytes, 14u);
    EXPECT_EQ(prefix->payload_bytes, payload.size());
    EXPECT_EQ(FrameBodyBytes(*prefix), 14u + payload.size());
  }
}

TEST(Frame, PrefixEncodingMatchesFrame) {
  const FrameLimits limits;
  auto frame = EncodeFrame("{}", "abc", limits);
  auto prefix = EncodeFramePrefix({2, 3}, limits);
  ASSERT_TRUE(frame.ok() && prefix.ok());
  EXPECT_EQ(*prefix, frame->substr(0, kFramePrefixBytes));
  EXPECT_EQ(*prefix, Prefix("PFL1", 2, 3));
}

TEST(Frame, BadMagic) {
  auto prefix = DecodeFramePrefix(Prefix("HTTP", 2, 0), FrameLimits{});
  ASSERT_FALSE(prefix.ok());
  EXPECT_EQ(prefix.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(prefix.status().message(), HasSubstr("bad frame magic 0x48545450"));
  EXPECT_FALSE(DecodeFrame(Prefix("PFL2", 2, 0) + "{}", FrameLimits{}).ok());
}

TEST(Frame, HeaderOverCap) {
  FrameLimits limits;
  limits.max_header_bytes = 16;
  auto prefix = DecodeFramePrefix(Prefix("PFL1", 17, 0), limits);
  ASSERT_FALSE(prefix.ok());
  EXPECT_EQ(prefix.status().code(), StatusCode::kResourceExhausted);
  EXPECT_THAT(prefix.status().message(), HasSubstr("frame header of 17 bytes is over the cap of 16"));
  auto encoded = EncodeFrame(std::string(17, ' '), "", limits);
  ASSERT_FALSE(encoded.ok());
  EXPECT_EQ(encoded.status().code(), StatusCode::kResourceExhausted);
}

// The cap is judged from the 16-byte prefix alone: the caller never holds (or allocates) the
// announced bytes.
TEST(Frame, PayloadOverCapCheckedFromPrefixAlone) {
  FrameLimits limits;
  limits.max_payload_bytes = 1000;
  auto prefix = DecodeFramePrefix(Prefix("PFL1", 2, 1001), limits);
  ASSERT_FALSE(prefix.ok());
  EXPECT_EQ(prefix.status().code(), StatusCode::kResourceExhausted);
  EXPECT_THAT(prefix.status().message(), HasSubstr("frame payload of 1001 bytes is over the cap of 1000"));
  EXPECT_TRUE(DecodeFramePrefix(Prefix("PFL1", 2, 1000), limits).ok());
  EXPECT_FALSE(EncodeFrame("{}", std::string(1001, 'x'), limits).ok());
}

TEST(Frame, FourGibLengthPrefixes) {
  const FrameLimits limits;
  auto header = DecodeFramePrefix(Prefix("PFL1", std::numeric_limits<std::uint32_t>::max(), 0), limits);
  ASSERT_FALSE(header.ok());
  EXPECT_EQ(header.status().code(), StatusCode::kResourceExhausted);
  auto payload = DecodeFramePrefix(Prefix("PFL1", 2, std::uint64_t{4} << 30), limits);
  ASSERT_FALSE(payload.ok());
  EXPECT_THAT(payload.status().message(), HasSubstr("4294967296"));
  auto huge = DecodeFrame(Prefix("PFL1", 2, std::numeric_limits<std::uint64_t>::max()) + "{}", limits);
  EXPECT_EQ(huge.status().code(), StatusCode::kResourceExhausted);
}

// Caps near 2^64 must not let a length sum overflow into "fits".
TEST(Frame, NoOverflowWithUnboundedCaps) {
  FrameLimits limits;
  limits.max_header_bytes = std::numeric_limits<std::uint32_t>::max();
  limits.max_payload_bytes = std::numeric_limits<std::uint64_t>::max();
  auto frame = DecodeFrame(Prefix("PFL1", 16, std::numeric_limits<std::uint64_t>::max() - 8) +
                               std::string(40, 'x'),
                           limits);
  ASSERT_FALSE(frame.ok());
  EXPECT_EQ(frame.status().code(), StatusCode::kDataLoss);
}

TEST(Frame, TruncatedFrame) {
  const FrameLimits limits;
  auto frame = EncodeFrame(R"({"type":"bye"})", "payload", limits);
  ASSERT_TRUE(frame.ok());
  for (std::size_t size = 0; size < frame->size(); ++size) {
    std::string truncated = frame->substr(0, size);
    auto view = DecodeFrame(truncated, limits);
    ASSERT_FALSE(view.ok()) << size;
    EXPECT_EQ(view.status().code(), StatusCode::kDataLoss) << size;
  }
  EXPECT_THAT(DecodeFrame(frame->substr(0, 20), limits).status().message(),
              HasSubstr("truncated frame: prefix announces 14 header + 7 payload bytes, only 4"));
  EXPECT_FALSE(DecodeFramePrefix("PFL1", limits).ok());
}

TEST(Frame, TrailingBytes) {
  auto frame = EncodeFrame("{}", "p", FrameLimits{});
  ASSERT_TRUE(frame.ok());
  auto view = DecodeFrame(*frame + "xyz", FrameLimits{});
  ASSERT_FALSE(view.ok());
  EXPECT_EQ(view.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(view.status().message(), HasSubstr("3 trailing bytes"));
}

TEST(Frame, EmptyHeaderRefused) {
  EXPECT_FALSE(DecodeFramePrefix(Prefix("PFL1", 0, 0), FrameLimits{}).ok());
  EXPECT_FALSE(EncodeFrame("", "", FrameLimits{}).ok());
}

}  // namespace
}  // namespace pancaim::protocol
