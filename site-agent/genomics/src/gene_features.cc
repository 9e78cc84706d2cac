#include "pancaim/genomics/gene_features.h"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "pancaim/genomics/contig_names.h"
#include "sample_call.h"
#include "vcf_handles.h"

namespace pancaim::genomics {

std::vector<float> GenomicFeatures::ToVector() const {
  std::vector<float> values;
  values.reserve(genes.size() * 3);
  for (const GeneFeature& g : genes) values.push_back(g.mutated ? 1.0f : 0.0f);
  for (const GeneFeature& g : genes) values.push_back(g.max_vaf ? static_cast<float>(*g.max_vaf) : 0.0f);
  for (const GeneFeature& g : genes) values.push_back(g.max_vaf ? 1.0f : 0.0f);
  return values;
}

std::vector<std::string> GenomicFeatures::FeatureNames(const GenePanel& panel) {
  std::vector<std::string> names;
  for (const char* suffix : {".mutated", ".max_vaf", ".vaf_known"}) {
    for (const std::string& gene : panel.genes()) names.push_back(gene + suffix);
  }
  return names;
}

namespace {

// Folds record calls into per-gene features, counting each record once per gene even when it
// overlaps several regions of that gene.
class FeatureAccumulator {
 public:
  FeatureAccumulator(const GenePanel& panel, GenomicFeatures* out) : out_(out) {
    for (const std::string& gene : panel.genes()) {
      GeneFeature feature;
      feature.gene = gene;
      out->genes.push_back(std::move(feature));
    }
    seen_.resize(panel.genes().size());
  }

  void Add(int gene, const bcf1_t* record, const internal::SampleCall& call) {
    if (!call.carried) return;
    const auto key = std::make_tuple(record->rid, record->pos, std::string(record->d.allele[0]),
                                     record->n_allele > 1 ? std::string(record->d.allele[1]) : "");
    if (!seen_[gene].insert(key).second) return;
    GeneFeature& feature = out_->genes[gene];
    feature.mutated = true;
    ++feature.variants;
    if (call.max_vaf && (!feature.max_vaf || *call.max_vaf > *feature.max_vaf)) {
      feature.max_vaf = call.max_vaf;
      feature.vaf_source = call.vaf_source;
    }
  }

 private:
  GenomicFeatures* out_;
  std::vector<std::set<std::tuple<int, std::int64_t, std::string, std::string>>> seen_;
};

bool Overlaps(const bcf1_t* record, const GeneRegion& region) {
  return record->pos < region.end && record->pos + std::max<std::int64_t>(record->rlen, 1) > region.start;
}

Status ScanRegions(VcfFile& vcf, const GenePanel& panel, const std::map<std::string, std::string>& contigs,
                   internal::SampleCallReader& reader, FeatureAccumulator& acc, GenomicFeatures* out) {
  for (const GeneRegion& region : panel.regions()) {
    const auto contig = contigs.find(region.contig);
    if (contig == contigs.end()) continue;
    const int gene = panel.GeneIndex(region.gene);
    PANCAIM_RETURN_IF_ERROR(internal::ForEachRecordInRegion(
        vcf, contig->second, region.start, region.end, [&](bcf1_t* record) {
          ++out->records_read;
          if (!Overlaps(record, region)) return Status::Ok();
          ++out->records_in_genes;
          const internal::SampleCall call = reader.Read(record);
          out->records_passing += call.passes;
          acc.Add(gene, record, call);
          return Status::Ok();
        }));
  }
  return Status::Ok();
}

Status ScanWholeFile(VcfFile& vcf, const GenePanel& panel,
                     const std::map<std::string, std::string>& contigs,
                     internal::SampleCallReader& reader, FeatureAccumulator& acc, GenomicFeatures* out) {
  // Regions by VCF contig name, so each record looks only at its own chromosome's regions.
  std::map<std::string, std::vector<const GeneRegion*>, std::less<>> by_contig;
  for (const GeneRegion& region : panel.regions()) {
    if (const auto it = contigs.find(region.contig); it != contigs.end()) {
      by_contig[it->second].push_back(&region);
    }
  }
  std::vector<const std::vector<const GeneRegion*>*> by_rid;  // cache: record rid -> regions
  const bcf_hdr_t* header = vcf.handles().header;
  static const std::vector<const GeneRegion*> kNone;
  return internal::ForEachRecord(vcf, [&](bcf1_t* record) {
    ++out->records_read;
    if (record->rid < 0) return Status::Ok();
    if (static_cast<std::size_t>(record->rid) >= by_rid.size()) by_rid.resize(record->rid + 1, nullptr);
    if (by_rid[record->rid] == nullptr) {
      const auto it = by_contig.find(std::string_view(bcf_hdr_id2name(header, record->rid)));
      by_rid[record->rid] = it == by_contig.end() ? &kNone : &it->second;
    }
    bool evaluated = false;
    internal::SampleCall call;
    for (const GeneRegion* region : *by_rid[record->rid]) {
      if (!Overlaps(record, *region)) continue;
      if (!evaluated) {
        ++out->records_in_genes;
        call = reader.Read(record);
        out->records_passing += call.passes;
        evaluated = true;
      }
      acc.Add(panel.GeneIndex(region->gene), record, call);
    }
    return Status::Ok();
  });
}

}  // namespace

StatusOr<GenomicFeatures> ExtractGeneFeatures(VcfFile& vcf, std::string_view sample,
                                              const GenePanel& panel,
                                              const GeneFeatureOptions& options) {
  PANCAIM_ASSIGN_OR_RETURN(const int sample_index, vcf.SampleIndex(sample));
  const std::vector<std::string> panel_contigs = panel.Contigs();
  PANCAIM_ASSIGN_OR_RETURN(const auto contigs,
                           MatchContigs(panel_contigs, vcf.contigs(), vcf.path().string()));
  GenomicFeatures out;
  out.vcf_path = vcf.path().string();
  out.sample = std::string(sample);
  for (const std::string& contig : panel_contigs) {
    if (!contigs.count(contig)) out.panel_contigs_absent.push_back(contig);
  }
  FeatureAccumulator acc(panel, &out);
  internal::SampleCallReader reader(vcf.handles().header, sample_index, options);
  if (options.scan == GeneFeatureOptions::Scan::kWholeFile) {
    PANCAIM_RETURN_IF_ERROR(ScanWholeFile(vcf, panel, contigs, reader, acc, &out));
  } else {
    PANCAIM_RETURN_IF_ERROR(ScanRegions(vcf, panel, contigs, reader, acc, &out));
  }
  return out;
}

}  // namespace pancaim::genomics
