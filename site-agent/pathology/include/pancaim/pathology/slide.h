// Slide: one whole-slide image opened through OpenSlide (any format it reads: Aperio SVS,
// Hamamatsu, Leica, MIRAX, Philips, Sakura, Trestle, Ventana, generic tiled TIFF).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pancaim/common/status.h"
#include "pancaim/pathology/rgb_image.h"

namespace pancaim::pathology {

// One pyramid level: its size in pixels and how many level-0 pixels one of its pixels spans.
struct SlideLevel {
  std::int64_t width = 0;
  std::int64_t height = 0;
  double downsample = 1.0;
};

// Largest region one ReadRegion call may decode (pixels), so a bad request cannot exhaust memory.
inline constexpr std::int64_t kMaxRegionPixels = std::int64_t{64} << 20;

// Owns an OpenSlide handle (closed on destruction). Move-only.
// Thread-safety: all const methods may be called concurrently (OpenSlide's reads are thread-safe).
// OpenSlide errors are sticky: after a failed read every later read fails too, with the same message.
class Slide {
 public:
  // Opens `path`. Errors: NOT_FOUND when the file does not exist; INVALID_ARGUMENT when OpenSlide
  // does not recognise the format; DATA_LOSS when it recognises it but cannot read it (truncated or
  // corrupt file); INVALID_ARGUMENT when the slide has no levels or a zero-sized level 0.
  // Every message names the file.
  static StatusOr<std::unique_ptr<Slide>> Open(const std::filesystem::path& path);

  ~Slide();
  Slide(Slide&&) noexcept;
  Slide& operator=(Slide&&) noexcept;
  Slide(const Slide&) = delete;
  Slide& operator=(const Slide&) = delete;

  const std::filesystem::path& path() const { return path_; }
  // OpenSlide's vendor name ("aperio", "generic-tiff", ...).
  const std::string& vendor() const { return vendor_; }
  // Levels from finest (0) to coarsest; never empty.
  const std::vector<SlideLevel>& levels() const { return levels_; }

  // A slide property ("openslide.mpp-x", "tiff.XResolution", ...), or nullopt when absent.
  std::optional<std::string> Property(std::string_view name) const;
  std::vector<std::string> PropertyNames() const;

  // Reads `width` x `height` pixels of `level`, whose top-left corner is (`x`, `y`) in level-0
  // coordinates. Transparent pixels (outside the scanned area) come back white, the colour of
  // empty glass. `level` must be a valid index and sizes > 0 (checked).
  // Errors: RESOURCE_EXHAUSTED above kMaxRegionPixels; DATA_LOSS when OpenSlide fails to decode
  // (truncated tile data, corrupt JPEG), naming the file and the region.
  StatusOr<RgbImage> ReadRegion(int level, std::int64_t x, std::int64_t y, int width,
                                int height) const;

 private:
  struct Handle;
  Slide(std::filesystem::path path, std::unique_ptr<Handle> handle);

  std::filesystem::path path_;
  std::unique_ptr<Handle> handle_;
  std::string vendor_;
  std::vector<SlideLevel> levels_;
};

}  // namespace pancaim::pathology
