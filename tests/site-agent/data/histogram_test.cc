// Tests of histogram.h.
#include "pancaim/site_data/histogram.h"

#include <gtest/gtest.h>

#include <cmath>

namespace pancaim::sitedata {
namespace {

TEST(Histogram, BinsUnderAndOverflow) {
  Histogram h("slice spacing", "mm", {0, 1, 2.5, 5});
  for (double v : {0.5, 1.0, 2.4, 2.5, 4.99, 5.0, -1.0, std::nan("")}) h.Add(v);
  EXPECT_EQ(h.counts(), (std::vector<std::int64_t>{1, 2, 2}));
  EXPECT_EQ(h.total(), 8);
  const auto json = h.ToJson();
  EXPECT_EQ(json.at("underflow"), 2);
  EXPECT_EQ(json.at("overflow"), 1);
  const std::string text = h.Render();
  EXPECT_NE(text.find("slice spacing (mm), 8 values"), std::string::npos);
  EXPECT_NE(text.find("[1, 2.5)"), std::string::npos);
  EXPECT_NE(text.find(">= 5"), std::string::npos);
  EXPECT_NE(text.find(std::string(40, '#')), std::string::npos);  // the fullest bins
}

}  // namespace
}  // namespace pancaim::sitedata
