#include <itkGDCMSeriesFileNames.h>

#include <algorithm>
#include <system_error>

#include "itk_bridge.h"
#include "pancaim/imaging/dicom_series.h"

namespace pancaim::imaging {

StatusOr<std::vector<DicomSeriesInfo>> ListDicomSeries(const std::filesystem::path& folder,
                                                       std::int64_t max_files) {
  internal::RegisterImageIoFactories();
  std::error_code error;
  if (!std::filesystem::is_directory(folder, error)) {
    return NotFoundError(folder.string() + ": no such DICOM folder");
  }
  // Bound the work before GDCM parses every file's header.
  std::int64_t file_count = 0;
  for (const auto& entry : std::filesystem::directory_iterator(folder, error)) {
    if (entry.is_regular_file() && ++file_count > max_files) {
      return ResourceExhaustedError(folder.string() + ": more than " + std::to_string(max_files) +
                                    " files in the DICOM folder");
    }
  }
  if (error) return NotFoundError(folder.string() + ": cannot list folder: " + error.message());

  std::vector<DicomSeriesInfo> series;
  try {
    auto names = itk::GDCMSeriesFileNames::New();
    names->SetRecursive(false);
    // Group by SeriesInstanceUID alone, so the UIDs we report are the ones a manifest can name.
    names->SetUseSeriesDetails(false);
    names->SetDirectory(folder.string());
    for (const std::string& uid : names->GetSeriesUIDs()) {
      DicomSeriesInfo info;
      info.uid = uid;
      for (const std::string& file : names->GetFileNames(uid)) info.files.emplace_back(file);
      if (!info.files.empty()) series.push_back(std::move(info));
    }
  } catch (const itk::ExceptionObject& e) {
    return InvalidArgumentError(folder.string() + ": cannot scan DICOM folder: " +
                                internal::DescribeItkError(e));
  }
  if (series.empty()) {
    return NotFoundError(folder.string() + ": no DICOM image series in the folder");
  }
  std::stable_sort(series.begin(), series.end(), [](const auto& a, const auto& b) {
    return a.files.size() > b.files.size();
  });
  return series;
}

StatusOr<DicomSeriesInfo> ChooseDicomSeries(const std::filesystem::path& folder,
                                            const std::string& wanted_uid,
                                            std::vector<std::string>* notes,
                                            std::int64_t max_files) {
  PANCAIM_ASSIGN_OR_RETURN(std::vector<DicomSeriesInfo> series, ListDicomSeries(folder, max_files));
  if (!wanted_uid.empty()) {
    for (auto& candidate : series) {
      if (candidate.uid == wanted_uid) return std::move(candidate);
    }
    std::string present;
    for (const auto& candidate : series) {
      present += (present.empty() ? "" : ", ") + candidate.uid + " (" +
                 std::to_string(candidate.files.size()) + " files)";
    }
    return NotFoundError(folder.string() + ": series " + wanted_uid +
                         " not in the folder; present: " + present);
  }
  if (series.size() > 1 && series[0].files.size() == series[1].files.size()) {
    return InvalidArgumentError(folder.string() + ": ambiguous DICOM folder: " +
                                std::to_string(series.size()) + " series, the largest ones (" +
                                series[0].uid + ", " + series[1].uid + ") both have " +
                                std::to_string(series[0].files.size()) +
                                " files; name one in ct_series_uid");
  }
  if (series.size() > 1 && notes != nullptr) {
    notes->push_back(folder.string() + ": folder holds " + std::to_string(series.size()) +
                     " series; chose the largest, " + series[0].uid + " (" +
                     std::to_string(series[0].files.size()) + " files)");
  }
  return std::move(series[0]);
}

}  // namespace pancaim::imaging
