#include "pancaim/genomics/testing/vcf_writer.h"

#include <htslib/bgzf.h>
#include <htslib/hts.h>
#include <htslib/tbx.h>
#include <htslib/vcf.h>

#include <fstream>
#include <iterator>
#include <string>

namespace pancaim::genomics::testing {
namespace {

std::string Name(const std::filesystem::path& path) { return "'" + path.string() + "'"; }

Status BuildIndex(const std::filesystem::path& path, IndexKind index, bool bcf_file) {
  if (index == IndexKind::kNone) return Status::Ok();
  const int min_shift = index == IndexKind::kCsi ? 14 : 0;
  const int result = bcf_file ? bcf_index_build3(path.c_str(), nullptr, min_shift, 1)
                              : tbx_index_build3(path.c_str(), nullptr, min_shift, 1, &tbx_conf_vcf);
  if (result != 0) return InternalError("HTSlib cannot index " + Name(path) + " (" + std::to_string(result) + ")");
  return Status::Ok();
}

}  // namespace

Status WriteBgzippedVcf(const std::filesystem::path& path, std::string_view vcf_text, IndexKind index) {
  BGZF* out = bgzf_open(path.c_str(), "w");
  if (out == nullptr) return InternalError("HTSlib cannot create " + Name(path));
  const bool written = bgzf_write(out, vcf_text.data(), vcf_text.size()) == static_cast<ssize_t>(vcf_text.size());
  if (bgzf_close(out) != 0 || !written) return InternalError("HTSlib cannot write " + Name(path));
  return BuildIndex(path, index, /*bcf_file=*/false);
}

Status BgzipAndIndex(const std::filesystem::path& source, const std::filesystem::path& path, IndexKind index) {
  std::ifstream in(source, std::ios::binary);
  if (!in) return NotFoundError("cannot read " + Name(source));
  const std::string text(std::istreambuf_iterator<char>(in), {});
  return WriteBgzippedVcf(path, text, index);
}

Status ConvertToBcf(const std::filesystem::path& source, const std::filesystem::path& path, IndexKind index) {
  htsFile* in = hts_open(source.c_str(), "r");
  if (in == nullptr) return NotFoundError("cannot read " + Name(source));
  bcf_hdr_t* header = bcf_hdr_read(in);
  htsFile* out = hts_open(path.c_str(), "wb");
  Status status;
  if (header == nullptr || out == nullptr || bcf_hdr_write(out, header) != 0) {
    status = InternalError("HTSlib cannot convert " + Name(source) + " to " + Name(path));
  }
  bcf1_t* record = bcf_init();
  while (status.ok()) {
    const int result = bcf_read(in, header, record);
    if (result == -1) break;
    if (result < -1 || bcf_write(out, header, record) != 0) {
      status = InternalError("HTSlib cannot copy a record of " + Name(source));
    }
  }
  bcf_destroy(record);
  if (out != nullptr && hts_close(out) != 0 && status.ok()) status = InternalError("cannot close " + Name(path));
  if (header != nullptr) bcf_hdr_destroy(header);
  hts_close(in);
  PANCAIM_RETURN_IF_ERROR(status);
  return BuildIndex(path, index, /*bcf_file=*/true);
}

}  // namespace pancaim::genomics::testing
