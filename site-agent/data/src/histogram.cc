#include "pancaim/site_data/histogram.h"

#include <algorithm>
#include <cstdio>

#include "pancaim/common/check.h"

namespace pancaim::sitedata {
namespace {

std::string FormatEdge(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%g", value);
  return buffer;
}

}  // namespace

Histogram::Histogram(std::string title, std::string unit, std::vector<double> edges)
    : title_(std::move(title)), unit_(std::move(unit)), edges_(std::move(edges)) {
  PANCAIM_CHECK(edges_.size() >= 2) << "histogram needs at least two edges";
  PANCAIM_CHECK(std::is_sorted(edges_.begin(), edges_.end())) << "edges must increase";
  counts_.assign(edges_.size() - 1, 0);
}

void Histogram::Add(double value) {
  ++total_;
  if (!(value >= edges_.front())) {  // also NaN
    ++underflow_;
    return;
  }
  if (value >= edges_.back()) {
    ++overflow_;
    return;
  }
  const auto bin = std::upper_bound(edges_.begin(), edges_.end(), value) - edges_.begin() - 1;
  ++counts_[static_cast<std::size_t>(bin)];
}

std::string Histogram::Render() const {
  std::int64_t peak = std::max(underflow_, overflow_);
  for (std::int64_t c : counts_) peak = std::max(peak, c);
  std::vector<std::pair<std::string, std::int64_t>> rows;
  if (underflow_ > 0) rows.emplace_back("< " + FormatEdge(edges_.front()), underflow_);
  for (std::size_t b = 0; b < counts_.size(); ++b) {
    rows.emplace_back("[" + FormatEdge(edges_[b]) + ", " + FormatEdge(edges_[b + 1]) + ")",
                      counts_[b]);
  }
  if (overflow_ > 0) rows.emplace_back(">= " + FormatEdge(edges_.back()), overflow_);
  std::size_t width = 0;
  for (const auto& row : rows) width = std::max(width, row.first.size());
  std::string out = "  " + title_ + " (" + unit_ + "), " + std::to_string(total_) + " values\n";
  for (const auto& [label, count] : rows) {
    const auto bar = peak > 0 ? static_cast<std::size_t>((count * 40 + peak - 1) / peak) : 0;
    out += "    " + label + std::string(width - label.size(), ' ') + "  " + std::string(bar, '#') +
           std::string(40 - bar, ' ') + "  " + std::to_string(count) + "\n";
  }
  return out;
}

nlohmann::json Histogram::ToJson() const {
  return {{"title", title_}, {"unit", unit_},         {"edges", edges_},    {"counts", counts_},
          {"underflow", underflow_}, {"overflow", overflow_}, {"total", total_}};
}

}  // namespace pancaim::sitedata
