// CoordinatorService over the real mutual-TLS transport: sites and an operator connect with
// certificates from a throw-away PKI; the sites are driven by hand (hello, train_result, decline).
#include "pancaim/coordinator/server/coordinator_service.h"

#include <filesystem>
#include <list>
#include <thread>

#include <gtest/gtest.h>

#include "../test_models.h"
#include "channel_test_pki.h"
#include "pancaim/coordinator/coordinator_config.h"
#include "pancaim/crypto/sha256.h"
#include "pancaim/protocol/messages.h"
#include "pancaim/transport/client.h"
#include "pancaim/transport/io_thread_pool.h"
#include "test_peers.h"

namespace pancaim::coordinator::server {
namespace {

using namespace std::chrono_literals;
using protocol::DType;
using transport::testing::Inbox;

class CoordinatorServiceTest : public ::testing::Test {
 protected:
  CoordinatorServiceTest() : pool_(2) {
    server_tls_ = pki_.ServerContext(pki_.Issue(crypto::Role::kCoordinator, "coordinator"));
    dir_ = std::filesystem::path(::testing::TempDir()) /
           ("svc-" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    std::filesystem::remove_all(dir_);
  }
  ~CoordinatorServiceTest() override {
    for (auto& c : connections_) c->Close();
    if (service_) service_->Stop();
    pool_.Stop();
  }

  void StartService() {
    nlohmann::json config = {
        {"server", {{"tls", {{"ca_file", "x"}, {"cert_file", "x"}, {"key_file", "x"},
                             {"crl_file", "x"}}}}},
        {"storage", {{"state_dir", dir_.string()}}},
        {"operators", {{"allowed", {"alice"}}}},
        {"run_defaults", {{"round_deadline_seconds", 30}}}};
    auto validated = CoordinatorConfigSchema().Validate(config, "coordinator.json");
    ASSERT_TRUE(validated.ok()) << validated.status();
    CoordinatorServiceOptions options;
    options.config = *validated;
    options.model_factory = [](const std::string&, const nlohmann::json&,
                               std::int64_t) -> StatusOr<std::string> {
      return testing::MakeModelBytes({{"w", DType::kF32, {2}, {0, 0}}});
    };
    transport::ServerOptions server_options;
    server_options.channel.heartbeat_interval = 200ms;
    server_options.channel.idle_timeout = 2000ms;
    options.server_options = server_options;
    options.tick_interval = 20ms;
    options.status_warnings = status_warnings_;
    auto service = CoordinatorService::Start(
        pool_.context(), [this]() -> boost::asio::ssl::context& { return server_tls_->native(); },
        std::move(options));
    ASSERT_TRUE(service.ok()) << service.status();
    service_ = std::move(service).value();
  }

  std::shared_ptr<transport::Connection> Connect(crypto::Role role, const std::string& id,
                                                 Inbox& inbox) {
    contexts_.push_back(pki_.ClientContext(pki_.Issue(role, id)));
    transport::ClientOptions options;
    options.port = service_->port();
    options.server_name = "localhost";
    options.channel.heartbeat_interval = 200ms;
    options.channel.idle_timeout = 2000ms;
    auto connection = transport::Connect(pool_.context(), contexts_.back()->native(), options,
                                         inbox.Handlers());
    EXPECT_TRUE(connection.ok()) << connection.status();
    connections_.push_back(*connection);
    return *connection;
  }

  // Next non-heartbeat message, parsed.
  protocol::Message Next(Inbox& inbox) {
    for (int i = 0; i < 50; ++i) {
      auto message = inbox.NextMessage(5000ms);
      if (!message.has_value()) break;
      auto parsed = protocol::ParseMessageJson(message->header);
      EXPECT_TRUE(parsed.ok()) << parsed.status() << " " << message->header.dump();
      if (!parsed.ok()) break;
      last_payload_ = message->payload;
      if (parsed->type() != protocol::MessageType::kHeartbeat) return *parsed;
    }
    ADD_FAILURE() << "no message";
    return {};
  }

  static protocol::Message Make(protocol::Role role, std::string run_id, std::int64_t round,
                                protocol::MessageBody body) {
    protocol::Message message;
    message.run_id = std::move(run_id);
    message.round = round;
    message.sender_role = role;
    message.body = std::move(body);
    return message;
  }

  transport::testing::TestPki pki_;
  transport::IoThreadPool pool_;
  std::unique_ptr<crypto::TlsContext> server_tls_;
  std::vector<std::unique_ptr<crypto::TlsContext>> contexts_;
  std::vector<std::shared_ptr<transport::Connection>> connections_;
  std::filesystem::path dir_;
  std::unique_ptr<CoordinatorService> service_;
  std::string last_payload_;
  std::list<Inbox> inboxes_;
  std::function<std::vector<std::string>()> status_warnings_;
};

TEST_F(CoordinatorServiceTest, OperatorSubmitsAndSitesTrainOneRound) {
  StartService();
  Inbox& a_inbox = inboxes_.emplace_back();
  Inbox& b_inbox = inboxes_.emplace_back();
  auto a = Connect(crypto::Role::kSite, "site-a", a_inbox);
  auto b = Connect(crypto::Role::kSite, "site-b", b_inbox);
  protocol::Hello hello;
  hello.device = "cpu";
  hello.dataset.num_train = 5;
  for (auto* c : {&a, &b}) {
    ASSERT_TRUE((*c)->Send(protocol::ToJson(Make(protocol::Role::kSite, "", 0, hello))).ok());
  }
  EXPECT_EQ(std::get<protocol::Welcome>(Next(a_inbox).body).site_id, "site-a");
  EXPECT_EQ(std::get<protocol::Welcome>(Next(b_inbox).body).site_id, "site-b");

  Inbox& op_inbox = inboxes_.emplace_back();
  auto op = Connect(crypto::Role::kOperator, "alice", op_inbox);
  protocol::SubmitRun submit;
  submit.run_spec = {{"model", {{"name", "tiny"}}}, {"rounds", 1}, {"min_sites", 2}};
  ASSERT_TRUE(op->Send(protocol::ToJson(Make(protocol::Role::kOperator, "", 0, submit))).ok());
  const protocol::Message ack = Next(op_inbox);
  ASSERT_EQ(ack.type(), protocol::MessageType::kAck) << protocol::ToJson(ack).dump();
  EXPECT_EQ(ack.run_id, "run-0001");

  // Both sites get the round-1 request with the model.
  for (auto* inbox : {&a_inbox, &b_inbox}) {
    const protocol::Message request = Next(*inbox);
    ASSERT_EQ(request.type(), protocol::MessageType::kTrainRequest);
    EXPECT_EQ(request.round, 1);
  }
  const std::string initial = testing::MakeModelBytes({{"w", DType::kF32, {2}, {0, 0}}});
  auto send_result = [&](std::shared_ptr<transport::Connection>& c, double v, std::int64_t n) {
    protocol::TrainResult result;
    result.base_model_sha256 = crypto::Sha256Hex(initial);
    result.num_samples = n;
    result.update_kind = protocol::UpdateKind::kWeights;
    result.metrics = {{"loss", v}};
    const std::string payload = testing::MakeModelBytes({{"w", DType::kF32, {2}, {v, v}}});
    result.payload_sha256 = crypto::Sha256Hex(payload);
    ASSERT_TRUE(c->Send(protocol::ToJson(Make(protocol::Role::kSite, "run-0001", 1, result)),
                        payload)
                    .ok());
  };
  send_result(a, 1.0, 1);
  send_result(b, 3.0, 3);

  // The operator sees the run complete with the aggregated metrics.
  protocol::RunStatus status;
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(op->Send(protocol::ToJson(Make(protocol::Role::kOperator, "run-0001", 0,
                                               protocol::StatusRequest{})))
                    .ok());
    const protocol::Message reply = Next(op_inbox);
    ASSERT_EQ(reply.type(), protocol::MessageType::kStatusResponse);
    status = std::get<protocol::StatusResponse>(reply.body).runs.at(0);
    if (status.state == "completed") break;
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(status.state, "completed") << status.message;
  EXPECT_DOUBLE_EQ(status.metrics.at("loss"), 2.5);

  // Export returns the aggregated model: (1*1 + 3*3) / 4 = 2.5.
  ASSERT_TRUE(op->Send(protocol::ToJson(Make(protocol::Role::kOperator, "run-0001", 0,
                                             protocol::ExportRequest{})))
                  .ok());
  const protocol::Message exported = Next(op_inbox);
  ASSERT_EQ(exported.type(), protocol::MessageType::kExportResponse);
  auto model = SafetensorsBuffer::FromBytes(last_payload_);
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_EQ(testing::ReadTensor(model->view(), "w"), (std::vector<double>{2.5, 2.5}));

  ASSERT_TRUE(op->Send(protocol::ToJson(Make(protocol::Role::kOperator, "", 0,
                                             protocol::SitesRequest{})))
                  .ok());
  const protocol::Message sites = Next(op_inbox);
  ASSERT_EQ(sites.type(), protocol::MessageType::kSitesResponse);
  EXPECT_EQ(std::get<protocol::SitesResponse>(sites.body).sites.size(), 2u);
}

TEST_F(CoordinatorServiceTest, RolesComeFromCertificates) {
  StartService();
  // A site may not submit runs, whatever its message claims.
  Inbox& site_inbox = inboxes_.emplace_back();
  auto site = Connect(crypto::Role::kSite, "site-a", site_inbox);
  protocol::SubmitRun submit;
  submit.run_spec = {{"model", {{"name", "tiny"}}}, {"rounds", 1}};
  ASSERT_TRUE(
      site->Send(protocol::ToJson(Make(protocol::Role::kOperator, "", 0, submit))).ok());
  EXPECT_EQ(Next(site_inbox).type(), protocol::MessageType::kError);
  // An operator not in operators.allowed is refused.
  Inbox& bob_inbox = inboxes_.emplace_back();
  auto bob = Connect(crypto::Role::kOperator, "bob", bob_inbox);
  ASSERT_TRUE(bob->Send(protocol::ToJson(Make(protocol::Role::kOperator, "", 0, submit))).ok());
  const protocol::Message refused = Next(bob_inbox);
  ASSERT_EQ(refused.type(), protocol::MessageType::kError);
  EXPECT_NE(std::get<protocol::ErrorMessage>(refused.body).message.find("operators.allowed"),
            std::string::npos);
}

TEST_F(CoordinatorServiceTest, OperatorPausesResumesAndAbortsRun) {
  StartService();
  Inbox& op_inbox = inboxes_.emplace_back();
  auto op = Connect(crypto::Role::kOperator, "alice", op_inbox);
  protocol::SubmitRun submit;
  submit.run_spec = {{"model", {{"name", "tiny"}}}, {"rounds", 3}, {"min_sites", 1}};
  ASSERT_TRUE(op->Send(protocol::ToJson(Make(protocol::Role::kOperator, "", 0, submit))).ok());
  ASSERT_EQ(Next(op_inbox).type(), protocol::MessageType::kAck);
  auto control = [&](const std::string& action) {
    EXPECT_TRUE(op->Send(protocol::ToJson(Make(protocol::Role::kOperator, "run-0001", 0,
                                               protocol::Control{action, "test"})))
                    .ok());
    return Next(op_inbox);
  };
  auto state = [&] {
    EXPECT_TRUE(op->Send(protocol::ToJson(Make(protocol::Role::kOperator, "run-0001", 0,
                                               protocol::StatusRequest{})))
                    .ok());
    return std::get<protocol::StatusResponse>(Next(op_inbox).body).runs.at(0).state;
  };
  EXPECT_EQ(state(), "pending");  // no site connected yet
  EXPECT_EQ(control("pause").type(), protocol::MessageType::kAck);
  EXPECT_EQ(state(), "paused");
  EXPECT_EQ(control("resume").type(), protocol::MessageType::kAck);
  EXPECT_EQ(control("abort").type(), protocol::MessageType::kAck);
  EXPECT_EQ(state(), "aborted");
  // A finished run cannot be paused; an unknown run is reported as such.
  EXPECT_EQ(control("pause").type(), protocol::MessageType::kError);
  EXPECT_TRUE(op->Send(protocol::ToJson(Make(protocol::Role::kOperator, "run-9999", 0,
                                             protocol::Control{"abort", ""})))
                  .ok());
  const protocol::Message missing = Next(op_inbox);
  ASSERT_EQ(missing.type(), protocol::MessageType::kError);
  EXPECT_NE(std::get<protocol::ErrorMessage>(missing.body).message.find("run-9999"),
            std::string::npos);
}

TEST_F(CoordinatorServiceTest, SitesEvaluateAndStatusShowsValidationMetricsAndWarnings) {
  status_warnings_ = [] { return std::vector<std::string>{"CA certificate expires in 3 days"}; };
  StartService();
  Inbox& a_inbox = inboxes_.emplace_back();
  auto a = Connect(crypto::Role::kSite, "site-a", a_inbox);
  protocol::Hello hello;
  hello.dataset.num_train = 5;
  ASSERT_TRUE(a->Send(protocol::ToJson(Make(protocol::Role::kSite, "", 0, hello))).ok());
  ASSERT_EQ(Next(a_inbox).type(), protocol::MessageType::kWelcome);
  Inbox& op_inbox = inboxes_.emplace_back();
  auto op = Connect(crypto::Role::kOperator, "alice", op_inbox);
  protocol::SubmitRun submit;
  submit.run_spec = {{"model", {{"name", "tiny"}}}, {"rounds", 1}, {"min_sites", 1}};
  ASSERT_TRUE(op->Send(protocol::ToJson(Make(protocol::Role::kOperator, "", 0, submit))).ok());
  ASSERT_EQ(Next(op_inbox).type(), protocol::MessageType::kAck);

  ASSERT_EQ(Next(a_inbox).type(), protocol::MessageType::kTrainRequest);
  protocol::TrainResult result;
  result.base_model_sha256 = crypto::Sha256Hex(last_payload_);
  result.num_samples = 4;
  result.update_kind = protocol::UpdateKind::kWeights;
  const std::string weights = testing::MakeModelBytes({{"w", DType::kF32, {2}, {1, 2}}});
  result.payload_sha256 = crypto::Sha256Hex(weights);
  ASSERT_TRUE(
      a->Send(protocol::ToJson(Make(protocol::Role::kSite, "run-0001", 1, result)), weights).ok());

  // After the round, the site is asked to evaluate the new global model on its validation split.
  const protocol::Message request = Next(a_inbox);
  ASSERT_EQ(request.type(), protocol::MessageType::kEvaluateRequest);
  EXPECT_EQ(request.run_id, "run-0001");
  EXPECT_EQ(request.round, 1);
  const auto& evaluate = std::get<protocol::EvaluateRequest>(request.body);
  EXPECT_EQ(evaluate.model_sha256, crypto::Sha256Hex(last_payload_));
  protocol::EvaluateResult evaluated;
  evaluated.model_sha256 = evaluate.model_sha256;
  evaluated.num_samples = 3;
  evaluated.metrics = {{"auc", 0.9}};
  ASSERT_TRUE(
      a->Send(protocol::ToJson(Make(protocol::Role::kSite, "run-0001", 1, evaluated))).ok());

  protocol::StatusResponse status;
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(op->Send(protocol::ToJson(Make(protocol::Role::kOperator, "run-0001", 0,
                                               protocol::StatusRequest{})))
                    .ok());
    status = std::get<protocol::StatusResponse>(Next(op_inbox).body);
    if (status.runs.at(0).metrics.contains("val_auc")) break;
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(status.runs.at(0).state, "completed");
  EXPECT_DOUBLE_EQ(status.runs.at(0).metrics.at("val_auc"), 0.9);
  EXPECT_EQ(status.warnings, std::vector<std::string>{"CA certificate expires in 3 days"});
}

}  // namespace
}  // namespace pancaim::coordinator::server
