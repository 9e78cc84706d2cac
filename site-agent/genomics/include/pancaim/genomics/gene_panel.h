// GenePanel: named genomic regions (genes) read from a BED file, the unit genomic features are
// computed per. The PDAC panel on GRCh38 ships with the library (data/pdac_panel_grch38.bed).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "pancaim/common/status.h"

namespace pancaim::genomics {

// One region: [start, end) in 0-based coordinates, as in BED.
struct GeneRegion {
  std::string contig;
  std::int64_t start = 0;
  std::int64_t end = 0;
  std::string gene;
};

// Largest BED file read (bytes) and most regions accepted.
inline constexpr std::uint64_t kMaxBedBytes = std::uint64_t{64} << 20;
inline constexpr std::size_t kMaxBedRegions = 1'000'000;

// Regions in file order, and the distinct gene names in order of first appearance (a gene may
// have several regions, e.g. exons). A value type; not synchronized.
class GenePanel {
 public:
  GenePanel() = default;
  explicit GenePanel(std::vector<GeneRegion> regions);

  const std::vector<GeneRegion>& regions() const { return regions_; }
  const std::vector<std::string>& genes() const { return genes_; }
  // Index of `gene` in genes(), or -1.
  int GeneIndex(std::string_view gene) const;
  // Distinct contig names in order of first appearance.
  std::vector<std::string> Contigs() const;

 private:
  std::vector<GeneRegion> regions_;
  std::vector<std::string> genes_;
};

// Parses BED text: tab- or space-separated chrom, start, end, name (a 4th column is required:
// features are per gene); lines starting with '#', "track" or "browser" and blank lines are
// skipped; extra columns ignored. `source` names the text in errors ("panel.bed:12: ...").
// Errors: INVALID_ARGUMENT for a malformed line (too few columns, non-numeric or negative
// coordinates, start >= end); RESOURCE_EXHAUSTED above kMaxBedRegions; INVALID_ARGUMENT when empty.
StatusOr<GenePanel> ParseBed(std::string_view text, std::string_view source);

// Reads and parses a BED file. Errors: those of ReadFile (NOT_FOUND...) and ParseBed.
StatusOr<GenePanel> ReadBedFile(const std::filesystem::path& path);

// The shipped PDAC panel (18 genes, GRCh38, "chr" contig names), compiled into the library from
// site-agent/genomics/data/pdac_panel_grch38.bed. Its header cites sources and precision.
const GenePanel& PdacPanelGrch38();
// The BED text itself, for display or for writing next to results.
std::string_view PdacPanelGrch38Bed();

}  // namespace pancaim::genomics
