// The site agent against an in-process coordinator over real mutual TLS: it joins, trains every
// round of a submitted run through the model zoo on its own data, sends only weights and aggregate
// metrics (checked frame by frame against the patient ids of its manifest), and redials on its own
// after the coordinator restarts.
#include "pancaim/site_runtime/site_agent.h"

#include <mutex>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "../dataset/tiny_cohort.h"
#include "pancaim/common/files.h"
#include "pancaim/coordinator/coordinator_config.h"
#include "pancaim/coordinator/server/coordinator_service.h"
#include "pancaim/coordinator/server/operator_client.h"
#include "pancaim/coordinator/server/zoo_model_factory.h"
#include "pancaim/crypto/tls_context.h"
#include "pancaim/model_zoo/registry.h"
#include "pancaim/site_data/site_config.h"
#include "pancaim/site_dataset/site_dataset.h"
#include "pancaim/tensorio/tensor_map.h"
#include "pancaim/transport/io_thread_pool.h"
#include "test_pki.h"

namespace pancaim::site_runtime {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using crypto::Role;
using sitedataset::testing::TinyCohort;
using sitedataset::testing::TinySiteConfig;

struct Frame {
  nlohmann::json header;
  std::string payload;
};

class SiteAgentTest : public ::testing::Test {
 protected:
  SiteAgentTest()
      : folder_("site-agent-test"), pki_(folder_.path()), pool_(2) {
    coordinator_ = pki_.Enroll(Role::kCoordinator, "coordinator", "coordinator", {}, {"localhost"});
    site_ = pki_.Enroll(Role::kSite, "alpha", "alpha");
    operator_ = pki_.Enroll(Role::kOperator, "alice", "alice");
    auto tls = crypto::TlsContext::Create(crypto::TlsContext::Side::kServer,
                                          pki_.Files(coordinator_));
    PANCAIM_CHECK(tls.ok()) << tls.status();
    server_tls_ = std::move(tls).value();
  }
  ~SiteAgentTest() override {
    if (agent_) agent_->Stop();
    if (agent_thread_.joinable()) agent_thread_.join();
    if (service_) service_->Stop();
    pool_.Stop();
  }

  void StartCoordinator(std::uint16_t port, bool resume) {
    nlohmann::json config = {
        {"server", {{"tls", {{"ca_file", "x"}, {"cert_file", "x"}, {"key_file", "x"},
                             {"crl_file", "x"}}}}},
        {"storage", {{"state_dir", (folder_.path() / "state").string()}}},
        {"operators", {{"allowed", {"alice"}}}},
        {"run_defaults", {{"round_deadline_seconds", 120}}}};
    auto validated = coordinator::CoordinatorConfigSchema().Validate(config, "coordinator.json");
    ASSERT_TRUE(validated.ok()) << validated.status();
    coordinator::server::CoordinatorServiceOptions options;
    options.config = *validated;
    options.resume = resume;
    options.model_factory = coordinator::server::ZooModelFactory();
    transport::ServerOptions server;
    server.port = port;
    options.server_options = server;
    options.tick_interval = 50ms;
    auto service = coordinator::server::CoordinatorService::Start(
        pool_.context(), [this]() -> boost::asio::ssl::context& { return server_tls_->native(); },
        std::move(options));
    ASSERT_TRUE(service.ok()) << service.status();
    service_ = std::move(service).value();
  }

  nlohmann::json Tls(const crypto::testing::PartyFiles& party) const {
    return {{"address", "127.0.0.1"},
            {"port", service_->port()},
            {"server_name", "localhost"},
            {"ca_file", pki_.ca_cert_path().string()},
            {"cert_file", party.cert_path.string()},
            {"key_file", party.key_path.string()},
            {"crl_file", pki_.crl_path().string()}};
  }

  // site.json for site alpha of the tiny cohort, pointing at the coordinator.
  fs::path WriteSiteConfig() {
    nlohmann::json site = TinySiteConfig(folder_.path() / "cache");
    site["site"]["manifest"] = (TinyCohort() / "alpha" / "manifest.csv").string();
    site["coordinator"] = Tls(site_);
    site["policy"] = {{"allowed_models", {"genomics-mlp"}}, {"min_patients_per_round", 2}};
    const fs::path path = folder_.path() / "site.json";
    PANCAIM_CHECK(WriteFileAtomic(path, site.dump(2)).ok());
    return path;
  }

