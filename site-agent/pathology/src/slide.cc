#include "pancaim/pathology/slide.h"

#include <openslide/openslide.h>

#include <system_error>
#include <utility>

#include "tiff_structure_check.h"

namespace pancaim::pathology {

struct Slide::Handle {
  explicit Handle(openslide_t* osr) : osr(osr) {}
  ~Handle() {
    if (osr != nullptr) openslide_close(osr);
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  openslide_t* osr;
};

namespace {

std::string Quoted(const std::filesystem::path& path) { return "slide '" + path.string() + "'"; }

}  // namespace

Slide::Slide(std::filesystem::path path, std::unique_ptr<Handle> handle)
    : path_(std::move(path)), handle_(std::move(handle)) {}
Slide::~Slide() = default;
Slide::Slide(Slide&&) noexcept = default;
Slide& Slide::operator=(Slide&&) noexcept = default;

StatusOr<std::unique_ptr<Slide>> Slide::Open(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return NotFoundError(Quoted(path) + ": no such file");
  if (!std::filesystem::is_regular_file(path, ec)) {
    // MIRAX and some other formats are a file plus a folder; OpenSlide always opens the file.
    return InvalidArgumentError(Quoted(path) + ": not a regular file (give the slide file itself)");
  }
  // OpenSlide says only "not recognised" for a cut-off TIFF; look at its structure first so the
  // site's data manager learns the file is truncated rather than of the wrong kind.
  PANCAIM_ASSIGN_OR_RETURN(const bool is_tiff, internal::HasTiffSignature(path));
  if (is_tiff) PANCAIM_RETURN_IF_ERROR(internal::CheckTiffStructure(path));
  const char* vendor = openslide_detect_vendor(path.c_str());
  if (vendor == nullptr) {
    return InvalidArgumentError(Quoted(path) +
                                ": not a whole-slide format OpenSlide recognises (not a tiled, "
                                "pyramidal TIFF or a supported vendor format)");
  }
  auto handle = std::make_unique<Handle>(openslide_open(path.c_str()));
  if (handle->osr == nullptr) {
    return InvalidArgumentError(Quoted(path) + ": OpenSlide (" + vendor +
                                " driver) does not support this file");
  }
  if (const char* error = openslide_get_error(handle->osr); error != nullptr) {
    return DataLossError(Quoted(path) + ": OpenSlide (" + vendor + " driver) cannot read it: " +
                         error);
  }
  std::unique_ptr<Slide> slide(new Slide(path, std::move(handle)));
  slide->vendor_ = vendor;
  openslide_t* osr = slide->handle_->osr;
  const int32_t count = openslide_get_level_count(osr);
  for (int32_t level = 0; level < count; ++level) {
    SlideLevel info;
    openslide_get_level_dimensions(osr, level, &info.width, &info.height);
    info.downsample = openslide_get_level_downsample(osr, level);
    if (info.width <= 0 || info.height <= 0 || !(info.downsample >= 1.0)) {
      return InvalidArgumentError(Quoted(path) + ": level " + std::to_string(level) +
                                  " has an invalid size or downsample");
    }
    slide->levels_.push_back(info);
  }
  if (slide->levels_.empty()) return InvalidArgumentError(Quoted(path) + ": no pyramid levels");
  return slide;
}

std::optional<std::string> Slide::Property(std::string_view name) const {
  const char* value = openslide_get_property_value(handle_->osr, std::string(name).c_str());
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

std::vector<std::string> Slide::PropertyNames() const {
  std::vector<std::string> names;
  const char* const* list = openslide_get_property_names(handle_->osr);
  for (; list != nullptr && *list != nullptr; ++list) names.emplace_back(*list);
  return names;
}

StatusOr<RgbImage> Slide::ReadRegion(int level, std::int64_t x, std::int64_t y, int width,
                                     int height) const {
  PANCAIM_CHECK(level >= 0 && level < static_cast<int>(levels_.size())) << "level " << level;
  PANCAIM_CHECK(width > 0 && height > 0) << "region " << width << "x" << height;
  const std::int64_t count = std::int64_t{width} * height;
  const std::string where = Quoted(path_) + ": region " + std::to_string(width) + "x" +
                            std::to_string(height) + " at level " + std::to_string(level) +
                            " (" + std::to_string(x) + "," + std::to_string(y) + ")";
  if (count > kMaxRegionPixels) return ResourceExhaustedError(where + ": too large to read");
  std::vector<std::uint32_t> argb(static_cast<std::size_t>(count));
  openslide_read_region(handle_->osr, argb.data(), x, y, level, width, height);
  if (const char* error = openslide_get_error(handle_->osr); error != nullptr) {
    return DataLossError(where + ": " + error);
  }
  RgbImage image = RgbImage::Black(width, height);
  std::uint8_t* out = image.pixels.data();
  for (std::uint32_t pixel : argb) {
    // OpenSlide returns premultiplied ARGB; composite over white so empty glass stays white.
    const std::uint32_t alpha = pixel >> 24;
    const std::uint32_t white = 255 - alpha;
    out[0] = static_cast<std::uint8_t>(((pixel >> 16) & 0xff) + white);
    out[1] = static_cast<std::uint8_t>(((pixel >> 8) & 0xff) + white);
    out[2] = static_cast<std::uint8_t>((pixel & 0xff) + white);
    out += 3;
  }
  return image;
}

}  // namespace pancaim::pathology
