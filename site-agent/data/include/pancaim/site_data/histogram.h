// A fixed-bin histogram for data reports (voxel spacing, slice thickness, resolution, age), with
// a text rendering for terminals and a JSON form for machines.
//
// A value type; not synchronized.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace pancaim::sitedata {

class Histogram {
 public:
  // Bins [edges[i], edges[i+1]); values below the first or at/above the last edge are counted as
  // under- and overflow. `edges` must be increasing with at least two entries (checked).
  Histogram(std::string title, std::string unit, std::vector<double> edges);

  void Add(double value);

  std::int64_t total() const { return total_; }
  const std::vector<std::int64_t>& counts() const { return counts_; }
  const std::string& title() const { return title_; }

  // Lines such as "  [0.50, 0.75) mm  ########  12"; empty bins are kept for shape.
  std::string Render() const;
  nlohmann::json ToJson() const;

 private:
  std::string title_;
  std::string unit_;
  std::vector<double> edges_;
  std::vector<std::int64_t> counts_;
  std::int64_t underflow_ = 0;
  std::int64_t overflow_ = 0;
  std::int64_t total_ = 0;
};

}  // namespace pancaim::sitedata
