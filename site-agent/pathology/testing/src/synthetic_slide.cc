#include "pancaim/pathology/testing/synthetic_slide.h"

#include <tiffio.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <vector>

#include "pancaim/common/check.h"
#include "pancaim/pathology/deterministic_rng.h"

namespace pancaim::pathology::testing {
namespace {

struct Blob {
  double cx, cy, rx, ry;  // level-0 pixels
};

std::vector<Blob> MakeBlobs(const SyntheticSlideOptions& options) {
  DeterministicRng rng(MixSeed(options.seed, 0x5eed));
  std::vector<Blob> blobs;
  for (int i = 0; i < options.tissue_blobs; ++i) {
    Blob blob;
    blob.cx = rng.Uniform(0.25, 0.75) * options.width;
    blob.cy = rng.Uniform(0.25, 0.75) * options.height;
    blob.rx = rng.Uniform(0.08, 0.2) * options.width;
    blob.ry = rng.Uniform(0.08, 0.2) * options.height;
    blobs.push_back(blob);
  }
  return blobs;
}

bool InTissue(const std::vector<Blob>& blobs, double x, double y) {
  for (const Blob& b : blobs) {
    const double dx = (x - b.cx) / b.rx, dy = (y - b.cy) / b.ry;
    if (dx * dx + dy * dy <= 1.0) return true;
  }
  return false;
}

// Cheap per-position noise so tiles differ and JPEG has texture to encode.
std::uint32_t Noise(std::int64_t x, std::int64_t y, std::uint64_t seed) {
  return static_cast<std::uint32_t>(MixSeed(seed, (static_cast<std::uint64_t>(x) << 32) ^
                                                      static_cast<std::uint64_t>(y)));
}

void DrawPixel(const std::vector<Blob>& blobs, double x0, double y0, std::uint64_t seed,
               std::uint8_t* rgb) {
  const std::uint32_t n = Noise(static_cast<std::int64_t>(x0), static_cast<std::int64_t>(y0), seed);
  const int jitter = static_cast<int>(n % 17) - 8;
  if (!InTissue(blobs, x0, y0)) {
    const int v = 243 + jitter / 3;
    rgb[0] = rgb[1] = rgb[2] = static_cast<std::uint8_t>(v);
    return;
  }
  // Eosin-pink stroma with haematoxylin-purple "nuclei" on a coarse lattice.
  const bool nucleus = ((static_cast<std::int64_t>(x0) / 12 + static_cast<std::int64_t>(y0) / 12) % 5 == 0) &&
                       (n >> 8) % 3 != 0;
  if (nucleus) {
    rgb[0] = static_cast<std::uint8_t>(95 + jitter);
    rgb[1] = static_cast<std::uint8_t>(60 + jitter);
    rgb[2] = static_cast<std::uint8_t>(150 + jitter);
  } else {
    rgb[0] = static_cast<std::uint8_t>(225 + jitter);
    rgb[1] = static_cast<std::uint8_t>(140 + jitter);
    rgb[2] = static_cast<std::uint8_t>(185 + jitter);
  }
}

struct TiffCloser {
  void operator()(TIFF* tif) const { TIFFClose(tif); }
};

Status WriteLevel(TIFF* tif, const SyntheticSlideOptions& options, const std::vector<Blob>& blobs,
                  int level, const std::string& name) {
  const double downsample = std::ldexp(1.0, level);
  const int width = std::max(1, static_cast<int>(options.width / downsample));
  const int height = std::max(1, static_cast<int>(options.height / downsample));
  const int tile = options.tile_size;
  TIFFSetField(tif, TIFFTAG_SUBFILETYPE, level == 0 ? 0 : FILETYPE_REDUCEDIMAGE);
  TIFFSetField(tif, TIFFTAG_IMAGEWIDTH, width);
  TIFFSetField(tif, TIFFTAG_IMAGELENGTH, height);
  TIFFSetField(tif, TIFFTAG_TILEWIDTH, tile);
  TIFFSetField(tif, TIFFTAG_TILELENGTH, tile);
  TIFFSetField(tif, TIFFTAG_BITSPERSAMPLE, 8);
  TIFFSetField(tif, TIFFTAG_SAMPLESPERPIXEL, 3);
  TIFFSetField(tif, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
  TIFFSetField(tif, TIFFTAG_COMPRESSION, COMPRESSION_JPEG);
  TIFFSetField(tif, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_YCBCR);
  TIFFSetField(tif, TIFFTAG_JPEGCOLORMODE, JPEGCOLORMODE_RGB);
  TIFFSetField(tif, TIFFTAG_JPEGQUALITY, options.jpeg_quality);
  if (options.mpp > 0) {
    // Pixels per centimetre at this level: 1e4 microns per cm.
    const float per_cm = static_cast<float>(1e4 / (options.mpp * downsample));
    TIFFSetField(tif, TIFFTAG_XRESOLUTION, per_cm);
    TIFFSetField(tif, TIFFTAG_YRESOLUTION, per_cm);
    TIFFSetField(tif, TIFFTAG_RESOLUTIONUNIT, RESUNIT_CENTIMETER);
  }
  std::vector<std::uint8_t> buffer(static_cast<std::size_t>(tile) * tile * 3);
  for (int ty = 0; ty < height; ty += tile) {
    for (int tx = 0; tx < width; tx += tile) {
      for (int y = 0; y < tile; ++y) {
        for (int x = 0; x < tile; ++x) {
          std::uint8_t* rgb = &buffer[3 * (static_cast<std::size_t>(y) * tile + x)];
          if (tx + x >= width || ty + y >= height) {
            rgb[0] = rgb[1] = rgb[2] = 255;
            continue;
          }
          DrawPixel(blobs, (tx + x + 0.5) * downsample, (ty + y + 0.5) * downsample, options.seed,
                    rgb);
        }
      }
      if (TIFFWriteTile(tif, buffer.data(), tx, ty, 0, 0) < 0) {
        return InternalError("libtiff: cannot write a tile of '" + name + "'");
      }
    }
  }
  if (!TIFFWriteDirectory(tif)) return InternalError("libtiff: cannot write a directory of '" + name + "'");
  return Status::Ok();
}

Status WriteStrippedImage(TIFF* tif, const SyntheticSlideOptions& options,
                          const std::vector<Blob>& blobs, const std::string& name) {
  TIFFSetField(tif, TIFFTAG_IMAGEWIDTH, options.width);
  TIFFSetField(tif, TIFFTAG_IMAGELENGTH, options.height);
  TIFFSetField(tif, TIFFTAG_BITSPERSAMPLE, 8);
  TIFFSetField(tif, TIFFTAG_SAMPLESPERPIXEL, 3);
  TIFFSetField(tif, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
  TIFFSetField(tif, TIFFTAG_COMPRESSION, COMPRESSION_NONE);
  TIFFSetField(tif, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_RGB);
  TIFFSetField(tif, TIFFTAG_ROWSPERSTRIP, 16);
  std::vector<std::uint8_t> row(static_cast<std::size_t>(options.width) * 3);
  for (int y = 0; y < options.height; ++y) {
    for (int x = 0; x < options.width; ++x) DrawPixel(blobs, x + 0.5, y + 0.5, options.seed, &row[3 * x]);
    if (TIFFWriteScanline(tif, row.data(), y, 0) < 0) {
      return InternalError("libtiff: cannot write a row of '" + name + "'");
    }
  }
  if (!TIFFWriteDirectory(tif)) return InternalError("libtiff: cannot write a directory of '" + name + "'");
  return Status::Ok();
}

}  // namespace

Status WriteSyntheticSlide(const std::filesystem::path& path, const SyntheticSlideOptions& options) {
  PANCAIM_CHECK(options.tile_size > 0 && options.tile_size % 16 == 0) << "tile " << options.tile_size;
  PANCAIM_CHECK(options.width > 0 && options.height > 0 && options.levels >= 1);
  std::unique_ptr<TIFF, TiffCloser> tif(TIFFOpen(path.c_str(), "w"));
  if (!tif) return InternalError("libtiff: cannot create '" + path.string() + "'");
  const std::vector<Blob> blobs = MakeBlobs(options);
  if (!options.tiled) return WriteStrippedImage(tif.get(), options, blobs, path.string());
  for (int level = 0; level < options.levels; ++level) {
    PANCAIM_RETURN_IF_ERROR(WriteLevel(tif.get(), options, blobs, level, path.string()));
  }
  return Status::Ok();
}

double SyntheticTissueFraction(const SyntheticSlideOptions& options) {
  const std::vector<Blob> blobs = MakeBlobs(options);
  constexpr int kStep = 8;
  std::int64_t inside = 0, total = 0;
  for (int y = kStep / 2; y < options.height; y += kStep) {
    for (int x = kStep / 2; x < options.width; x += kStep) {
      inside += InTissue(blobs, x, y) ? 1 : 0;
      ++total;
    }
  }
  return total == 0 ? 0.0 : static_cast<double>(inside) / total;
}

}  // namespace pancaim::pathology::testing
