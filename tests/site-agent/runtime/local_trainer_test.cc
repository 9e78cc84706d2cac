// LocalTrainer over the tiny two-site cohort: a train_request from a real global model gives a
// train_result with trained weights (deterministic for a seed), delta and faulty updates are what
// they claim, evaluation reports the split's metrics, and bad requests are refused.
#include "pancaim/site_runtime/local_trainer.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "../dataset/tiny_cohort.h"
#include "pancaim/crypto/sha256.h"
#include "pancaim/model_zoo/registry.h"
#include "pancaim/site_data/site_config.h"
#include "pancaim/site_runtime/dataset_for_model.h"
#include "pancaim/tensorio/tensor_map.h"

namespace pancaim::site_runtime {
namespace {

namespace fs = std::filesystem;
using sitedataset::testing::TinyCohort;
using sitedataset::testing::TinySiteConfig;

class LocalTrainerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    site_dir_ = TinyCohort() / "alpha";
    cache_ = fs::path(::testing::TempDir()) / "local-trainer-cache";
    auto validated = sitedata::SiteConfigSchema().Validate(TinySiteConfig(cache_), "site.json");
    ASSERT_TRUE(validated.ok()) << validated.status();
    auto config = sitedata::SiteConfigFromJson(*validated, site_dir_);
    ASSERT_TRUE(config.ok()) << config.status();
    config_ = *config;
    // The feature layout the federation would agree on: this site's panel and clinical columns.
    sitedataset::SiteDatasetOptions options;
    options.modalities = {.genomics = true, .clinical = true};
    auto probe = sitedataset::SiteDataset::Open(config_, sitedataset::Split::kTrain, options);
    ASSERT_TRUE(probe.ok()) << probe.status();
    model_config_ = {{"genomics_features", (*probe)->genomics_names().size()},
                     {"clinical_features", (*probe)->clinical_names().size()},
                     {"hidden", {8}}};
  }

  // A train_request for genomics-mlp from freshly initialised weights.
  protocol::Message Request(protocol::UpdateKind kind = protocol::UpdateKind::kWeights,
                            std::int64_t seed = 7) {
    auto model = zoo::CreateModel("genomics-mlp", model_config_, 3);
    EXPECT_TRUE(model.ok()) << model.status();
    auto bytes = tensorio::EncodeSafetensors(tensorio::StateDict(*model->module));
    EXPECT_TRUE(bytes.ok());
    global_ = std::make_shared<const std::string>(*bytes);
    protocol::TrainRequest request;
    request.model_name = "genomics-mlp";
    request.model_config = model_config_;
    request.base_model_sha256 = crypto::Sha256Hex(*global_);
    request.hyperparameters.epochs = 2;
    request.hyperparameters.batch_size = 4;
    request.hyperparameters.learning_rate = 0.05;
    request.hyperparameters.seed = seed;
    request.update_kind = kind;
    protocol::Message message;
    message.run_id = "run-1";
    message.round = 1;
    message.sender_role = protocol::Role::kCoordinator;
    message.body = request;
    return message;
  }

  static tensorio::TensorMap Decode(const std::string& bytes) {
    auto decoded = tensorio::DecodeSafetensors(std::make_shared<const std::string>(bytes));
    EXPECT_TRUE(decoded.ok()) << decoded.status();
    return decoded.ok() ? decoded->tensors : tensorio::TensorMap{};
  }

  LocalTrainer MakeTrainer(AgentFault fault = {}) {
    LocalTrainerOptions options;
    options.device = "cpu";
    options.threads = 1;
    options.fault = fault;
    return LocalTrainer(config_, options);
  }

  fs::path site_dir_, cache_;
  sitedata::SiteConfig config_;
  nlohmann::json model_config_;
  std::shared_ptr<const std::string> global_;
};

TEST_F(LocalTrainerTest, TrainsTheGlobalModelAndReturnsItsWeights) {
  LocalTrainer trainer = MakeTrainer();
  const protocol::Message request = Request();
  auto reply = trainer.Train(request, global_, nullptr);
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->message.type(), protocol::MessageType::kTrainResult);
  EXPECT_EQ(reply->message.run_id, "run-1");
  EXPECT_EQ(reply->message.round, 1);
  const auto& result = std::get<protocol::TrainResult>(reply->message.body);
  EXPECT_EQ(result.base_model_sha256, crypto::Sha256Hex(*global_));
  EXPECT_EQ(result.payload_sha256, crypto::Sha256Hex(reply->payload));
  auto patients = trainer.TrainingPatients(std::get<protocol::TrainRequest>(request.body));
  ASSERT_TRUE(patients.ok());
  EXPECT_EQ(result.num_samples, *patients);
  EXPECT_GT(result.num_samples, 0);
  EXPECT_TRUE(result.metrics.contains("train_loss"));
  // Same tensor names and shapes as the global model, and training changed the weights.
  const auto before = Decode(*global_);
  const auto after = Decode(reply->payload);
  ASSERT_EQ(before.size(), after.size());
  double change = 0;
  for (const auto& [name, tensor] : before) {
    ASSERT_TRUE(after.contains(name)) << name;
    EXPECT_EQ(after.at(name).sizes(), tensor.sizes()) << name;
    if (tensor.is_floating_point()) change += (after.at(name) - tensor).abs().sum().item<double>();
  }
  EXPECT_GT(change, 0);
}

