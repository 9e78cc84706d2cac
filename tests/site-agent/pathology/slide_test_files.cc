#include "slide_test_files.h"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <vector>

#include <gtest/gtest.h>

namespace pancaim::pathology::testfiles {
namespace {

std::filesystem::path Create(const std::string& name, const testing::SyntheticSlideOptions& options) {
  const std::filesystem::path path = TempDir() / name;
  const Status status = testing::WriteSyntheticSlide(path, options);
  EXPECT_TRUE(status.ok()) << status;
  return path;
}

std::vector<char> Bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<char>(std::istreambuf_iterator<char>(in), {});
}

void Write(const std::filesystem::path& path, const std::vector<char>& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

}  // namespace

const std::filesystem::path& TempDir() {
  static const std::filesystem::path dir = [] {
    std::filesystem::path d = std::filesystem::temp_directory_path() /
                              ("pancaim-pathology-test-" + std::to_string(::getpid()));
    std::filesystem::create_directories(d);
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(TempDir(), ec);
    });
    return d;
  }();
  return dir;
}

testing::SyntheticSlideOptions GoodSlideOptions() {
  testing::SyntheticSlideOptions options;
  options.width = 2048;
  options.height = 1536;
  options.levels = 3;
  options.mpp = 0.25;
  options.seed = 7;
  return options;
}

const std::filesystem::path& GoodSlide() {
  static const std::filesystem::path path = Create("good.tiff", GoodSlideOptions());
  return path;
}

const std::filesystem::path& NoResolutionSlide() {
  static const std::filesystem::path path = [] {
    auto options = GoodSlideOptions();
    options.mpp = 0;
    options.width = 1024;
    options.height = 768;
    return Create("no-resolution.tiff", options);
  }();
  return path;
}

const std::filesystem::path& BlankSlide() {
  static const std::filesystem::path path = [] {
    auto options = GoodSlideOptions();
    options.tissue_blobs = 0;
    options.width = 1024;
    options.height = 768;
    return Create("blank.tiff", options);
  }();
  return path;
}

std::filesystem::path TruncatedCopy(double fraction) {
  const std::vector<char> bytes = Bytes(GoodSlide());
  const auto keep = static_cast<std::size_t>(bytes.size() * fraction);
  const std::filesystem::path path =
      TempDir() / ("truncated-" + std::to_string(static_cast<int>(fraction * 1000)) + ".tiff");
  Write(path, std::vector<char>(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(keep)));
  return path;
}

const std::filesystem::path& CorruptTileSlide() {
  static const std::filesystem::path path = [] {
    std::vector<char> bytes = Bytes(GoodSlide());
    // Level 0's tiles are written first, right after the 8-byte header: overwrite most of them.
    for (std::size_t i = 16; i < bytes.size() / 2; ++i) bytes[i] = static_cast<char>((i * 7) & 0xff);
    const std::filesystem::path p = TempDir() / "corrupt-tiles.tiff";
    Write(p, bytes);
    return p;
  }();
  return path;
}

const std::filesystem::path& NotASlide() {
  static const std::filesystem::path path = [] {
    const std::filesystem::path p = TempDir() / "notes.svs";
    std::ofstream(p) << "this is a text file, not a slide\n";
    return p;
  }();
  return path;
}

}  // namespace pancaim::pathology::testfiles
