#include "pancaim/model_zoo/sample.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

namespace pancaim::zoo {
namespace {

using ::testing::HasSubstr;

Sample MakeSample(const std::string& id) {
  Sample s;
  s.patient_id = id;
  return s;
}

TEST(SampleTest, ValidateAcceptsWellFormedSample) {
  Sample s = MakeSample("p1");
  s.ct = torch::zeros({1, 4, 5, 6});
  s.ct_mask = torch::zeros({4, 5, 6}, torch::kInt64);
  s.tiles = torch::zeros({3, 3, 8, 8});
  s.genomics = torch::zeros({7});
  s.clinical = torch::tensor({1.0f, std::nanf("")});
  s.clinical_missing = torch::tensor({false, true});
  s.labels.label = 1;
  s.labels.survival_time = 12.5;
  s.labels.event = true;
  EXPECT_TRUE(s.Validate().ok()) << s.Validate();
}

TEST(SampleTest, ValidateNamesPatientAndField) {
  Sample s = MakeSample("p7");
  s.ct = torch::zeros({2, 4, 5, 6});
  Status st = s.Validate();
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(st.message(), HasSubstr("p7"));
  EXPECT_THAT(st.message(), HasSubstr("'ct'"));

  Sample m = MakeSample("p8");
  m.ct = torch::zeros({1, 4, 5, 6});
  m.ct_mask = torch::zeros({4, 5, 7}, torch::kInt64);
  EXPECT_THAT(m.Validate().message(), HasSubstr("ct_mask"));

  Sample c = MakeSample("p9");
  c.clinical = torch::tensor({std::nanf("")});
  EXPECT_THAT(c.Validate().message(), HasSubstr("not marked missing"));

  Sample t = MakeSample("p10");
  t.labels.survival_time = 3.0;
  EXPECT_THAT(t.Validate().message(), HasSubstr("together"));

  Sample g = MakeSample("p11");
  g.genomics = torch::zeros({3}, torch::kFloat64);
  EXPECT_THAT(g.Validate().message(), HasSubstr("dtype"));
}

TEST(SampleTest, CollateStacksWithPresenceMasks) {
  Sample a = MakeSample("a");
  a.ct = torch::ones({1, 2, 2, 2});
  a.genomics = torch::tensor({1.0f, 2.0f});
  a.tiles = torch::ones({2, 3, 4, 4});
  a.labels.label = 1;
  Sample b = MakeSample("b");
  b.clinical = torch::tensor({5.0f, std::nanf("")});
  b.clinical_missing = torch::tensor({false, true});
  b.tiles = torch::full({3, 3, 4, 4}, 2.0f);
  b.labels.survival_time = 4.0;
  b.labels.event = false;

  StatusOr<Batch> batch = Collate({a, b});
  ASSERT_TRUE(batch.ok()) << batch.status();
  EXPECT_EQ(batch->size, 2);
  EXPECT_EQ(batch->ct.sizes(), (std::vector<int64_t>{2, 1, 2, 2, 2}));
  EXPECT_TRUE(torch::equal(batch->ct_present, torch::tensor({true, false})));
  EXPECT_EQ(batch->ct[1].abs().sum().item<float>(), 0.0f);
  EXPECT_TRUE(torch::equal(batch->genomics_present, torch::tensor({true, false})));
  EXPECT_TRUE(torch::equal(batch->clinical_present, torch::tensor({false, true})));
  // Row 0 has no clinical data: every value counts as missing; NaN never survives collation.
  EXPECT_TRUE(torch::equal(batch->clinical_missing,
                           torch::tensor({true, true, false, true}).reshape({2, 2})));
  EXPECT_TRUE(torch::isfinite(batch->clinical).all().item<bool>());
  EXPECT_EQ(batch->tiles.size(0), 5);
  EXPECT_TRUE(torch::equal(batch->tile_bag, torch::tensor({0, 0, 1, 1, 1}, torch::kInt64)));
  EXPECT_TRUE(torch::equal(batch->tile_count, torch::tensor({2, 3}, torch::kInt64)));
  EXPECT_TRUE(torch::equal(batch->label, torch::tensor({1, -1}, torch::kInt64)));
  EXPECT_TRUE(torch::equal(batch->survival_present, torch::tensor({false, true})));
  EXPECT_FALSE(batch->image.defined());
}

TEST(SampleTest, CollateRefusesMismatchedShapes) {
  Sample a = MakeSample("a");
  a.ct = torch::ones({1, 2, 2, 2});
  Sample b = MakeSample("b");
  b.ct = torch::ones({1, 2, 2, 3});
  StatusOr<Batch> batch = Collate({a, b});
  ASSERT_FALSE(batch.ok());
  EXPECT_THAT(batch.status().message(), HasSubstr("'b'"));
}

TEST(SampleTest, SelectKeepsBagsOfChosenRows) {
  std::vector<Sample> samples;
  for (int i = 0; i < 3; ++i) {
    Sample s = MakeSample(std::string("p").append(std::to_string(i)));
    s.tiles = torch::full({i + 1, 3, 2, 2}, static_cast<float>(i));
    s.labels.label = i;
    samples.push_back(s);
  }
  StatusOr<Batch> batch = Collate(samples);
  ASSERT_TRUE(batch.ok());
  Batch sub = batch->Select({0, 2});
  EXPECT_EQ(sub.size, 2);
  EXPECT_EQ(sub.patient_ids, (std::vector<std::string>{"p0", "p2"}));
  EXPECT_EQ(sub.tiles.size(0), 4);
  EXPECT_TRUE(torch::equal(sub.tile_bag, torch::tensor({0, 1, 1, 1}, torch::kInt64)));
  EXPECT_EQ(sub.tiles[3].mean().item<float>(), 2.0f);
  EXPECT_TRUE(torch::equal(sub.label, torch::tensor({0, 2}, torch::kInt64)));
}

TEST(SampleTest, InMemoryDatasetBoundsChecked) {
  InMemoryDataset data({MakeSample("x")});
  EXPECT_EQ(data.Size(), 1);
  EXPECT_TRUE(data.Get(0).ok());
  EXPECT_EQ(data.Get(1).status().code(), StatusCode::kOutOfRange);
  EXPECT_EQ(data.Get(-1).status().code(), StatusCode::kOutOfRange);
}

}  // namespace
}  // namespace pancaim::zoo
