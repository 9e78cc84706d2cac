// VcfFile: a bgzipped, indexed VCF (.vcf.gz + .tbi/.csi) or BCF (.bcf + .csi) opened through
// HTSlib, with its header, samples and indexed contigs. Region queries need the index, so a file
// without one is refused up front.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "pancaim/common/status.h"

namespace pancaim::genomics {

enum class VcfFormat { kVcfGz, kBcf };

// Owns the HTSlib file, header and index (released on destruction). Move-only.
// Not thread-safe: reading moves the file position; use one VcfFile per thread.
class VcfFile {
 public:
  // Opens `path`. Errors, each naming the file:
  //  NOT_FOUND       no such file;
  //  INVALID_ARGUMENT not a VCF/BCF (HTSlib detects another format) or cannot be opened;
  //  FAILED_PRECONDITION not BGZF-compressed (plain text or plain gzip), or no index
  //                  (.tbi/.csi) next to it, with the command that makes one;
  //  DATA_LOSS       truncated (no BGZF end-of-file marker) or a header HTSlib cannot parse.
  static StatusOr<std::unique_ptr<VcfFile>> Open(const std::filesystem::path& path);

  ~VcfFile();
  VcfFile(VcfFile&&) noexcept;
  VcfFile& operator=(VcfFile&&) noexcept;
  VcfFile(const VcfFile&) = delete;
  VcfFile& operator=(const VcfFile&) = delete;

  const std::filesystem::path& path() const { return path_; }
  VcfFormat format() const { return format_; }
  // "tbi" or "csi": which index file was found.
  const std::string& index_kind() const { return index_kind_; }
  // Sample names in header order.
  const std::vector<std::string>& samples() const { return samples_; }
  // Contigs that have records in the index (what region queries can find).
  const std::vector<std::string>& contigs() const { return contigs_; }

  // Column of `name` among samples(). Errors: NOT_FOUND naming the file and the sample and listing
  // (some of) the samples present; FAILED_PRECONDITION when the file has no sample columns.
  StatusOr<int> SampleIndex(std::string_view name) const;

  // HTSlib handles, for this library's own readers (src/). Opaque to everyone else.
  struct Handles;
  Handles& handles() { return *handles_; }

 private:
  VcfFile(std::filesystem::path path, std::unique_ptr<Handles> handles);

  std::filesystem::path path_;
  std::unique_ptr<Handles> handles_;
  VcfFormat format_ = VcfFormat::kVcfGz;
  std::string index_kind_;
  std::vector<std::string> samples_;
  std::vector<std::string> contigs_;
};

// "vcf.gz" or "bcf".
std::string_view VcfFormatName(VcfFormat format);

}  // namespace pancaim::genomics