  fs::path WriteOperatorConfig() {
    const fs::path path = folder_.path() / "operator.json";
    PANCAIM_CHECK(WriteFileAtomic(path, nlohmann::json{{"coordinator", Tls(operator_)}}.dump()).ok());
    return path;
  }

  void StartAgent() {
    SiteAgentOptions options;
    options.config_path = WriteSiteConfig();
    options.trainer.device = "cpu";
    options.trainer.threads = 1;
    options.backoff.initial = 100ms;
    options.backoff.max = 500ms;
    options.observer = [this](const nlohmann::json& header, std::string_view payload) {
      std::lock_guard lock(frames_mutex_);
      frames_.push_back({header, std::string(payload)});
    };
    auto agent = SiteAgent::Create(options);
    ASSERT_TRUE(agent.ok()) << agent.status();
    agent_ = std::move(agent).value();
    agent_thread_ = std::thread([this] { agent_->Run(); });
  }

  protocol::Message OperatorMessage(std::string run_id, protocol::MessageBody body) {
    protocol::Message message;
    message.run_id = std::move(run_id);
    message.sender_role = protocol::Role::kOperator;
    message.body = std::move(body);
    return message;
  }

  // Polls the run's status until it leaves pending/running, up to `limit`.
  protocol::RunStatus WaitForRun(const fs::path& operator_config, const std::string& run_id,
                                 std::chrono::seconds limit) {
    protocol::RunStatus last;
    const auto until = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < until) {
      auto reply = coordinator::server::OperatorRequest(
          operator_config, OperatorMessage(run_id, protocol::StatusRequest{}), 10s);
      if (reply.ok()) {
        const auto& runs = std::get<protocol::StatusResponse>(reply->message.body).runs;
        if (!runs.empty()) last = runs.front();
        if (last.state != "pending" && last.state != "running") return last;
      }
      std::this_thread::sleep_for(200ms);
    }
    return last;
  }

  nlohmann::json ModelConfig() {
    sitedataset::SiteDatasetOptions options;
    options.modalities = {.genomics = true, .clinical = true};
    auto validated = sitedata::SiteConfigSchema().Validate(TinySiteConfig(folder_.path() / "c2"),
                                                           "site.json");
    PANCAIM_CHECK(validated.ok());
    auto config = sitedata::SiteConfigFromJson(*validated, TinyCohort() / "alpha");
    PANCAIM_CHECK(config.ok());
    auto probe = sitedataset::SiteDataset::Open(*config, sitedataset::Split::kTrain, options);
    PANCAIM_CHECK(probe.ok()) << probe.status();
    return {{"genomics_features", (*probe)->genomics_names().size()},
            {"clinical_features", (*probe)->clinical_names().size()},
            {"hidden", {8}}};
  }

  // Every patient id of the site's manifest (all splits).
  std::vector<std::string> PatientIds() {
    std::vector<std::string> ids;
    auto validated = sitedata::SiteConfigSchema().Validate(TinySiteConfig(folder_.path() / "c3"),
                                                           "site.json");
    auto config = sitedata::SiteConfigFromJson(*validated, TinyCohort() / "alpha");
    for (auto split : {sitedataset::Split::kTrain, sitedataset::Split::kValidation,
                       sitedataset::Split::kTest}) {
      sitedataset::SiteDatasetOptions options;
      options.modalities = {.clinical = true};
      auto data = sitedataset::SiteDataset::Open(*config, split, options);
      PANCAIM_CHECK(data.ok()) << data.status();
      for (const auto& id : (*data)->patient_ids()) ids.push_back(id);
    }
    return ids;
  }

  crypto::testing::TempFolder folder_;
  crypto::testing::TestPki pki_;
  crypto::testing::PartyFiles coordinator_, site_, operator_;
  transport::IoThreadPool pool_;
  std::unique_ptr<crypto::TlsContext> server_tls_;
  std::unique_ptr<coordinator::server::CoordinatorService> service_;
  std::unique_ptr<SiteAgent> agent_;
  std::thread agent_thread_;
  std::mutex frames_mutex_;
  std::vector<Frame> frames_;
};

