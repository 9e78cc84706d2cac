#include "data_presence.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <string>
#include <system_error>

#include "gzip_check.h"

namespace pancaim::imaging::internal {
namespace {

std::string Trim(std::string text) {
  const auto not_space = [](unsigned char c) { return !std::isspace(c); };
  text.erase(text.begin(), std::find_if(text.begin(), text.end(), not_space));
  text.erase(std::find_if(text.rbegin(), text.rend(), not_space).base(), text.end());
  return text;
}

std::string Lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

Status Short(const std::filesystem::path& path, std::uint64_t needed, std::uint64_t present) {
  return DataLossError(path.string() + ": truncated: " + std::to_string(needed) +
                       " bytes of voxel data expected, " + std::to_string(present) + " present");
}

}  // namespace

Status CheckNiftiDataPresent(const std::filesystem::path& path, std::uint64_t voxel_bytes) {
  const std::uint64_t needed = voxel_bytes + 348;
  std::uint64_t present = 0;
  if (Lower(path.extension().string()) == ".gz") {
    PANCAIM_ASSIGN_OR_RETURN(present, GzipUncompressedSize(path, needed + (std::uint64_t{1} << 26)));
  } else {
    std::error_code error;
    present = std::filesystem::file_size(path, error);
    if (error) return DataLossError(path.string() + ": cannot stat: " + error.message());
  }
  if (present < needed) return Short(path, needed, present);
  return Status::Ok();
}

Status CheckMetaImageDataPresent(const std::filesystem::path& path, std::uint64_t voxel_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFoundError(path.string() + ": cannot open");
  bool compressed = false;
  std::uint64_t compressed_size = 0;
  std::string data_file;
  std::string line;
  // The header is short text lines ending with ElementDataFile; bound it anyway.
  for (int lines = 0; lines < 200 && std::getline(in, line); ++lines) {
    const auto equals = line.find('=');
    if (equals == std::string::npos) continue;
    const std::string key = Trim(line.substr(0, equals));
    const std::string value = Trim(line.substr(equals + 1));
    if (key == "CompressedData") compressed = Lower(value) == "true";
    if (key == "CompressedDataSize") compressed_size = std::strtoull(value.c_str(), nullptr, 10);
    if (key == "ElementDataFile") {
      data_file = value;
      break;
    }
  }
  if (data_file.empty()) return Status::Ok();  // MetaIO itself refuses a header without data
  const std::uint64_t needed = compressed ? compressed_size : voxel_bytes;
  std::error_code error;
  std::uint64_t present = 0;
  std::filesystem::path where = path;
  if (Lower(data_file) == "local") {
    const auto offset = static_cast<std::uint64_t>(in.tellg());
    const std::uint64_t size = std::filesystem::file_size(path, error);
    present = size > offset ? size - offset : 0;
  } else if (Lower(data_file).rfind("list", 0) == 0 || data_file.find('%') != std::string::npos ||
             data_file.find(' ') != std::string::npos) {
    return Status::Ok();
  } else {
    where = path.parent_path() / data_file;
    if (!std::filesystem::is_regular_file(where, error)) {
      return NotFoundError(path.string() + ": data file " + where.string() + " does not exist");
    }
    present = std::filesystem::file_size(where, error);
  }
  if (error) return DataLossError(where.string() + ": cannot stat: " + error.message());
  if (present < needed) return Short(where, needed, present);
  return Status::Ok();
}

}  // namespace pancaim::imaging::internal
