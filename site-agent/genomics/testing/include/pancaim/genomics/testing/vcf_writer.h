// Writing small VCFs for tests and benchmarks with HTSlib itself: BGZF compression, tabix (.tbi)
// or CSI indexes, and conversion to BCF. Not for production data: the cohort generator in
// scenarios/ owns that.
#pragma once

#include <filesystem>
#include <string_view>

#include "pancaim/common/status.h"

namespace pancaim::genomics::testing {

enum class IndexKind { kNone, kTbi, kCsi };

// BGZF-compresses `vcf_text` (a complete VCF: header and records) into `path` and indexes it.
// Errors: INTERNAL naming the file when HTSlib cannot write or index it (e.g. unsorted records).
Status WriteBgzippedVcf(const std::filesystem::path& path, std::string_view vcf_text,
                        IndexKind index = IndexKind::kTbi);

// BGZF-compresses an existing plain-text VCF file `source` into `path` and indexes it.
Status BgzipAndIndex(const std::filesystem::path& source, const std::filesystem::path& path,
                     IndexKind index = IndexKind::kTbi);

// Reads the VCF (any format HTSlib reads) at `source`, writes it as BCF to `path` and, unless
// kNone, builds a CSI index (BCF has no tabix index).
Status ConvertToBcf(const std::filesystem::path& source, const std::filesystem::path& path,
                    IndexKind index = IndexKind::kCsi);

}  // namespace pancaim::genomics::testing
