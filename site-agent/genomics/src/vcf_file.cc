#include "pancaim/genomics/vcf_file.h"

#include <htslib/bgzf.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "vcf_handles.h"

namespace pancaim::genomics {

VcfFile::Handles::~Handles() {
  if (tabix != nullptr) tbx_destroy(tabix);
  if (bcf_index != nullptr) hts_idx_destroy(bcf_index);
  if (header != nullptr) bcf_hdr_destroy(header);
  if (file != nullptr) hts_close(file);
}

std::string_view VcfFormatName(VcfFormat format) {
  return format == VcfFormat::kBcf ? "bcf" : "vcf.gz";
}

namespace {

std::string Name(const std::filesystem::path& path) { return "VCF '" + path.string() + "'"; }

// Opens the file and checks its container: VCF or BCF, BGZF-compressed, not truncated.
Status OpenContainer(const std::filesystem::path& path, VcfFile::Handles& h, VcfFormat* format) {
  h.file = hts_open(path.c_str(), "r");
  if (h.file == nullptr) {
    return InvalidArgumentError(Name(path) + ": HTSlib cannot open it (" + std::strerror(errno) + ")");
  }
  const htsFormat* detected = hts_get_format(h.file);
  if (detected->format != vcf && detected->format != bcf) {
    char* description = hts_format_description(detected);
    const std::string kind = description != nullptr ? description : "unknown";
    std::free(description);
    return InvalidArgumentError(Name(path) + ": not a VCF or BCF file (HTSlib sees: " + kind + ")");
  }
  *format = detected->format == bcf ? VcfFormat::kBcf : VcfFormat::kVcfGz;
  if (detected->compression != bgzf) {
    return FailedPreconditionError(
        Name(path) + ": not BGZF-compressed (" +
        (detected->compression == gzip ? "plain gzip" : "uncompressed") +
        "), so it cannot be indexed; compress it with `bgzip` and index it with `tabix -p vcf`");
  }
  if (bgzf_check_EOF(hts_get_bgzfp(h.file)) == 0) {
    return DataLossError(Name(path) + ": truncated (the BGZF end-of-file marker is missing)");
  }
  return Status::Ok();
}

// Loads the index and lists the contigs it knows.
Status LoadIndex(const std::filesystem::path& path, VcfFormat format, VcfFile::Handles& h,
                 std::vector<std::string>* contigs) {
  int count = 0;
  const char** names = nullptr;
  if (format == VcfFormat::kVcfGz) {
    h.tabix = tbx_index_load3(path.c_str(), nullptr, HTS_IDX_SILENT_FAIL);
    if (h.tabix != nullptr) names = tbx_seqnames(h.tabix, &count);
  } else {
    h.bcf_index = bcf_index_load3(path.c_str(), nullptr, HTS_IDX_SILENT_FAIL);
    if (h.bcf_index != nullptr) names = bcf_index_seqnames(h.bcf_index, h.header, &count);
  }
  if (h.tabix == nullptr && h.bcf_index == nullptr) {
    return FailedPreconditionError(
        Name(path) + ": no index (looked for " + path.filename().string() + ".tbi and .csi); " +
        "create one with `bcftools index " + (format == VcfFormat::kBcf ? "" : "-t ") +
        path.filename().string() + "`");
  }
  for (int i = 0; i < count; ++i) contigs->emplace_back(names[i]);
  std::free(names);
  return Status::Ok();
}

}  // namespace

VcfFile::VcfFile(std::filesystem::path path, std::unique_ptr<Handles> handles)
    : path_(std::move(path)), handles_(std::move(handles)) {}
VcfFile::~VcfFile() = default;
VcfFile::VcfFile(VcfFile&&) noexcept = default;
VcfFile& VcfFile::operator=(VcfFile&&) noexcept = default;

StatusOr<std::unique_ptr<VcfFile>> VcfFile::Open(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return NotFoundError(Name(path) + ": no such file");
  auto handles = std::make_unique<Handles>();
  VcfFormat format = VcfFormat::kVcfGz;
  PANCAIM_RETURN_IF_ERROR(OpenContainer(path, *handles, &format));
  handles->header = bcf_hdr_read(handles->file);
  if (handles->header == nullptr) {
    return DataLossError(Name(path) + ": HTSlib cannot parse its header (corrupt or not a VCF)");
  }
  handles->records_start = bgzf_tell(hts_get_bgzfp(handles->file));
  std::unique_ptr<VcfFile> vcf(new VcfFile(path, std::move(handles)));
  vcf->format_ = format;
  PANCAIM_RETURN_IF_ERROR(LoadIndex(path, format, *vcf->handles_, &vcf->contigs_));
  const std::string base = path.string();
  vcf->index_kind_ = std::filesystem::exists(base + ".csi", ec) ? "csi" : "tbi";
  if (format == VcfFormat::kVcfGz && std::filesystem::exists(base + ".tbi", ec)) vcf->index_kind_ = "tbi";
  const bcf_hdr_t* header = vcf->handles_->header;
  for (int i = 0; i < bcf_hdr_nsamples(header); ++i) vcf->samples_.emplace_back(header->samples[i]);
  return vcf;
}

StatusOr<int> VcfFile::SampleIndex(std::string_view name) const {
  if (samples_.empty()) {
    return FailedPreconditionError(Name(path_) + ": has no sample columns (sites-only VCF), so " +
                                   "sample '" + std::string(name) + "' cannot be read from it");
  }
  for (std::size_t i = 0; i < samples_.size(); ++i) {
    if (samples_[i] == name) return static_cast<int>(i);
  }
  std::string present;
  for (std::size_t i = 0; i < samples_.size() && i < 10; ++i) {
    present += (i ? ", " : "") + samples_[i];
  }
  if (samples_.size() > 10) present += ", ... (" + std::to_string(samples_.size()) + " in all)";
  return NotFoundError(Name(path_) + ": sample '" + std::string(name) +
                       "' is not in the header; samples present: " + present);
}

namespace internal {
namespace {

struct RecordDeleter {
  void operator()(bcf1_t* record) const { bcf_destroy(record); }
};
struct IteratorDeleter {
  void operator()(hts_itr_t* iterator) const { hts_itr_destroy(iterator); }
};

}  // namespace

Status ForEachRecordInRegion(VcfFile& vcf, const std::string& contig, std::int64_t start,
                             std::int64_t end, const RecordVisitor& visit) {
  VcfFile::Handles& h = vcf.handles();
  const std::string where = Name(vcf.path()) + ": region " + contig + ":" +
                            std::to_string(start + 1) + "-" + std::to_string(end);
  std::unique_ptr<bcf1_t, RecordDeleter> record(bcf_init());
  std::unique_ptr<hts_itr_t, IteratorDeleter> iterator;
  kstring_t line = KS_INITIALIZE;
  if (h.tabix != nullptr) {
    const int tid = tbx_name2id(h.tabix, contig.c_str());
    if (tid < 0) return Status::Ok();  // no records on that contig
    iterator.reset(tbx_itr_queryi(h.tabix, tid, start, end));
  } else {
    const int tid = bcf_hdr_name2id(h.header, contig.c_str());
    if (tid < 0) return Status::Ok();
    iterator.reset(bcf_itr_queryi(h.bcf_index, tid, start, end));
  }
  if (!iterator) return DataLossError(where + ": the index cannot be queried");
  Status status;
  while (status.ok()) {
    int result;
    if (h.tabix != nullptr) {
      result = tbx_itr_next(h.file, h.tabix, iterator.get(), &line);
      if (result >= 0 && vcf_parse(&line, h.header, record.get()) != 0) {
        status = DataLossError(where + ": malformed record: " + std::string(line.s, std::min<std::size_t>(line.l, 80)));
        break;
      }
    } else {
      result = bcf_itr_next(h.file, iterator.get(), record.get());
    }
    // HTSlib can return a line pieced together around an undecodable BGZF block; the stream's
    // sticky error flag is the reliable signal.
    if (result < -1 || hts_get_bgzfp(h.file)->errcode != 0) {
      status = DataLossError(where + ": a record cannot be read (truncated or corrupt data)");
      break;
    }
    if (result == -1) break;  // end of region
    status = visit(record.get());
  }
  ks_free(&line);
  return status;
}

Status ForEachRecord(VcfFile& vcf, const RecordVisitor& visit) {
  VcfFile::Handles& h = vcf.handles();
  if (bgzf_seek(hts_get_bgzfp(h.file), h.records_start, SEEK_SET) < 0) {
    return DataLossError(Name(vcf.path()) + ": cannot seek to the first record");
  }
  std::unique_ptr<bcf1_t, RecordDeleter> record(bcf_init());
  std::int64_t count = 0;
  while (true) {
    const int result = bcf_read(h.file, h.header, record.get());
    if (result < -1 || hts_get_bgzfp(h.file)->errcode != 0) {
      return DataLossError(Name(vcf.path()) + ": record " + std::to_string(count + 1) +
                           " cannot be read (truncated, corrupt or malformed; " +
                           std::to_string(count) + " records read before it)");
    }
    if (result == -1) return Status::Ok();
    ++count;
    PANCAIM_RETURN_IF_ERROR(visit(record.get()));
  }
}

}  // namespace internal
}  // namespace pancaim::genomics
