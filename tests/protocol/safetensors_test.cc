#include "pancaim/protocol/safetensors.h"

#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "pancaim/common/files.h"

namespace pancaim::protocol {
namespace {

using ::testing::HasSubstr;

// Bytes of a safetensors buffer whose header is exactly `header` (no padding added).
std::string Build(std::string_view header, std::string_view data) {
  std::string out;
  const std::uint64_t length = header.size();
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((length >> (8 * i)) & 0xff));
  out += header;
  out += data;
  return out;
}

std::string LengthPrefix(std::uint64_t length) {
  std::string out;
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((length >> (8 * i)) & 0xff));
  return out;
}

std::string Pattern(std::size_t bytes, unsigned seed) {
  std::string out(bytes, '\0');
  for (std::size_t i = 0; i < bytes; ++i) out[i] = static_cast<char>((i * 131 + seed * 7) & 0xff);
  return out;
}

TEST(SafetensorsDType, NamesAndSizesRoundTrip) {
  for (DType dtype : {DType::kF64, DType::kF32, DType::kF16, DType::kBF16, DType::kI64,
                      DType::kI32, DType::kI16, DType::kI8, DType::kU8, DType::kBool}) {
    auto parsed = ParseDType(DTypeName(dtype));
    ASSERT_TRUE(parsed.ok()) << DTypeName(dtype);
    EXPECT_EQ(*parsed, dtype);
  }
  EXPECT_EQ(DTypeSize(DType::kF64), 8u);
  EXPECT_EQ(DTypeSize(DType::kBF16), 2u);
  EXPECT_EQ(DTypeSize(DType::kBool), 1u);
  EXPECT_FALSE(ParseDType("F8_E4M3").ok());
}

TEST(SafetensorsCodec, RoundTripsEveryDType) {
  std::vector<std::string> storage;
  std::vector<TensorView> tensors;
  unsigned seed = 1;
  for (DType dtype : {DType::kF64, DType::kF32, DType::kF16, DType::kBF16, DType::kI64,
                      DType::kI32, DType::kI16, DType::kI8, DType::kU8, DType::kBool}) {
    storage.push_back(Pattern(2 * 3 * DTypeSize(dtype), seed++));
  }
  seed = 0;
  for (DType dtype : {DType::kF64, DType::kF32, DType::kF16, DType::kBF16, DType::kI64,
                      DType::kI32, DType::kI16, DType::kI8, DType::kU8, DType::kBool}) {
    tensors.push_back({"t_" + std::string(DTypeName(dtype)), dtype, {2, 3}, storage[seed++]});
  }
  auto bytes = SerializeSafetensors(tensors);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  auto view = SafetensorsView::Parse(*bytes);
  ASSERT_TRUE(view.ok()) << view.status();
  ASSERT_EQ(view->tensors().size(), tensors.size());
  for (const TensorView& expected : tensors) {
    const TensorView* got = view->Find(expected.name);
    ASSERT_NE(got, nullptr) << expected.name;
    EXPECT_EQ(got->dtype, expected.dtype);
    EXPECT_EQ(got->shape, expected.shape);
    EXPECT_EQ(got->data, expected.data) << expected.name;
    EXPECT_EQ(got->NumElements(), 6);
  }
  EXPECT_EQ(view->Find("absent"), nullptr);
}

TEST(SafetensorsCodec, EmptyTensorsAndScalars) {
  std::string scalar = Pattern(8, 3);
  std::vector<TensorView> tensors = {
      {"empty", DType::kF32, {3, 0, 2}, ""},
      {"scalar", DType::kF64, {}, scalar},
      {"also_empty", DType::kI8, {0}, ""},
  };
  auto bytes = SerializeSafetensors(tensors);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  auto view = SafetensorsView::Parse(*bytes);
  ASSERT_TRUE(view.ok()) << view.status();
  const TensorView* empty = view->Find("empty");
  ASSERT_NE(empty, nullptr);
  EXPECT_EQ(empty->shape, (std::vector<std::int64_t>{3, 0, 2}));
  EXPECT_EQ(empty->NumElements(), 0);
  EXPECT_TRUE(empty->data.empty());
  const TensorView* scalar_view = view->Find("scalar");
  ASSERT_NE(scalar_view, nullptr);
  EXPECT_TRUE(scalar_view->shape.empty());
  EXPECT_EQ(scalar_view->NumElements(), 1);
  EXPECT_EQ(scalar_view->data, scalar);
  EXPECT_NE(view->Find("also_empty"), nullptr);
}

