#include "pancaim/imaging/case_loader.h"

namespace pancaim::imaging {

StatusOr<LoadedCase> LoadCase(const CaseSource& source, const PreprocessOptions& options,
                              const ReadLimits& limits) {
  PANCAIM_RETURN_IF_ERROR(options.Validate());
  LoadedCase loaded;
  PANCAIM_ASSIGN_OR_RETURN(LoadedVolume image, ReadVolume(source.image, limits));
  loaded.image_geometry = image.volume.geometry;
  loaded.image_format = image.format;
  loaded.files_read = image.files;
  loaded.notes = image.notes;
  std::optional<LoadedVolume> mask;
  if (source.mask.has_value()) {
    StatusOr<LoadedVolume> read_mask = ReadVolume(*source.mask, limits);
    if (!read_mask.ok()) return read_mask.status().WithContext("mask");
    mask = std::move(read_mask).value();
    loaded.files_read.insert(loaded.files_read.end(), mask->files.begin(), mask->files.end());
    loaded.notes.insert(loaded.notes.end(), mask->notes.begin(), mask->notes.end());
  }
  StatusOr<PreprocessedCase> data =
      Preprocess(image.volume, mask ? &mask->volume : nullptr, options);
  if (!data.ok()) return data.status().WithContext(source.image.path.string());
  loaded.data = std::move(data).value();
  loaded.notes.insert(loaded.notes.end(), loaded.data.notes.begin(), loaded.data.notes.end());
  return loaded;
}

}  // namespace pancaim::imaging