TEST_F(SiteAgentTest, TrainsEveryRoundSendsOnlyWeightsAndMetricsAndRedials) {
  StartCoordinator(0, false);
  StartAgent();
  const fs::path operator_config = WriteOperatorConfig();
  const nlohmann::json model_config = ModelConfig();
  const nlohmann::json spec = {
      {"name", "agent-test"},
      {"model", {{"name", "genomics-mlp"}, {"config", model_config}}},
      // More than the agent's answer cache holds (8), with round numbers past 9: a cache that
      // forgot entries in key order instead of age once freed the update it was sending.
      {"rounds", 12},
      {"sites", {"alpha"}},
      {"min_sites", 1},
      {"strategy", {{"name", "fedavg"}}},
      {"seed", 11},
      {"training", {{"epochs", 1}, {"batch_size", 4}, {"learning_rate", 0.05}}}};
  auto submitted = coordinator::server::OperatorRequest(
      operator_config, OperatorMessage("", protocol::SubmitRun{spec}), 30s);
  ASSERT_TRUE(submitted.ok()) << submitted.status();
  const std::string run_id = submitted->message.run_id;
  const protocol::RunStatus done = WaitForRun(operator_config, run_id, 120s);
  ASSERT_EQ(done.state, "completed") << done.message;
  EXPECT_EQ(done.round, 12);
  EXPECT_GE(agent_->counters().trained, 12);

  // What left the site: only protocol frames a site may send, patient ids nowhere, and payloads
  // only on train_result, holding exactly the model's tensors.
  auto model = zoo::CreateModel("genomics-mlp", model_config);
  ASSERT_TRUE(model.ok());
  const tensorio::TensorMap reference = tensorio::StateDict(*model->module);
  const std::vector<std::string> patients = PatientIds();
  ASSERT_FALSE(patients.empty());
  std::vector<Frame> frames;
  {
    std::lock_guard lock(frames_mutex_);
    frames = frames_;
  }
  std::set<std::string> types;
  int updates = 0;
  for (const Frame& frame : frames) {
    const std::string type = frame.header.at("type").get<std::string>();
    types.insert(type);
    EXPECT_TRUE(protocol::CheckSiteOutboundHeader(frame.header).ok()) << frame.header.dump();
    const std::string text = frame.header.dump();
    for (const std::string& patient : patients) {
      EXPECT_EQ(text.find(patient), std::string::npos) << "patient id " << patient << " in " << text;
    }
    if (type != "train_result") {
      EXPECT_TRUE(frame.payload.empty()) << type;
      continue;
    }
    ++updates;
    auto decoded = tensorio::DecodeSafetensors(std::make_shared<const std::string>(frame.payload));
    ASSERT_TRUE(decoded.ok()) << decoded.status();
    ASSERT_EQ(decoded->tensors.size(), reference.size());
    for (const auto& [name, tensor] : reference) {
      ASSERT_TRUE(decoded->tensors.contains(name)) << name;
      EXPECT_EQ(decoded->tensors.at(name).sizes(), tensor.sizes()) << name;
    }
    for (const auto& [name, value] : frame.header.at("metrics").items()) {
      EXPECT_TRUE(value.is_number()) << name;
    }
  }
  EXPECT_EQ(updates, 12);
  for (const std::string& type : types) {
    EXPECT_TRUE(type == "hello" || type == "heartbeat" || type == "train_result" ||
                type == "evaluate_result" || type == "decline")
        << type;
  }

  // The coordinator goes away and comes back on the same port: the agent redials on its own.
  const std::uint16_t port = service_->port();
  const auto connections = agent_->counters().connections;
  service_->Stop();
  service_.reset();
  std::this_thread::sleep_for(500ms);
  StartCoordinator(port, true);
  const auto until = std::chrono::steady_clock::now() + 20s;
  while (agent_->counters().connections <= connections && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_GT(agent_->counters().connections, connections);
}

TEST_F(SiteAgentTest, RefusesASiteConfigWithoutCoordinatorFiles) {
  StartCoordinator(0, false);
  nlohmann::json site = TinySiteConfig(folder_.path() / "cache");
  site["site"]["manifest"] = (TinyCohort() / "alpha" / "manifest.csv").string();
  site["coordinator"] = {{"address", "127.0.0.1"}, {"port", 1}};
  const fs::path path = folder_.path() / "bad-site.json";
  ASSERT_TRUE(WriteFileAtomic(path, site.dump()).ok());
  SiteAgentOptions options;
  options.config_path = path;
  auto agent = SiteAgent::Create(options);
  ASSERT_FALSE(agent.ok());
  EXPECT_NE(agent.status().message().find("coordinator.ca_file"), std::string::npos)
      << agent.status();
  EXPECT_NE(agent.status().message().find("bad-site.json"), std::string::npos) << agent.status();
}

}  // namespace
}  // namespace pancaim::site_runtime
