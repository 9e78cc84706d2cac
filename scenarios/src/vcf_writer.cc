#include "pancaim/scenarios/vcf_writer.h"

#include <htslib/hts.h>
#include <htslib/tbx.h>
#include <htslib/vcf.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <system_error>

#include "pancaim/scenarios/random.h"

namespace pancaim::scenarios {
namespace {

// GRCh38 primary assembly lengths of the contigs declared in the header.
struct Contig {
  const char* name;
  std::int64_t length;
};
constexpr Contig kContigs[] = {
    {"chr1", 248956422}, {"chr2", 242193529}, {"chr3", 198295559}, {"chr4", 190214555},
    {"chr5", 181538259}, {"chr6", 170805979}, {"chr7", 159345973}, {"chr8", 145138636},
    {"chr9", 138394717}, {"chr10", 133797422}, {"chr11", 135086622}, {"chr12", 133275309},
    {"chr13", 114364328}, {"chr14", 107043718}, {"chr15", 101991189}, {"chr16", 90338345},
    {"chr17", 83257441}, {"chr18", 80373285}, {"chr19", 58617616}, {"chr20", 64444167},
    {"chr21", 46709983}, {"chr22", 50818468}, {"chrX", 156040895}, {"chrY", 57227415}};

int ContigIndex(const std::string& name) {
  for (int i = 0; i < static_cast<int>(std::size(kContigs)); ++i) {
    if (name == kContigs[i].name) return i;
  }
  return -1;
}

// Recurrent hotspots (GRCh38, genomic strand; both genes are on the minus strand).
struct Hotspot {
  std::int64_t position;
  const char* ref;
  const char* alt;
  double weight;
};
constexpr Hotspot kKrasHotspots[] = {
    {25245350, "C", "T", 0.42},  // G12D  c.35G>A
    {25245350, "C", "A", 0.33},  // G12V  c.35G>T
    {25245351, "C", "G", 0.17},  // G12R  c.34G>C
    {25227341, "T", "G", 0.08},  // Q61H  c.183A>C
};
constexpr Hotspot kTp53Hotspots[] = {
    {7675088, "C", "T", 0.25},  // R175H c.524G>A
    {7674220, "C", "T", 0.25},  // R248Q c.743G>A
    {7674221, "G", "A", 0.2},   // R248W c.742C>T
    {7673802, "C", "T", 0.3},   // R273H c.818G>A
};

char RandomBase(Rng& rng) { return "ACGT"[rng.UniformInt(4)]; }

char OtherBase(Rng& rng, char base) {
  char other;
  do {
    other = RandomBase(rng);
  } while (other == base);
  return other;
}

template <std::size_t N>
const Hotspot& PickHotspot(Rng& rng, const Hotspot (&hotspots)[N]) {
  double u = rng.Uniform(), total = 0.0;
  for (const auto& hotspot : hotspots) {
    total += hotspot.weight;
    if (u < total) return hotspot;
  }
  return hotspots[N - 1];
}

VcfVariant DriverVariant(Rng& rng, int gene, const PatientTruth& patient,
                         const GenomicsSettings& settings) {
  const GeneRegion& region = DriverGeneRegions()[gene];
  VcfVariant v;
  v.contig = std::string(region.contig);
  v.gene = std::string(region.gene);
  v.somatic = true;
  if (gene == 0 || gene == 1) {
    const Hotspot& hotspot = gene == 0 ? PickHotspot(rng, kKrasHotspots) : PickHotspot(rng, kTp53Hotspots);
    v.position = hotspot.position;
    v.ref = hotspot.ref;
    v.alt = hotspot.alt;
  } else {
    // Tumour suppressors: inactivating point mutations spread over the gene.
    v.position = region.start + static_cast<std::int64_t>(rng.UniformInt(region.end - region.start + 1));
    char ref = RandomBase(rng);
    v.ref = std::string(1, ref);
    v.alt = std::string(1, OtherBase(rng, ref));
  }
  int depth = static_cast<int>(std::max<std::int64_t>(10, rng.Poisson(settings.mean_depth)));
  // A heterozygous somatic mutation in a sample of this purity has allele fraction purity / 2.
  double fraction = patient.pdac ? patient.tumour_purity / 2.0 : rng.Uniform(0.03, 0.1);
  v.alt_depth = static_cast<int>(std::max<std::int64_t>(3, rng.Binomial(depth, fraction)));
  v.ref_depth = std::max(0, depth - v.alt_depth);
  v.quality = std::round(rng.Uniform(40, 250));
  return v;
}

VcfVariant LowQualityCall(Rng& rng, int gene) {
  const GeneRegion& region = DriverGeneRegions()[gene];
  VcfVariant v;
  v.contig = std::string(region.contig);
  v.gene = std::string(region.gene);
  v.position = region.start + static_cast<std::int64_t>(rng.UniformInt(region.end - region.start + 1));
  char ref = RandomBase(rng);
  v.ref = std::string(1, ref);
  v.alt = std::string(1, OtherBase(rng, ref));
  v.pass = false;
  v.somatic = true;
  v.ref_depth = static_cast<int>(10 + rng.UniformInt(30));
  v.alt_depth = 2;
  v.quality = std::round(rng.Uniform(3, 20));
  return v;
}

bool InDriverGene(const std::string& contig, std::int64_t position) {
  for (const auto& region : DriverGeneRegions()) {
    if (contig == region.contig && position >= region.start && position <= region.end) return true;
  }
  return false;
}

VcfVariant BackgroundVariant(Rng& rng, const GenomicsSettings& settings) {
  VcfVariant v;
  do {
    const Contig& contig = kContigs[rng.UniformInt(22)];  // autosomes
    v.contig = contig.name;
    v.position = 1 + static_cast<std::int64_t>(rng.UniformInt(contig.length));
  } while (InDriverGene(v.contig, v.position));
  char ref = RandomBase(rng);
  v.ref = std::string(1, ref);
  v.alt = std::string(1, OtherBase(rng, ref));
  v.homozygous_alt = rng.Bernoulli(0.3);
  int depth = static_cast<int>(std::max<std::int64_t>(10, rng.Poisson(settings.mean_depth)));
  v.alt_depth = static_cast<int>(v.homozygous_alt ? depth - rng.Binomial(depth, 0.01)
                                                  : rng.Binomial(depth, 0.5));
  v.ref_depth = depth - v.alt_depth;
  v.quality = std::round(rng.Uniform(30, 250));
  return v;
}

struct HtsFileCloser {
  void operator()(htsFile* file) const {
    if (file != nullptr) hts_close(file);
  }
};
struct HeaderDeleter {
  void operator()(bcf_hdr_t* header) const { bcf_hdr_destroy(header); }
};
struct RecordDeleter {
  void operator()(bcf1_t* record) const { bcf_destroy(record); }
};

std::unique_ptr<bcf_hdr_t, HeaderDeleter> MakeHeader(const std::string& sample) {
  std::unique_ptr<bcf_hdr_t, HeaderDeleter> header(bcf_hdr_init("w"));
  if (!header) return header;
  const char* lines[] = {
      "##source=pancaim-sim (synthetic somatic calls)",
      "##reference=GRCh38",
      "##FILTER=<ID=LowQual,Description=\"Low quality call\">",
      "##INFO=<ID=SOMATIC,Number=0,Type=Flag,Description=\"Somatic mutation\">",
      "##INFO=<ID=GENE,Number=1,Type=String,Description=\"Driver gene hit by the variant\">",
      "##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">",
      "##FORMAT=<ID=AD,Number=R,Type=Integer,Description=\"Allelic depths (ref, alt)\">",
      "##FORMAT=<ID=DP,Number=1,Type=Integer,Description=\"Read depth\">"};
  for (const char* line : lines) {
    if (bcf_hdr_append(header.get(), line) != 0) return nullptr;
  }
  for (const auto& contig : kContigs) {
    std::string line = std::string("##contig=<ID=") + contig.name +
                       ",length=" + std::to_string(contig.length) + ",assembly=GRCh38>";
    if (bcf_hdr_append(header.get(), line.c_str()) != 0) return nullptr;
  }
  if (bcf_hdr_add_sample(header.get(), sample.c_str()) != 0 || bcf_hdr_sync(header.get()) != 0) {
    return nullptr;
  }
  return header;
}

bool FillRecord(bcf_hdr_t* header, const VcfVariant& v, bcf1_t* record) {
  bcf_clear(record);
  record->rid = bcf_hdr_name2id(header, v.contig.c_str());
  record->pos = v.position - 1;
  record->qual = static_cast<float>(v.quality);
  std::string alleles = v.ref + "," + v.alt;
  if (record->rid < 0 || bcf_update_alleles_str(header, record, alleles.c_str()) != 0) return false;
  int filter = bcf_hdr_id2int(header, BCF_DT_ID, v.pass ? "PASS" : "LowQual");
  if (bcf_update_filter(header, record, &filter, 1) != 0) return false;
  if (!v.gene.empty() && bcf_update_info_string(header, record, "GENE", v.gene.c_str()) != 0) {
    return false;
  }
  if (v.somatic && bcf_update_info_flag(header, record, "SOMATIC", nullptr, 1) != 0) return false;
  std::int32_t genotype[2] = {bcf_gt_unphased(v.homozygous_alt ? 1 : 0), bcf_gt_unphased(1)};
  std::int32_t depths[2] = {v.ref_depth, v.alt_depth};
  std::int32_t total = v.ref_depth + v.alt_depth;
  return bcf_update_genotypes(header, record, genotype, 2) == 0 &&
         bcf_update_format_int32(header, record, "AD", depths, 2) == 0 &&
         bcf_update_format_int32(header, record, "DP", &total, 1) == 0;
}

}  // namespace

const std::array<GeneRegion, kDriverGeneCount>& DriverGeneRegions() {
  static constexpr std::array<GeneRegion, kDriverGeneCount> kRegions = {{
      {"KRAS", "chr12", 25205246, 25250936},
      {"TP53", "chr17", 7661779, 7687538},
      {"CDKN2A", "chr9", 21967752, 21995324},
      {"SMAD4", "chr18", 51030213, 51085042},
  }};
  return kRegions;
}

std::vector<VcfVariant> DrawPatientVariants(const PatientTruth& patient,
                                            const GenomicsSettings& settings, std::uint64_t seed) {
  Rng rng(StreamSeed(seed, {static_cast<std::uint64_t>(Stream::kGenomics),
                            static_cast<std::uint64_t>(patient.site_index),
                            static_cast<std::uint64_t>(patient.patient_index)}));
  std::vector<VcfVariant> variants;
  for (int gene = 0; gene < kDriverGeneCount; ++gene) {
    if (patient.driver_mutated[gene]) variants.push_back(DriverVariant(rng, gene, patient, settings));
  }
  if (rng.Bernoulli(settings.low_quality_rate)) {
    variants.push_back(LowQualityCall(rng, static_cast<int>(rng.UniformInt(kDriverGeneCount))));
  }
  for (int i = 0; i < settings.background_variants; ++i) {
    variants.push_back(BackgroundVariant(rng, settings));
  }
  std::sort(variants.begin(), variants.end(), [](const VcfVariant& a, const VcfVariant& b) {
    int ca = ContigIndex(a.contig), cb = ContigIndex(b.contig);
    if (ca != cb) return ca < cb;
    if (a.position != b.position) return a.position < b.position;
    return a.alt < b.alt;
  });
  // Two draws at one position and allele would be one call; keep the first.
  variants.erase(std::unique(variants.begin(), variants.end(),
                             [](const VcfVariant& a, const VcfVariant& b) {
                               return a.contig == b.contig && a.position == b.position &&
                                      a.alt == b.alt;
                             }),
                 variants.end());
  return variants;
}

Status WriteVcf(const std::vector<VcfVariant>& variants, const std::string& sample,
                const std::filesystem::path& path) {
  const std::string where = path.string();
  std::filesystem::path temporary = path;
  temporary += ".tmp";
  {
    std::unique_ptr<htsFile, HtsFileCloser> file(hts_open(temporary.c_str(), "wz"));
    if (!file) return InternalError(where + ": HTSlib cannot create the file");
    auto header = MakeHeader(sample);
    if (!header) return InternalError(where + ": HTSlib refused the VCF header");
    if (bcf_hdr_write(file.get(), header.get()) != 0) {
      return InternalError(where + ": writing the VCF header failed");
    }
    std::unique_ptr<bcf1_t, RecordDeleter> record(bcf_init());
    for (const auto& v : variants) {
      if (!FillRecord(header.get(), v, record.get())) {
        return InvalidArgumentError(where + ": cannot encode variant " + v.contig + ":" +
                                    std::to_string(v.position));
      }
      if (bcf_write(file.get(), header.get(), record.get()) != 0) {
        return InternalError(where + ": writing a record failed (disk full?)");
      }
    }
    if (hts_close(file.release()) != 0) return InternalError(where + ": closing the file failed");
  }
  if (tbx_index_build(temporary.c_str(), 0, &tbx_conf_vcf) != 0) {
    return InternalError(where + ": building the tabix index failed");
  }
  std::error_code error;
  std::filesystem::path index = path, temporary_index = temporary;
  index += ".tbi";
  temporary_index += ".tbi";
  std::filesystem::rename(temporary_index, index, error);
  if (!error) std::filesystem::rename(temporary, path, error);
  if (error) return InternalError(where + ": cannot move the finished VCF in place: " + error.message());
  return Status::Ok();
}

}  // namespace pancaim::scenarios
