// The HTSlib objects behind a VcfFile, and record iteration over them. Internal to
// pancaim::genomics (keeps HTSlib's headers out of the public ones).
#pragma once

#include <htslib/hts.h>
#include <htslib/kstring.h>
#include <htslib/tbx.h>
#include <htslib/vcf.h>

#include <cstdint>
#include <functional>
#include <string>

#include "pancaim/common/status.h"
#include "pancaim/genomics/vcf_file.h"

namespace pancaim::genomics {

struct VcfFile::Handles {
  Handles() = default;
  ~Handles();
  Handles(const Handles&) = delete;
  Handles& operator=(const Handles&) = delete;

  htsFile* file = nullptr;
  bcf_hdr_t* header = nullptr;
  tbx_t* tabix = nullptr;        // .vcf.gz
  hts_idx_t* bcf_index = nullptr;  // .bcf
  std::int64_t records_start = 0;  // BGZF virtual offset of the first record
};

namespace internal {

// Called with each record (unpacked as far as the caller asks). Returning an error stops the scan.
using RecordVisitor = std::function<Status(bcf1_t* record)>;

// Visits every record overlapping [start, end) (0-based) of `contig` (a name in vcf.contigs()).
// Errors: DATA_LOSS naming the file and region when a record cannot be read or parsed.
Status ForEachRecordInRegion(VcfFile& vcf, const std::string& contig, std::int64_t start,
                             std::int64_t end, const RecordVisitor& visit);

// Visits every record of the file from the first one. Errors: DATA_LOSS naming the file and the
// number of records read before the failure.
Status ForEachRecord(VcfFile& vcf, const RecordVisitor& visit);

}  // namespace internal
}  // namespace pancaim::genomics
