#include "pancaim/site_dataset/concat_dataset.h"

#include <gtest/gtest.h>

namespace pancaim::sitedataset {
namespace {

std::shared_ptr<const zoo::Dataset> Part(const std::string& prefix, int n) {
  std::vector<zoo::Sample> samples;
  for (int i = 0; i < n; ++i) {
    zoo::Sample sample;
    sample.patient_id = prefix + std::to_string(i);
    samples.push_back(sample);
  }
  return std::make_shared<zoo::InMemoryDataset>(std::move(samples));
}

TEST(ConcatDatasetTest, IndexesThePartsInOrderSkippingEmptyOnes) {
  ConcatDataset pooled({Part("a", 2), Part("e", 0), Part("b", 3), Part("z", 0)});
  ASSERT_EQ(pooled.Size(), 5);
  std::vector<std::string> ids;
  for (std::int64_t i = 0; i < pooled.Size(); ++i) ids.push_back(pooled.Get(i).value().patient_id);
  EXPECT_EQ(ids, (std::vector<std::string>{"a0", "a1", "b0", "b1", "b2"}));
}

TEST(ConcatDatasetTest, EmptyWhenNoParts) { EXPECT_EQ(ConcatDataset({}).Size(), 0); }

}  // namespace
}  // namespace pancaim::sitedataset
