// What one VCF record says about one sample: passes the FILTER rule, which alternate alleles the
// sample carries, and their highest VAF (rule in gene_features.h). Internal to pancaim::genomics.
#pragma once

#include <htslib/vcf.h>

#include <optional>
#include <string>

#include "pancaim/genomics/gene_features.h"

namespace pancaim::genomics::internal {

struct SampleCall {
  bool passes = false;
  bool carried = false;
  std::optional<double> max_vaf;
  const char* vaf_source = "";
};

// Reusable buffers for HTSlib's bcf_get_* calls, owned by one reader (not thread-safe).
class SampleCallReader {
 public:
  SampleCallReader(const bcf_hdr_t* header, int sample, const GeneFeatureOptions& options);
  ~SampleCallReader();
  SampleCallReader(const SampleCallReader&) = delete;
  SampleCallReader& operator=(const SampleCallReader&) = delete;

  SampleCall Read(bcf1_t* record);

 private:
  bool Passes(bcf1_t* record) const;
  std::optional<double> AlleleVaf(bcf1_t* record, int allele, const char** source);

  const bcf_hdr_t* header_;
  int sample_;
  int samples_;
  GeneFeatureOptions options_;
  int pass_id_;
  int32_t* gt_ = nullptr;
  int gt_capacity_ = 0;
  int32_t* ad_ = nullptr;
  int ad_capacity_ = 0;
  float* af_ = nullptr;
  int af_capacity_ = 0;
  float* info_af_ = nullptr;
  int info_af_capacity_ = 0;
  // Values fetched for the current record (negative: absent).
  int ad_count_ = -1, af_count_ = -1, info_af_count_ = -1;
};

}  // namespace pancaim::genomics::internal
