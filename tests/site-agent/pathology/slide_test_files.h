// Slides written once per test binary into a private temporary folder: a good pyramidal TIFF,
// one without resolution tags, a blank one, truncated and corrupted copies, and a non-slide file.
#pragma once

#include <filesystem>
#include <string>

#include "pancaim/pathology/testing/synthetic_slide.h"

namespace pancaim::pathology::testfiles {

// Options of the good slide (2048x1536, 3 levels, 0.25 um/px).
testing::SyntheticSlideOptions GoodSlideOptions();

// Paths, created on first use (thread-unsafe; GoogleTest runs tests serially). The folder is
// removed at process exit.
const std::filesystem::path& GoodSlide();
const std::filesystem::path& NoResolutionSlide();
const std::filesystem::path& BlankSlide();
// The first `fraction` of GoodSlide's bytes.
std::filesystem::path TruncatedCopy(double fraction);
// GoodSlide with its level-0 tile data overwritten by garbage (structure intact).
const std::filesystem::path& CorruptTileSlide();
// A text file with a .svs name.
const std::filesystem::path& NotASlide();
const std::filesystem::path& TempDir();

}  // namespace pancaim::pathology::testfiles