TEST_F(LocalTrainerTest, SameRequestGivesBitIdenticalUpdate) {
  LocalTrainer first = MakeTrainer();
  LocalTrainer second = MakeTrainer();
  const protocol::Message request = Request();
  auto a = first.Train(request, global_, nullptr);
  auto b = second.Train(request, global_, nullptr);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->payload, b->payload);
}

TEST_F(LocalTrainerTest, DeltaAndScaledFaultAreWhatTheyClaim) {
  LocalTrainer honest = MakeTrainer();
  const protocol::Message as_weights = Request(protocol::UpdateKind::kWeights);
  const protocol::Message as_delta = Request(protocol::UpdateKind::kDelta);
  auto weights = honest.Train(as_weights, global_, nullptr);
  auto delta = honest.Train(as_delta, global_, nullptr);
  LocalTrainer byzantine = MakeTrainer(AgentFault{AgentFault::Kind::kScale, 5.0});
  auto scaled = byzantine.Train(as_delta, global_, nullptr);
  ASSERT_TRUE(weights.ok() && delta.ok() && scaled.ok());
  const auto base = Decode(*global_);
  const auto w = Decode(weights->payload);
  const auto d = Decode(delta->payload);
  const auto s = Decode(scaled->payload);
  for (const auto& [name, tensor] : base) {
    if (!tensor.is_floating_point()) continue;
    EXPECT_TRUE(torch::allclose(d.at(name), w.at(name) - tensor, 1e-6, 1e-7)) << name;
    EXPECT_TRUE(torch::allclose(s.at(name), d.at(name) * 5.0, 1e-4, 1e-6)) << name;
  }
}

TEST_F(LocalTrainerTest, RefusesAPayloadWhoseHashDiffers) {
  LocalTrainer trainer = MakeTrainer();
  protocol::Message request = Request();
  auto tampered = std::make_shared<std::string>(*global_);
  (*tampered)[tampered->size() - 1] ^= 1;
  auto reply = trainer.Train(request, tampered, nullptr);
  EXPECT_EQ(reply.status().code(), StatusCode::kDataLoss);
}