TEST(SafetensorsCodec, LargeTensorIsViewedNotCopied) {
  const std::size_t bytes = std::size_t{64} << 20;  // 64 MiB
  std::string data = Pattern(bytes, 9);
  auto buffer = SerializeSafetensors({{"big", DType::kF32, {16, 1 << 20}, data}});
  ASSERT_TRUE(buffer.ok()) << buffer.status();
  auto view = SafetensorsView::Parse(*buffer);
  ASSERT_TRUE(view.ok()) << view.status();
  const TensorView& big = view->tensors().at(0);
  ASSERT_EQ(big.data.size(), bytes);
  // The view points into the buffer: parsing copied nothing.
  EXPECT_GE(big.data.data(), buffer->data());
  EXPECT_LE(big.data.data() + big.data.size(), buffer->data() + buffer->size());
  EXPECT_EQ(std::memcmp(big.data.data(), data.data(), bytes), 0);
}

TEST(SafetensorsCodec, MetadataCarriedThrough) {
  std::string data = Pattern(4, 1);
  std::map<std::string, std::string> metadata = {{"format", "pt"}, {"round", "7"}, {"note", "a\"b"}};
  auto bytes = SerializeSafetensors({{"w", DType::kF32, {1}, data}}, metadata);
  ASSERT_TRUE(bytes.ok());
  auto view = SafetensorsView::Parse(*bytes);
  ASSERT_TRUE(view.ok()) << view.status();
  EXPECT_EQ(view->metadata(), metadata);
}

TEST(SafetensorsCodec, DataSectionIsAligned) {
  std::string a = Pattern(3, 1), b = Pattern(8, 2);
  auto bytes = SerializeSafetensors({{"odd_name_x", DType::kU8, {3}, a}, {"b", DType::kF64, {1}, b}});
  ASSERT_TRUE(bytes.ok());
  std::uint64_t header = 0;
  std::memcpy(&header, bytes->data(), 8);
  EXPECT_EQ((8 + header) % 8, 0u);
  EXPECT_EQ(bytes->size(), 8 + header + 11);
}

TEST(SafetensorsCodec, SerializeRefusesBadInput) {
  std::string four = Pattern(4, 1);
  auto duplicate = SerializeSafetensors({{"w", DType::kF32, {1}, four}, {"w", DType::kF32, {1}, four}});
  ASSERT_FALSE(duplicate.ok());
  EXPECT_THAT(duplicate.status().message(), HasSubstr("duplicate tensor name 'w'"));
  auto reserved = SerializeSafetensors({{"__metadata__", DType::kF32, {1}, four}});
  EXPECT_FALSE(reserved.ok());
  auto mismatch = SerializeSafetensors({{"w", DType::kF32, {2}, four}});
  ASSERT_FALSE(mismatch.ok());
  EXPECT_THAT(mismatch.status().message(), HasSubstr("'w'"));
  auto negative = SerializeSafetensors({{"w", DType::kF32, {-1}, ""}});
  EXPECT_FALSE(negative.ok());
}

// ---- golden file, built byte by byte from the specification -----------------------------------

// Header (JSON, then spaces to a multiple of 8 including the 8-byte prefix):
//   "a": F32 [2] = {1.0, -2.5}   bytes 0..8
//   "b": I16 [] (scalar) = -2     bytes 8..10
//   "c": BOOL [3] = {1,0,1}       bytes 10..13
//   "d": BF16 [1] = 1.0           bytes 13..15
std::string GoldenBytes() {
  std::string header =
      R"({"__metadata__":{"format":"pt","origin":"spec"},)"
      R"("a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
      R"("b":{"dtype":"I16","shape":[],"data_offsets":[8,10]},)"
      R"("c":{"dtype":"BOOL","shape":[3],"data_offsets":[10,13]},)"
      R"("d":{"dtype":"BF16","shape":[1],"data_offsets":[13,15]}})";
  header.append((8 - header.size() % 8) % 8, ' ');
  const unsigned char data[] = {
      0x00, 0x00, 0x80, 0x3f,  // 1.0f little-endian
      0x00, 0x00, 0x20, 0xc0,  // -2.5f
      0xfe, 0xff,              // int16 -2
      0x01, 0x00, 0x01,        // true, false, true
      0x80, 0x3f,              // bfloat16 1.0 (upper half of 0x3f800000)
  };
  return Build(header, std::string_view(reinterpret_cast<const char*>(data), sizeof(data)));
}

