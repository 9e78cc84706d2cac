#include "pancaim/site_dataset/site_dataset.h"

#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <set>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "pancaim/model_zoo/registry.h"
#include "pancaim/model_zoo/trainer.h"
#include "pancaim/site_data/clinical_table.h"
#include "pancaim/site_data/manifest.h"
#include "tiny_cohort.h"

namespace pancaim::sitedataset {
namespace {
namespace fs = std::filesystem;
using testing::CopySite;
using testing::TinyCohort;
using testing::TinySiteConfig;

fs::path FreshCache() {
  const fs::path dir = fs::temp_directory_path() /
                       ("site-dataset-cache-" + std::to_string(::getpid()) + "-" +
                        std::to_string(std::rand()));
  fs::remove_all(dir);
  return dir;
}

std::unique_ptr<SiteDataset> OpenOrDie(const fs::path& site_dir, Split split,
                                       const SiteDatasetOptions& options, const fs::path& cache) {
  auto dataset = SiteDataset::Open(TinySiteConfig(cache), site_dir, split, options);
  EXPECT_TRUE(dataset.ok()) << dataset.status();
  if (!dataset.ok()) std::abort();
  return std::move(dataset).value();
}

sitedata::Manifest ReadAlphaManifest() {
  auto manifest = sitedata::ReadManifest(TinyCohort() / "alpha" / "manifest.csv");
  EXPECT_TRUE(manifest.ok()) << manifest.status();
  return *manifest;
}

void Truncate(const fs::path& file, std::uintmax_t keep) {
  ASSERT_TRUE(fs::exists(file)) << file;
  fs::resize_file(file, keep);
}

TEST(SiteDatasetTest, ReadsEveryModalityOfTheSplit) {
  const fs::path site = TinyCohort() / "alpha";
  auto dataset = OpenOrDie(site, Split::kTrain, {}, FreshCache());
  const sitedata::Manifest manifest = ReadAlphaManifest();
  std::vector<std::string> expected;
  for (const auto& patient : manifest.patients) {
    if (patient.split == Split::kTrain) expected.push_back(patient.patient_id);
  }
  EXPECT_EQ(dataset->patient_ids(), expected);
  ASSERT_GT(dataset->Size(), 3);
  EXPECT_EQ(dataset->genomics_names().size(), 3u * 18u);
  EXPECT_EQ(dataset->clinical_names(), sitedata::ClinicalFeatureNames());

  int with_ct = 0, with_tiles = 0, with_genomics = 0;
  std::vector<zoo::Sample> samples;
  for (std::int64_t i = 0; i < dataset->Size(); ++i) {
    auto sample = dataset->Get(i);
    ASSERT_TRUE(sample.ok()) << sample.status();
    ASSERT_TRUE(sample->Validate().ok()) << sample->Validate();
    const auto& record = *std::find_if(manifest.patients.begin(), manifest.patients.end(),
                                       [&](const auto& p) { return p.patient_id == sample->patient_id; });
    EXPECT_EQ(sample->ct.has_value(), record.ct_path.has_value());
    EXPECT_EQ(sample->genomics.has_value(), record.vcf_path.has_value());
    if (sample->ct) {
      ++with_ct;
      EXPECT_EQ(sample->ct->sizes(), (std::vector<std::int64_t>{1, 8, 16, 16}));
      EXPECT_GE(sample->ct->min().item<float>(), 0.0f);  // window_to_unit
      EXPECT_LE(sample->ct->max().item<float>(), 1.0f);
    }
    if (sample->tiles) {
      ++with_tiles;
      EXPECT_EQ(sample->tiles->size(1), 3);
      EXPECT_EQ(sample->tiles->size(2), 32);
      EXPECT_LE(sample->tiles->size(0), 4);
    }
    if (sample->genomics) {
      ++with_genomics;
      EXPECT_EQ(sample->genomics->size(0), 54);
    }
    ASSERT_TRUE(sample->clinical.has_value());
    EXPECT_EQ(sample->clinical->size(0), 4);
    EXPECT_TRUE(sample->labels.label.has_value());
    EXPECT_TRUE(sample->labels.survival_time.has_value());
    samples.push_back(*sample);
  }
  EXPECT_GT(with_ct, 0);
  EXPECT_GT(with_tiles, 0);
  EXPECT_GT(with_genomics, 0);
  auto batch = zoo::Collate(samples);
  ASSERT_TRUE(batch.ok()) << batch.status();
  EXPECT_EQ(batch->size, dataset->Size());
  EXPECT_TRUE(dataset->failures().empty());
}

TEST(SiteDatasetTest, ClinicalStatisticsComeFromTheTrainingSplitOnly) {
  const fs::path site = TinyCohort() / "alpha";
  SiteDatasetOptions options;
  options.modalities = {.clinical = true};
  auto test = OpenOrDie(site, Split::kTest, options, FreshCache());
  const sitedata::Manifest manifest = ReadAlphaManifest();
  std::vector<sitedata::DataIssue> issues;
  auto table = sitedata::ClinicalTable::FromManifest(manifest, false, &issues);
  ASSERT_TRUE(table.ok());
  auto stats = table->FitNormalisation();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(test->clinical_stats().mean, stats->mean);
  EXPECT_EQ(test->clinical_stats().stddev, stats->stddev);
  // A test patient's normalised age is (age - training mean) / training sd.
  ASSERT_GT(test->Size(), 0);
  auto sample = test->Get(0);
  ASSERT_TRUE(sample.ok());
  const auto& row = *std::find_if(table->rows().begin(), table->rows().end(),
                                  [&](const auto& r) { return r.patient_id == sample->patient_id; });
  ASSERT_TRUE(row.age.has_value());
  EXPECT_NEAR(sample->clinical->index({0}).item<float>(),
              (*row.age - stats->mean[0]) / stats->stddev[0], 1e-4);
  EXPECT_FALSE(sample->ct.has_value());  // not requested
  EXPECT_FALSE(sample->genomics.has_value());

  // Statistics given by the caller replace the fitted ones.
  sitedata::NormalisationStats given = *stats;
  given.mean[0] = 0;
  given.stddev[0] = 1;
  options.clinical_stats = given;
  auto rescaled = OpenOrDie(site, Split::kTest, options, FreshCache());
  auto again = rescaled->Get(0);
  ASSERT_TRUE(again.ok());
  EXPECT_NEAR(again->clinical->index({0}).item<float>(), *row.age, 1e-3);
}

TEST(SiteDatasetTest, TilesAreRedrawnPerEpochAndReproducible) {
  const fs::path site = TinyCohort() / "alpha";
  SiteDatasetOptions options;
  options.modalities = {.slides = true};
  options.required = {.slides = true};
  auto dataset = OpenOrDie(site, Split::kTrain, options, FreshCache());
  ASSERT_GT(dataset->Size(), 0);
  auto first = dataset->Get(0);
  ASSERT_TRUE(first.ok()) << first.status();
  auto same = dataset->Get(0);
  ASSERT_TRUE(same.ok());
  EXPECT_TRUE(torch::equal(*first->tiles, *same->tiles));
  dataset->set_epoch(1);
  auto next = dataset->Get(0);
  ASSERT_TRUE(next.ok());
  EXPECT_FALSE(first->tiles->sizes() == next->tiles->sizes() &&
               torch::equal(*first->tiles, *next->tiles));
  dataset->set_epoch(0);
  auto back = dataset->Get(0);
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(torch::equal(*first->tiles, *back->tiles));
}

TEST(SiteDatasetTest, CtVolumesAreCachedInMemoryAndOnDisk) {
  const fs::path site = TinyCohort() / "alpha";
  const fs::path cache = FreshCache();
  SiteDatasetOptions options;
  options.modalities = {.ct = true};
  options.required = {.ct = true};
  options.include_ct_mask = true;
  auto dataset = OpenOrDie(site, Split::kTrain, options, cache);
  ASSERT_GT(dataset->Size(), 0);
  auto first = dataset->Get(0);
  ASSERT_TRUE(first.ok()) << first.status();
  auto second = dataset->Get(0);
  ASSERT_TRUE(second.ok());
  EXPECT_TRUE(torch::equal(*first->ct, *second->ct));
  EXPECT_EQ(dataset->cache_stats().disk_misses, 1);
  EXPECT_EQ(dataset->cache_stats().memory_hits, 1);
  auto reopened = OpenOrDie(site, Split::kTrain, options, cache);
  auto third = reopened->Get(0);
  ASSERT_TRUE(third.ok());
  EXPECT_TRUE(torch::equal(*first->ct, *third->ct));
  EXPECT_EQ(reopened->cache_stats().disk_hits, 1);
  EXPECT_EQ(reopened->cache_stats().disk_misses, 0);
  fs::remove_all(cache);
}

TEST(SiteDatasetTest, RequiredModalitiesAndLabelsFilterPatients) {
  const fs::path site = TinyCohort() / "alpha";
  SiteDatasetOptions options;
  options.modalities = {.genomics = true, .clinical = true};
  options.required = {.genomics = true};
  options.labels = LabelRequirement::kPdac;
  auto dataset = OpenOrDie(site, Split::kTrain, options, FreshCache());
  const sitedata::Manifest manifest = ReadAlphaManifest();
  std::int64_t expected = 0;
  for (const auto& patient : manifest.patients) {
    expected += patient.split == Split::kTrain && patient.vcf_path.has_value();
  }
  EXPECT_EQ(dataset->Size(), expected);
  const DatasetSummary summary = dataset->summary();
  EXPECT_EQ(summary.size, expected);
  EXPECT_EQ(summary.pdac_positive + summary.pdac_negative, expected);
  EXPECT_EQ(summary.available.at("genomics"), expected);
  EXPECT_EQ(summary.patients_per_split.at("train") - expected, summary.excluded);
  std::int64_t total = 0;
  for (const auto& [split, count] : summary.patients_per_split) total += count;
  EXPECT_EQ(total, static_cast<std::int64_t>(manifest.patients.size()));
  const std::string json = summary.ToJson().dump();
  EXPECT_EQ(json.find("alpha-0"), std::string::npos) << "summary must not name patients";

  SiteDatasetOptions bad;
  bad.modalities = {.clinical = true};
  bad.required = {.ct = true};
  EXPECT_EQ(SiteDataset::Open(TinySiteConfig(FreshCache()), site, Split::kTrain, bad).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(SiteDatasetTest, BadFilesAreSkippedCountedAndNamed) {
  const fs::path site = CopySite("alpha");
  auto manifest = sitedata::ReadManifest(site / "manifest.csv");
  ASSERT_TRUE(manifest.ok());
  // The first training patient with each modality gets a damaged file.
  std::optional<fs::path> vcf, ct, slide;
  for (const auto& p : manifest->patients) {
    if (p.split != Split::kTrain) continue;
    if (!vcf && p.vcf_path) vcf = *p.vcf_path;
    if (!ct && p.ct_path) ct = *p.ct_path;
    if (!slide && !p.slide_paths.empty()) slide = p.slide_paths.front();
  }
  ASSERT_TRUE(vcf && ct && slide);
  Truncate(*vcf, 40);
  Truncate(*ct, 100);
  Truncate(*slide, 300);

  const fs::path cache = FreshCache();
  auto dataset = OpenOrDie(site, Split::kTrain, {}, cache);
  for (std::int64_t i = 0; i < dataset->Size(); ++i) {
    auto sample = dataset->Get(i);
    ASSERT_TRUE(sample.ok()) << sample.status();
  }
  for (std::int64_t i = 0; i < dataset->Size(); ++i) ASSERT_TRUE(dataset->Get(i).ok());  // again
  const auto failures = dataset->failures();
  ASSERT_EQ(failures.size(), 3u);
  std::set<std::string> files;
  for (const auto& failure : failures) {
    files.insert(failure.file);
    EXPECT_FALSE(failure.message.empty());
  }
  EXPECT_EQ(files, (std::set<std::string>{vcf->string(), ct->string(), slide->string()}));
  const DatasetSummary summary = dataset->summary();
  EXPECT_EQ(summary.failures.at("genomics"), 1);
  EXPECT_EQ(summary.failures.at("ct"), 1);
  EXPECT_EQ(summary.failures.at("pathology"), 1);

  SiteDatasetOptions strict;
  strict.strict = true;
  auto refused = SiteDataset::Open(TinySiteConfig(cache), site, Split::kTrain, strict);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find(vcf->filename().string()), std::string::npos)
      << refused.status();
  fs::remove_all(site);
  fs::remove_all(cache);
}

TEST(SiteDatasetTest, ZooModelsTrainOnTheSiteDataset) {
  const fs::path site = TinyCohort() / "alpha";
  SiteDatasetOptions options;
  options.modalities = {.genomics = true, .clinical = true};
  options.required = {.genomics = true};
  options.labels = LabelRequirement::kPdac;
  auto dataset = OpenOrDie(site, Split::kTrain, options, FreshCache());
  auto model = zoo::CreateModel(
      "genomics-mlp",
      {{"genomics_features", dataset->genomics_names().size()},
       {"clinical_features", dataset->clinical_names().size()},
       {"hidden", {8}}},
      1);
  ASSERT_TRUE(model.ok()) << model.status();
  zoo::TrainOptions train;
  train.epochs = 20;
  train.batch_size = 4;
  train.optimizer = "adam";
  train.learning_rate = 0.01;
  train.device = "cpu";
  train.threads = 1;
  auto result = zoo::Train(*model, *dataset, train);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_LT(result->epoch_loss.back(), result->epoch_loss.front());

  // fusion-survival over every modality, absent ones masked.
  SiteDatasetOptions all;
  all.labels = LabelRequirement::kSurvival;
  auto multimodal = OpenOrDie(site, Split::kTrain, all, FreshCache());
  auto fusion = zoo::CreateModel(
      "fusion-survival",
      {{"genomics_features", multimodal->genomics_names().size()},
       {"clinical_features", multimodal->clinical_names().size()},
       {"embed_dim", 8},
       {"attention_dim", 4},
       {"hidden", {8}},
       {"ct", {{"width", 4}, {"stages", 2}, {"groups", 2}}},
       {"mil", {{"cnn_width", 4}, {"groups", 2}, {"embed_dim", 8}, {"attention_dim", 4}}}},
      2);
  ASSERT_TRUE(fusion.ok()) << fusion.status();
  train.epochs = 2;
  train.batch_size = 64;  // every batch has events for the Cox likelihood
  auto fused = zoo::Train(*fusion, *multimodal, train);
  ASSERT_TRUE(fused.ok()) << fused.status();
  EXPECT_TRUE(std::isfinite(fused->final_loss));
}

}  // namespace
}  // namespace pancaim::sitedataset
