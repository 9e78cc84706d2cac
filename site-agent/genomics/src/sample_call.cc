#include "sample_call.h"

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace pancaim::genomics::internal {
namespace {

// Spanning deletions and gVCF reference blocks are not variants of this record.
bool IsRealAlternate(const char* allele) {
  return std::strcmp(allele, "*") != 0 && std::strcmp(allele, "<*>") != 0 &&
         std::strcmp(allele, "<NON_REF>") != 0 && std::strcmp(allele, ".") != 0;
}

}  // namespace

SampleCallReader::SampleCallReader(const bcf_hdr_t* header, int sample,
                                   const GeneFeatureOptions& options)
    : header_(header),
      sample_(sample),
      samples_(bcf_hdr_nsamples(header)),
      options_(options),
      pass_id_(bcf_hdr_id2int(header, BCF_DT_ID, "PASS")) {}

SampleCallReader::~SampleCallReader() {
  std::free(gt_);
  std::free(ad_);
  std::free(af_);
  std::free(info_af_);
}

bool SampleCallReader::Passes(bcf1_t* record) const {
  if (!options_.pass_only) return true;
  if (record->d.n_flt == 0) return options_.accept_missing_filter;
  return record->d.n_flt == 1 && record->d.flt[0] == pass_id_;
}

std::optional<double> SampleCallReader::AlleleVaf(bcf1_t* record, int allele, const char** source) {
  const int alleles = record->n_allele;
  if (ad_count_ > 0 && ad_count_ / samples_ == alleles) {
    const int32_t* ad = ad_ + static_cast<std::ptrdiff_t>(sample_) * alleles;
    std::int64_t depth = 0;
    for (int i = 0; i < alleles; ++i) {
      if (ad[i] != bcf_int32_missing && ad[i] != bcf_int32_vector_end && ad[i] > 0) depth += ad[i];
    }
    if (depth > 0 && ad[allele] != bcf_int32_missing && ad[allele] != bcf_int32_vector_end) {
      *source = "FORMAT/AD";
      return static_cast<double>(std::max(ad[allele], 0)) / static_cast<double>(depth);
    }
  }
  const auto usable = [](float v) {
    return !bcf_float_is_missing(v) && !bcf_float_is_vector_end(v) && std::isfinite(v) &&
           v >= 0.0f && v <= 1.0f;
  };
  if (af_count_ > 0 && af_count_ / samples_ == alleles - 1) {
    const float v = af_[static_cast<std::ptrdiff_t>(sample_) * (alleles - 1) + allele - 1];
    if (usable(v)) {
      *source = "FORMAT/AF";
      return v;
    }
  }
  if (samples_ == 1 && info_af_count_ == alleles - 1 && usable(info_af_[allele - 1])) {
    *source = "INFO/AF";
    return info_af_[allele - 1];
  }
  return std::nullopt;
}

SampleCall SampleCallReader::Read(bcf1_t* record) {
  SampleCall call;
  bcf_unpack(record, BCF_UN_FLT);
  call.passes = Passes(record);
  if (!call.passes) return call;
  const int alleles = record->n_allele;
  std::vector<bool> real(static_cast<std::size_t>(std::max(alleles, 1)), false);
  bool any_real = false;
  for (int a = 1; a < alleles; ++a) any_real |= (real[a] = IsRealAlternate(record->d.allele[a]));
  if (!any_real) return call;

  std::vector<bool> carried(real.size(), false);
  bool called = false;
  const int gt_count = bcf_get_genotypes(header_, record, &gt_, &gt_capacity_);
  if (gt_count > 0 && samples_ > 0) {
    const int ploidy = gt_count / samples_;
    const int32_t* gt = gt_ + static_cast<std::ptrdiff_t>(sample_) * ploidy;
    for (int i = 0; i < ploidy && gt[i] != bcf_int32_vector_end; ++i) {
      if (bcf_gt_is_missing(gt[i])) continue;
      called = true;
      const int allele = bcf_gt_allele(gt[i]);
      if (allele > 0 && allele < alleles && real[allele]) carried[allele] = true;
    }
  }
  ad_count_ = bcf_get_format_int32(header_, record, "AD", &ad_, &ad_capacity_);
  af_count_ = bcf_get_format_float(header_, record, "AF", &af_, &af_capacity_);
  info_af_count_ = samples_ == 1 ? bcf_get_info_float(header_, record, "AF", &info_af_, &info_af_capacity_) : -1;
  for (int a = 1; a < alleles; ++a) {
    if (!real[a]) continue;
    const char* source = "";
    const std::optional<double> vaf = AlleleVaf(record, a, &source);
    // Without a called genotype, the allele's own read support decides.
    if (!called && vaf && *vaf > 0) carried[a] = true;
    if (!carried[a]) continue;
    call.carried = true;
    if (vaf && (!call.max_vaf || *vaf > *call.max_vaf)) {
      call.max_vaf = vaf;
      call.vaf_source = source;
    }
  }
  return call;
}

}  // namespace pancaim::genomics::internal