TEST(SafetensorsGolden, CommittedFileMatchesSpecificationAndParses) {
  const std::filesystem::path path =
      std::filesystem::path(PANCAIM_SOURCE_DIR) / "tests/protocol/data/golden.safetensors";
  const std::string expected = GoldenBytes();
  if (std::getenv("PANCAIM_REGENERATE_GOLDEN")) {
    ASSERT_TRUE(WriteFileAtomic(path, expected).ok());
  }
  auto committed = ReadFile(path);
  ASSERT_TRUE(committed.ok()) << committed.status();
  EXPECT_EQ(*committed, expected) << "golden file differs from the bytes the specification gives";

  auto view = SafetensorsView::Parse(*committed);
  ASSERT_TRUE(view.ok()) << view.status();
  EXPECT_EQ(view->metadata().at("format"), "pt");
  EXPECT_EQ(view->metadata().at("origin"), "spec");
  ASSERT_EQ(view->tensors().size(), 4u);
  EXPECT_EQ(view->tensors()[0].name, "a");  // in data order
  float a[2];
  std::memcpy(a, view->Find("a")->data.data(), 8);
  EXPECT_EQ(a[0], 1.0f);
  EXPECT_EQ(a[1], -2.5f);
  std::int16_t b;
  std::memcpy(&b, view->Find("b")->data.data(), 2);
  EXPECT_EQ(b, -2);
  EXPECT_TRUE(view->Find("b")->shape.empty());
  EXPECT_EQ(view->Find("c")->data, std::string("\x01\x00\x01", 3));
  EXPECT_EQ(view->Find("d")->dtype, DType::kBF16);
  EXPECT_EQ(view->Find("d")->data, std::string("\x80\x3f", 2));
}

// ---- malformed corpus: each gives its specific error --------------------------------------------

struct Malformed {
  std::string name;
  std::string bytes;
  StatusCode code;
  std::string message;
};

std::vector<Malformed> MalformedCorpus() {
  const std::string f32x2(8, '\0');
  return {
      {"truncated_prefix", std::string("\x10\x00\x00", 3), StatusCode::kDataLoss,
       "header length prefix alone needs 8"},
      {"truncated_header", Build(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", f32x2)
                               .substr(0, 30),
       StatusCode::kDataLoss, "past the end of the buffer"},
      {"truncated_data", Build(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", "1234"),
       StatusCode::kDataLoss, "tensor 'a': data_offsets end 8 is past the end of the data section"},
      {"header_length_past_end", LengthPrefix(100) + "{}", StatusCode::kDataLoss,
       "header length 100 is past the end"},
      {"four_gib_length_prefix", LengthPrefix(std::uint64_t{1} << 32) + "{}",
       StatusCode::kResourceExhausted, "header length 4294967296 is over the limit"},
      {"max_length_prefix", LengthPrefix(std::numeric_limits<std::uint64_t>::max()) + "{}",
       StatusCode::kResourceExhausted, "over the limit"},
      {"overlapping_offsets",
       Build(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
             R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
             std::string(12, '\0')),
       StatusCode::kInvalidArgument, "tensor 'b': data_offsets [4, 12) overlap tensor 'a'"},
      {"gap_between_tensors",
       Build(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
             R"("b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}})",
             std::string(12, '\0')),
       StatusCode::kInvalidArgument, "tensor 'b': gap of 4 bytes"},
      {"gap_at_start", Build(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", f32x2),
       StatusCode::kInvalidArgument, "gap of 4 bytes before its data_offsets begin 4 (at the start)"},
      {"trailing_data", Build(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", f32x2),
       StatusCode::kInvalidArgument, "4 bytes after the last tensor"},
      {"offsets_past_end",
       Build(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[100,108]}})", f32x2),
       StatusCode::kDataLoss, "data_offsets end 108 is past the end of the data section (8 bytes)"},
      {"offsets_reversed", Build(R"({"a":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}})", ""),
       StatusCode::kInvalidArgument, "data_offsets end 0 is before begin 8"},
      {"byte_count_mismatch",
       Build(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", f32x2),
       StatusCode::kInvalidArgument, "data_offsets span 8 bytes but dtype F32 and shape need 12"},
      {"shape_overflow_int64",
       Build(R"({"a":{"dtype":"U8","shape":[4294967296,4294967296],"data_offsets":[0,8]}})", f32x2),
       StatusCode::kInvalidArgument, "tensor 'a': shape overflows"},
      {"shape_overflow_bytes",
       Build(R"({"a":{"dtype":"F64","shape":[2305843009213693952],"data_offsets":[0,8]}})", f32x2),
       StatusCode::kInvalidArgument, "tensor 'a': shape overflows: its byte count"},
      {"shape_entry_over_int64",
       Build(R"({"a":{"dtype":"U8","shape":[18446744073709551615],"data_offsets":[0,8]}})", f32x2),
       StatusCode::kInvalidArgument, "shape[0] overflows int64"},
      {"negative_shape", Build(R"({"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", f32x2),
       StatusCode::kInvalidArgument, "tensor 'a': shape[0] is negative (-2)"},
      {"float_shape", Build(R"({"a":{"dtype":"F32","shape":[2.0],"data_offsets":[0,8]}})", f32x2),
       StatusCode::kInvalidArgument, "shape[0] is not an integer"},
      {"bad_json", Build(R"({"a":{"dtype":"F32",)", f32x2), StatusCode::kInvalidArgument,
       "safetensors header: invalid JSON"},
      {"empty_header", Build("", ""), StatusCode::kInvalidArgument, "invalid JSON"},
      {"unknown_dtype", Build(R"({"a":{"dtype":"F8_E5M2","shape":[8],"data_offsets":[0,8]}})", f32x2),
       StatusCode::kInvalidArgument, "tensor 'a': dtype 'F8_E5M2' is not supported"},
      {"dtype_not_string", Build(R"({"a":{"dtype":4,"shape":[2],"data_offsets":[0,8]}})", f32x2),
       StatusCode::kInvalidArgument, "tensor 'a': 'dtype' is not a string"},
      {"duplicate_names",
       Build(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
             R"("a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
             f32x2),
       StatusCode::kInvalidArgument, "duplicate key 'a'"},
      {"header_not_object", Build("[1,2,3]", ""), StatusCode::kInvalidArgument,
       "header is not a JSON object"},
      {"entry_not_object", Build(R"({"a":[0,8]})", f32x2), StatusCode::kInvalidArgument,
       "tensor 'a': entry is not a JSON object"},
      {"offsets_wrong_arity",
       Build(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4,8]}})", f32x2),
       StatusCode::kInvalidArgument, "'data_offsets' must be an array of exactly 2"},
      {"offsets_negative", Build(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[-8,0]}})", f32x2),
       StatusCode::kInvalidArgument, "data_offsets[0] is not a non-negative integer"},
      {"missing_shape", Build(R"({"a":{"dtype":"F32","data_offsets":[0,8]}})", f32x2),
       StatusCode::kInvalidArgument, "tensor 'a': missing 'shape'"},
      {"unknown_entry_key",
       Build(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"x":1}})", f32x2),
       StatusCode::kInvalidArgument, "tensor 'a': unknown key 'x'"},
      {"metadata_not_strings", Build(R"({"__metadata__":{"k":1}})", ""),
       StatusCode::kInvalidArgument, "'__metadata__.k' is not a string"},
      {"deep_nesting", Build(std::string(100, '[') + std::string(100, ']'), ""),
       StatusCode::kInvalidArgument, "nesting deeper than"},
  };
}

