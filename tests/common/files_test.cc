#include "pancaim/common/files.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

namespace pancaim {
namespace {

class FilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("pancaim_files_test_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_F(FilesTest, AtomicWriteThenRead) {
  auto path = dir_ / "model.safetensors";
  ASSERT_TRUE(WriteFileAtomic(path, std::string("first\0bytes", 11)).ok());
  ASSERT_TRUE(WriteFileAtomic(path, "second").ok());
  auto read = ReadFile(path);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(*read, "second");
  // No temporary files are left behind.
  int entries = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir_)) ++entries;
  EXPECT_EQ(entries, 1);
}

TEST_F(FilesTest, MissingFileIsNotFoundAndNamesPath) {
  auto read = ReadFile(dir_ / "absent.json");
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.status().code(), StatusCode::kNotFound);
  EXPECT_NE(read.status().message().find("absent.json"), std::string::npos);
}

TEST_F(FilesTest, SizeCapCheckedBeforeReading) {
  auto path = dir_ / "big.bin";
  std::ofstream(path) << std::string(1000, 'x');
  auto read = ReadFile(path, /*max_bytes=*/999);
  EXPECT_EQ(read.status().code(), StatusCode::kResourceExhausted);
}

TEST_F(FilesTest, DirectoryIsRefused) {
  EXPECT_EQ(ReadFile(dir_).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(FilesTest, FailedWriteLeavesPreviousFileIntact) {
  auto path = dir_ / "state.json";
  ASSERT_TRUE(WriteFileAtomic(path, "previous").ok());
  // A destination folder that does not exist makes the temporary file fail to open.
  EXPECT_FALSE(WriteFileAtomic(dir_ / "missing" / "state.json", "new").ok());
  EXPECT_EQ(*ReadFile(path), "previous");
}

}  // namespace
}  // namespace pancaim
