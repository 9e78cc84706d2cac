#include "pancaim/scenarios/tiff_pyramid_writer.h"

#include <tiffio.h>

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <memory>
#include <mutex>
#include <system_error>

#include "pancaim/common/check.h"

namespace pancaim::scenarios {
namespace {

struct TiffCloser {
  void operator()(TIFF* tiff) const {
    if (tiff != nullptr) TIFFClose(tiff);
  }
};
using TiffHandle = std::unique_ptr<TIFF, TiffCloser>;

// libtiff reports problems through process-wide handlers that print to stderr; silence them and
// rely on return codes (our errors name the file).
void SilenceLibtiffOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    TIFFSetWarningHandler(nullptr);
    TIFFSetErrorHandler(nullptr);
  });
}

Status WriteLevel(TIFF* tiff, const RgbImage& image, const PyramidTiffOptions& options,
                  int level, const std::string& where) {
  const int tile = options.tile_px;
  const double pixels_per_cm = 10000.0 / (options.mpp * (1 << level));
  bool ok = TIFFSetField(tiff, TIFFTAG_SUBFILETYPE, level == 0 ? 0 : FILETYPE_REDUCEDIMAGE) &&
            TIFFSetField(tiff, TIFFTAG_IMAGEWIDTH, static_cast<uint32_t>(image.width)) &&
            TIFFSetField(tiff, TIFFTAG_IMAGELENGTH, static_cast<uint32_t>(image.height)) &&
            TIFFSetField(tiff, TIFFTAG_TILEWIDTH, static_cast<uint32_t>(tile)) &&
            TIFFSetField(tiff, TIFFTAG_TILELENGTH, static_cast<uint32_t>(tile)) &&
            TIFFSetField(tiff, TIFFTAG_BITSPERSAMPLE, 8) &&
            TIFFSetField(tiff, TIFFTAG_SAMPLESPERPIXEL, 3) &&
            TIFFSetField(tiff, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG) &&
            TIFFSetField(tiff, TIFFTAG_COMPRESSION, COMPRESSION_JPEG) &&
            TIFFSetField(tiff, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_YCBCR) &&
            TIFFSetField(tiff, TIFFTAG_YCBCRSUBSAMPLING, 2, 2) &&
            TIFFSetField(tiff, TIFFTAG_JPEGQUALITY, options.jpeg_quality) &&
            TIFFSetField(tiff, TIFFTAG_JPEGCOLORMODE, JPEGCOLORMODE_RGB) &&
            TIFFSetField(tiff, TIFFTAG_XRESOLUTION, static_cast<float>(pixels_per_cm)) &&
            TIFFSetField(tiff, TIFFTAG_YRESOLUTION, static_cast<float>(pixels_per_cm)) &&
            TIFFSetField(tiff, TIFFTAG_RESOLUTIONUNIT, RESUNIT_CENTIMETER) &&
            TIFFSetField(tiff, TIFFTAG_SOFTWARE, "pancaim-sim");
  const std::string description = LevelZeroDescription(options, image.width, image.height);
  if (ok && level == 0 && !description.empty()) {
    ok = TIFFSetField(tiff, TIFFTAG_IMAGEDESCRIPTION, description.c_str());
  }
  if (!ok) return InternalError(where + ": libtiff refused the level " + std::to_string(level) + " tags");
  // Edge tiles are padded with white, the slide background.
  std::vector<std::uint8_t> buffer(static_cast<std::size_t>(tile) * tile * 3);
  for (int ty = 0; ty < image.height; ty += tile) {
    for (int tx = 0; tx < image.width; tx += tile) {
      std::fill(buffer.begin(), buffer.end(), std::uint8_t{255});
      const int rows = std::min(tile, image.height - ty), columns = std::min(tile, image.width - tx);
      for (int r = 0; r < rows; ++r) {
        const std::uint8_t* source =
            image.pixels.data() + (static_cast<std::size_t>(ty + r) * image.width + tx) * 3;
        std::copy(source, source + columns * 3, buffer.data() + static_cast<std::size_t>(r) * tile * 3);
      }
      ttile_t index = TIFFComputeTile(tiff, static_cast<uint32_t>(tx), static_cast<uint32_t>(ty), 0, 0);
      if (TIFFWriteEncodedTile(tiff, index, buffer.data(), static_cast<tmsize_t>(buffer.size())) < 0) {
        return InternalError(where + ": writing tile " + std::to_string(index) + " of level " +
                             std::to_string(level) + " failed (disk full?)");
      }
    }
  }
  if (!TIFFWriteDirectory(tiff)) {
    return InternalError(where + ": writing the directory of level " + std::to_string(level) +
                         " failed");
  }
  return Status::Ok();
}

}  // namespace