TEST(SafetensorsMalformed, EachInputGivesItsSpecificError) {
  for (const Malformed& input : MalformedCorpus()) {
    SCOPED_TRACE(input.name);
    auto view = SafetensorsView::Parse(input.bytes);
    ASSERT_FALSE(view.ok());
    EXPECT_EQ(view.status().code(), input.code) << view.status();
    EXPECT_THAT(view.status().message(), HasSubstr(input.message));
  }
}

TEST(SafetensorsMalformed, FourGibPrefixWithRaisedCapIsPastEnd) {
  SafetensorsLimits limits;
  limits.max_header_bytes = std::uint64_t{8} << 30;
  auto view = SafetensorsView::Parse(LengthPrefix(std::uint64_t{1} << 32) + "{}", limits);
  ASSERT_FALSE(view.ok());
  EXPECT_EQ(view.status().code(), StatusCode::kDataLoss);
}

TEST(SafetensorsMalformed, LimitsOnTensorsAndRank) {
  SafetensorsLimits limits;
  limits.max_tensors = 1;
  std::string four(4, '\0');
  auto two = SerializeSafetensors({{"a", DType::kF32, {1}, four}, {"b", DType::kF32, {1}, four}});
  ASSERT_TRUE(two.ok());
  auto many = SafetensorsView::Parse(*two, limits);
  ASSERT_FALSE(many.ok());
  EXPECT_EQ(many.status().code(), StatusCode::kResourceExhausted);
  limits = {};
  limits.max_rank = 2;
  auto deep = SerializeSafetensors({{"a", DType::kF32, {1, 1, 1}, four}});
  ASSERT_TRUE(deep.ok());
  auto rank = SafetensorsView::Parse(*deep, limits);
  ASSERT_FALSE(rank.ok());
  EXPECT_THAT(rank.status().message(), HasSubstr("rank 3"));
}

// Every prefix of a valid buffer is refused cleanly (no crash, no out-of-bounds read under ASan).
TEST(SafetensorsMalformed, EveryTruncationIsRefused) {
  std::string data = Pattern(24, 5);
  auto bytes = SerializeSafetensors({{"a", DType::kF32, {2, 3}, data}}, {{"k", "v"}});
  ASSERT_TRUE(bytes.ok());
  for (std::size_t size = 0; size < bytes->size(); ++size) {
    std::string prefix = bytes->substr(0, size);  // own allocation so ASan sees its end
    EXPECT_FALSE(SafetensorsView::Parse(prefix).ok()) << size;
  }
}

}  // namespace
}  // namespace pancaim::protocol