TEST_F(LocalTrainerTest, RefusesAModelConfigThatDoesNotMatchTheSiteFeatures) {
  model_config_["genomics_features"] = 999;
  LocalTrainer trainer = MakeTrainer();
  const protocol::Message request = Request();
  auto reply = trainer.Train(request, global_, nullptr);
  EXPECT_EQ(reply.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(reply.status().message().find("999"), std::string::npos) << reply.status();
}

TEST_F(LocalTrainerTest, CancelStopsTraining) {
  LocalTrainer trainer = MakeTrainer();
  const protocol::Message request = Request();
  auto reply = trainer.Train(request, global_, [] { return true; });
  EXPECT_EQ(reply.status().code(), StatusCode::kCancelled);
}

TEST_F(LocalTrainerTest, EvaluatesOnTheHeldOutSplit) {
  LocalTrainer trainer = MakeTrainer();
  (void)Request();
  protocol::EvaluateRequest evaluate;
  evaluate.model_name = "genomics-mlp";
  evaluate.model_config = model_config_;
  evaluate.model_sha256 = crypto::Sha256Hex(*global_);
  evaluate.split = "test";
  protocol::Message message;
  message.run_id = "run-1";
  message.round = 2;
  message.sender_role = protocol::Role::kCoordinator;
  message.body = evaluate;
  auto reply = trainer.Evaluate(message, global_);
  ASSERT_TRUE(reply.ok()) << reply.status();
  const auto& result = std::get<protocol::EvaluateResult>(reply->message.body);
  EXPECT_EQ(reply->message.round, 2);
  EXPECT_EQ(result.split, "test");
  EXPECT_GT(result.num_samples, 0);
  EXPECT_TRUE(result.metrics.contains("loss"));
  evaluate.split = "everything";
  message.body = evaluate;
  EXPECT_EQ(trainer.Evaluate(message, global_).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(LocalTrainerTest, SummaryHoldsCountsOnly) {
  LocalTrainer trainer = MakeTrainer();
  auto summary = trainer.Summary();
  ASSERT_TRUE(summary.ok()) << summary.status();
  EXPECT_EQ(summary->num_patients, 14);
  EXPECT_EQ(summary->num_train + summary->num_validation + summary->num_test, 14);
  EXPECT_GT(summary->modality_counts.at("genomics"), 0);
}

// Every zoo model a site's data can feed trains through the agent's path (small configs sized to
// the tiny cohort: 16x16x8 CT crops, 32-pixel tiles) and evaluates on the validation split.
TEST_F(LocalTrainerTest, EveryImagingAndMultimodalModelTrainsThroughTheAgentPath) {
  const nlohmann::json backbone = {{"width", 4}, {"stages", 2}, {"groups", 2}};
  const nlohmann::json mil = {{"cnn_width", 4}, {"groups", 2}, {"embed_dim", 8},
                              {"attention_dim", 4}};
  const std::vector<std::pair<std::string, nlohmann::json>> models = {
      {"ct-cnn3d", {{"backbone", backbone}}},
      {"ct-unet3d", {{"width", 4}, {"depth", 2}, {"groups", 2}}},
      {"wsi-abmil", {{"mil", mil}}},
      {"fusion-survival",
       {{"genomics_features", model_config_["genomics_features"]},
        {"clinical_features", model_config_["clinical_features"]},
        {"embed_dim", 8}, {"attention_dim", 4}, {"hidden", {8}}, {"ct", backbone}, {"mil", mil}}},
  };
  for (const auto& [name, config] : models) {
    SCOPED_TRACE(name);
    auto model = zoo::CreateModel(name, config, 1);
    ASSERT_TRUE(model.ok()) << model.status();
    auto bytes = tensorio::EncodeSafetensors(tensorio::StateDict(*model->module));
    ASSERT_TRUE(bytes.ok());
    auto global = std::make_shared<const std::string>(*bytes);
    protocol::TrainRequest request;
    request.model_name = name;
    request.model_config = config;
    request.base_model_sha256 = crypto::Sha256Hex(*global);
    request.hyperparameters.epochs = 1;
    request.hyperparameters.batch_size = 2;
    request.hyperparameters.learning_rate = 0.01;
    protocol::Message message;
    message.run_id = "run-1";
    message.round = 1;
    message.sender_role = protocol::Role::kCoordinator;
    message.body = request;
    LocalTrainer trainer = MakeTrainer();
    auto reply = trainer.Train(message, global, nullptr);
    ASSERT_TRUE(reply.ok()) << reply.status();
    const auto& result = std::get<protocol::TrainResult>(reply->message.body);
    EXPECT_GT(result.num_samples, 0);
    EXPECT_TRUE(result.metrics.contains("train_loss"));
    EXPECT_EQ(Decode(reply->payload).size(), Decode(*global).size());

    protocol::EvaluateRequest evaluate;
    evaluate.model_name = name;
    evaluate.model_config = config;
    evaluate.model_sha256 = crypto::Sha256Hex(reply->payload);
    evaluate.split = "validation";
    evaluate.batch_size = 2;
    message.body = evaluate;
    auto evaluated = trainer.Evaluate(message, std::make_shared<const std::string>(reply->payload));
    ASSERT_TRUE(evaluated.ok()) << evaluated.status();
    EXPECT_TRUE(std::get<protocol::EvaluateResult>(evaluated->message.body).metrics.contains("loss"));
  }
}

TEST(AgentFaultTest, ParsesTheThreeKindsAndRefusesOthers) {
  EXPECT_EQ(AgentFault::Parse("scale=-3").value().value, -3);
  EXPECT_EQ(AgentFault::Parse("random").value().kind, AgentFault::Kind::kRandom);
  EXPECT_EQ(AgentFault::Parse("delay=2.5").value().value, 2.5);
  EXPECT_FALSE(AgentFault::Parse("delay=-1").ok());
  EXPECT_FALSE(AgentFault::Parse("scale=x").ok());
  EXPECT_FALSE(AgentFault::Parse("explode").ok());
}

TEST(DatasetForModelTest, MapsEachSiteModelToItsData) {
  auto mlp = DatasetOptionsForModel("genomics-mlp", {{"genomics_features", 4},
                                                     {"clinical_features", 0}});
  ASSERT_TRUE(mlp.ok());
  EXPECT_EQ(mlp->modalities.ToString(), "genomics");
  EXPECT_EQ(mlp->labels, sitedataset::LabelRequirement::kPdac);
  auto fusion = DatasetOptionsForModel("fusion-survival", {{"use_ct", false}, {"use_tiles", true},
                                                           {"genomics_features", 4},
                                                           {"clinical_features", 3}});
  ASSERT_TRUE(fusion.ok());
  EXPECT_EQ(fusion->modalities.ToString(), "slides,genomics,clinical");
  EXPECT_TRUE(fusion->required.empty());
  EXPECT_EQ(fusion->labels, sitedataset::LabelRequirement::kSurvival);
  EXPECT_TRUE(DatasetOptionsForModel("ct-unet3d", {}).value().include_ct_mask);
  EXPECT_EQ(DatasetOptionsForModel("mnist-cnn", {}).status().code(), StatusCode::kUnimplemented);
  EXPECT_EQ(DatasetOptionsForModel("gpt", {}).status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace pancaim::site_runtime