std::string LevelZeroDescription(const PyramidTiffOptions& options, int width, int height) {
  if (!options.aperio) return options.description;
  // Aperio header: a first line, then "|key = value" fields; OpenSlide turns them into aperio.*
  // properties and maps MPP and AppMag to openslide.mpp-x/y and objective-power.
  char header[256];
  std::snprintf(header, sizeof(header),
                "Aperio Image Format (synthetic, pancaim-sim)\r\n%dx%d [0,0 %dx%d] (%dx%d) "
                "JPEG/RGB Q=%d|AppMag = %g|MPP = %g",
                width, height, width, height, options.tile_px, options.tile_px,
                options.jpeg_quality, 10.0 / options.mpp, options.mpp);
  std::string text = header;
  if (!options.description.empty()) text += "|Description = " + options.description;
  return text;
}

RgbImage Downsample2x(const RgbImage& image) {
  RgbImage out{std::max(1, (image.width + 1) / 2), std::max(1, (image.height + 1) / 2), {}};
  out.pixels.resize(static_cast<std::size_t>(out.width) * out.height * 3);
  for (int y = 0; y < out.height; ++y) {
    const int y0 = std::min(2 * y, image.height - 1), y1 = std::min(2 * y + 1, image.height - 1);
    for (int x = 0; x < out.width; ++x) {
      const int x0 = std::min(2 * x, image.width - 1), x1 = std::min(2 * x + 1, image.width - 1);
      for (int c = 0; c < 3; ++c) {
        auto at = [&](int px, int py) {
          return image.pixels[(static_cast<std::size_t>(py) * image.width + px) * 3 + c];
        };
        int sum = at(x0, y0) + at(x1, y0) + at(x0, y1) + at(x1, y1);
        out.pixels[(static_cast<std::size_t>(y) * out.width + x) * 3 + c] =
            static_cast<std::uint8_t>((sum + 2) / 4);
      }
    }
  }
  return out;
}

Status WritePyramidTiff(const RgbImage& level0, const PyramidTiffOptions& options,
                        const std::filesystem::path& path) {
  PANCAIM_CHECK(options.tile_px >= 16 && options.tile_px % 16 == 0) << "tile " << options.tile_px;
  PANCAIM_CHECK(level0.width > 0 && level0.height > 0) << "empty slide image";
  SilenceLibtiffOnce();
  const std::string where = path.string();
  std::filesystem::path temporary = path;
  temporary += ".tmp";
  {
    TiffHandle tiff(TIFFOpen(temporary.c_str(), "w"));
    if (!tiff) return InternalError(where + ": cannot create the TIFF file");
    const RgbImage* current = &level0;
    RgbImage reduced;
    for (int level = 0;; ++level) {
      Status status = WriteLevel(tiff.get(), *current, options, level, where);
      if (!status.ok()) {
        tiff.reset();
        std::filesystem::remove(temporary);
        return status;
      }
      if (std::max(current->width, current->height) <= options.tile_px) break;
      reduced = Downsample2x(*current);
      current = &reduced;
    }
  }
  std::error_code error;
  std::filesystem::rename(temporary, path, error);
  if (error) return InternalError(where + ": cannot rename the finished TIFF: " + error.message());
  return Status::Ok();
}

}  // namespace pancaim::scenarios
