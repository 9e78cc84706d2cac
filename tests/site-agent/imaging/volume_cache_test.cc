// Tests of volume_cache.h, case_loader.h and content_hash.h: a second load of the same case comes
// from disk, and any change to the inputs or settings recomputes.
#include "pancaim/imaging/volume_cache.h"

#include <gtest/gtest.h>

#include <fstream>

#include "pancaim/imaging/content_hash.h"
#include "test_volumes.h"

namespace pancaim::imaging {
namespace {

using testing::MakeCubeMask;
using testing::MakePhantom;
using testing::Src;
using testing::TempDir;

class VolumeCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const Volume image = MakePhantom({24, 24, 12}, {1, 1, 2}, {8, 8, 4});
    ASSERT_TRUE(WriteVolume(image, dir_.path() / "ct.nii.gz").ok());
    ASSERT_TRUE(WriteVolume(MakeCubeMask(image, {8, 8, 4}), dir_.path() / "mask.nii.gz").ok());
    source_.image = Src(dir_.path() / "ct.nii.gz");
    source_.mask = Src(dir_.path() / "mask.nii.gz");
    options_.size = {16, 16, 8};
  }

  TempDir dir_;
  CaseSource source_;
  PreprocessOptions options_;
};

TEST_F(VolumeCacheTest, SecondLoadHitsAndMatches) {
  VolumeCache cache(dir_.path() / "cache");
  StatusOr<LoadedCase> first = cache.Load(source_, options_);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_FALSE(first->from_cache);
  StatusOr<LoadedCase> second = cache.Load(source_, options_);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_TRUE(second->from_cache);
  EXPECT_EQ(cache.hits(), 1);
  EXPECT_EQ(cache.misses(), 1);
  EXPECT_EQ(first->data.image.voxels, second->data.image.voxels);
  EXPECT_EQ(first->data.mask->voxels, second->data.mask->voxels);
  EXPECT_EQ(second->image_geometry.size, (std::array<std::int64_t, 3>{24, 24, 12}));
  EXPECT_TRUE(second->data.centred_on_mask);
  EXPECT_EQ(second->files_read.size(), 2u);
}

TEST_F(VolumeCacheTest, ChangedSettingsOrContentRecompute) {
  VolumeCache cache(dir_.path() / "cache");
  const std::string key = cache.Key(source_, options_).value();
  PreprocessOptions other = options_;
  other.window_min = -150;
  EXPECT_NE(cache.Key(source_, other).value(), key);
  // Same bytes under another name: same key (content, not path).
  std::filesystem::copy_file(dir_.path() / "ct.nii.gz", dir_.path() / "copy.nii.gz");
  CaseSource copy = source_;
  copy.image = Src(dir_.path() / "copy.nii.gz");
  EXPECT_EQ(cache.Key(copy, options_).value(), key);
  ASSERT_TRUE(WriteVolume(MakePhantom({24, 24, 12}, {1, 1, 2}, {2, 2, 2}),
                          dir_.path() / "ct.nii.gz").ok());
  EXPECT_NE(cache.Key(source_, options_).value(), key);
}

TEST_F(VolumeCacheTest, CorruptEntryIsRecomputed) {
  VolumeCache cache(dir_.path() / "cache");
  ASSERT_TRUE(cache.Load(source_, options_).ok());
  const auto entry = cache.folder() / (cache.Key(source_, options_).value() + ".pcv");
  ASSERT_TRUE(std::filesystem::exists(entry));
  std::filesystem::resize_file(entry, std::filesystem::file_size(entry) - 10);
  StatusOr<LoadedCase> again = cache.Load(source_, options_);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->from_cache);
  EXPECT_EQ(cache.misses(), 2);
}

TEST_F(VolumeCacheTest, MissingMaskNamesTheFile) {
  VolumeCache cache(dir_.path() / "cache");
  source_.mask = Src(dir_.path() / "no_mask.nii.gz");
  StatusOr<LoadedCase> loaded = LoadCase(source_, options_);
  EXPECT_EQ(loaded.status().code(), StatusCode::kNotFound);
  EXPECT_NE(loaded.status().message().find("no_mask.nii.gz"), std::string::npos);
  EXPECT_FALSE(cache.Load(source_, options_).ok());
}

TEST(ContentHash, FilesAndFolders) {
  TempDir dir;
  std::ofstream(dir.path() / "a") << "abc";
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const std::string file_hash = HashPathContent(dir.path() / "a").value();
  EXPECT_EQ(file_hash.size(), 64u);
  const std::string folder_hash = HashPathContent(dir.path()).value();
  std::ofstream(dir.path() / "b") << "";
  EXPECT_NE(HashPathContent(dir.path()).value(), folder_hash);
  EXPECT_EQ(HashPathContent(dir.path() / "zzz").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(HashPathContent(dir.path(), /*max_files=*/1).status().code(),
            StatusCode::kResourceExhausted);
}

}  // namespace
}  // namespace pancaim::imaging
