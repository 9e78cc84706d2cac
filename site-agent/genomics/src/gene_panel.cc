#include "pancaim/genomics/gene_panel.h"

#include <algorithm>
#include <charconv>
#include <sstream>

#include "pancaim/common/files.h"

namespace pancaim::genomics {

namespace internal {
extern const std::string_view kPdacPanelGrch38Bed;
}  // namespace internal

GenePanel::GenePanel(std::vector<GeneRegion> regions) : regions_(std::move(regions)) {
  for (const GeneRegion& region : regions_) {
    if (GeneIndex(region.gene) < 0) genes_.push_back(region.gene);
  }
}

int GenePanel::GeneIndex(std::string_view gene) const {
  const auto it = std::find(genes_.begin(), genes_.end(), gene);
  return it == genes_.end() ? -1 : static_cast<int>(it - genes_.begin());
}

std::vector<std::string> GenePanel::Contigs() const {
  std::vector<std::string> contigs;
  for (const GeneRegion& region : regions_) {
    if (std::find(contigs.begin(), contigs.end(), region.contig) == contigs.end()) {
      contigs.push_back(region.contig);
    }
  }
  return contigs;
}

namespace {

std::vector<std::string_view> SplitFields(std::string_view line) {
  std::vector<std::string_view> fields;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == '\t' || line[i] == ' ')) ++i;
    const std::size_t start = i;
    while (i < line.size() && line[i] != '\t' && line[i] != ' ') ++i;
    if (i > start) fields.push_back(line.substr(start, i - start));
  }
  return fields;
}

bool ParseCoordinate(std::string_view text, std::int64_t* value) {
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), *value);
  return ec == std::errc() && ptr == text.data() + text.size() && *value >= 0;
}

}  // namespace

StatusOr<GenePanel> ParseBed(std::string_view text, std::string_view source) {
  std::vector<GeneRegion> regions;
  std::size_t line_number = 0;
  while (!text.empty()) {
    const std::size_t newline = text.find('\n');
    std::string_view line = text.substr(0, newline);
    text = newline == std::string_view::npos ? std::string_view() : text.substr(newline + 1);
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    const auto fields = SplitFields(line);
    if (fields.empty() || fields[0].starts_with('#') || fields[0] == "track" ||
        fields[0] == "browser") {
      continue;
    }
    const std::string where = std::string(source) + ":" + std::to_string(line_number) + ": ";
    if (fields.size() < 4) {
      return InvalidArgumentError(where + "expected chrom, start, end and gene name, got " +
                                  std::to_string(fields.size()) + " column(s)");
    }
    GeneRegion region{std::string(fields[0]), 0, 0, std::string(fields[3])};
    if (!ParseCoordinate(fields[1], &region.start) || !ParseCoordinate(fields[2], &region.end)) {
      return InvalidArgumentError(where + "start and end must be non-negative integers");
    }
    if (region.start >= region.end) {
      return InvalidArgumentError(where + "start " + std::to_string(region.start) +
                                  " is not before end " + std::to_string(region.end));
    }
    if (regions.size() >= kMaxBedRegions) {
      return ResourceExhaustedError(std::string(source) + ": more than " +
                                    std::to_string(kMaxBedRegions) + " regions");
    }
    regions.push_back(std::move(region));
  }
  if (regions.empty()) return InvalidArgumentError(std::string(source) + ": no regions");
  return GenePanel(std::move(regions));
}

StatusOr<GenePanel> ReadBedFile(const std::filesystem::path& path) {
  PANCAIM_ASSIGN_OR_RETURN(const std::string text, ReadFile(path, kMaxBedBytes));
  return ParseBed(text, path.string());
}

std::string_view PdacPanelGrch38Bed() { return internal::kPdacPanelGrch38Bed; }

const GenePanel& PdacPanelGrch38() {
  static const GenePanel* panel = [] {
    auto parsed = ParseBed(internal::kPdacPanelGrch38Bed, "pdac_panel_grch38.bed");
    PANCAIM_CHECK(parsed.ok()) << "shipped panel does not parse: " << parsed.status();
    return new GenePanel(std::move(parsed).value());
  }();
  return *panel;
}

}  // namespace pancaim::genomics
