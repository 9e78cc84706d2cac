// `pancaim-coordinator` as real processes: `serve` started as a child on an ephemeral port with
// a throw-away PKI, and the operator commands (submit, status, sites, pause, resume, abort,
// export) run against it as separate processes, as an operator would. Also the refusals (an
// operator not in operators.allowed, a missing config file), SIGTERM and `serve --resume`.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "pancaim/common/check.h"
#include "pancaim/common/files.h"
#include "pancaim/coordinator/safetensors_buffer.h"
#include "pancaim/crypto/sha256.h"
#include "test_pki.h"

namespace pancaim::coordinator::server {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const char kBinary[] = PANCAIM_COORDINATOR_BINARY;

// What a finished command printed and returned.
struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// `serve` as a child process: stdout on a pipe (for the "listening on port N" line), stderr in a
// log file shown when a test fails.
class ServeProcess {
 public:
  ServeProcess(const fs::path& config, bool resume, const fs::path& log) : log_(log) {
    int out[2];
    PANCAIM_CHECK(pipe(out) == 0);
    pid_ = fork();
    PANCAIM_CHECK(pid_ >= 0);
    if (pid_ == 0) {
      dup2(out[1], STDOUT_FILENO);
      const int err = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      dup2(err, STDERR_FILENO);
      close(out[0]);
      close(out[1]);
      std::vector<std::string> args = {kBinary, "serve", "--config", config.string()};
      if (resume) args.push_back("--resume");
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(kBinary, argv.data());
      _exit(127);
    }
    close(out[1]);
    out_ = out[0];
  }
  ~ServeProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (out_ >= 0) close(out_);
  }

  // The port from "listening on port N", or 0 after `timeout` (or when serve exited).
  int WaitForPort(std::chrono::milliseconds timeout) {
    const auto end = std::chrono::steady_clock::now() + timeout;
    std::string text;
    while (std::chrono::steady_clock::now() < end) {
      pollfd fd{out_, POLLIN, 0};
      if (poll(&fd, 1, 100) <= 0) continue;
      char buffer[256];
      const ssize_t n = read(out_, buffer, sizeof(buffer));
      if (n <= 0) return 0;
      text.append(buffer, static_cast<std::size_t>(n));
      const auto at = text.find("listening on port ");
      if (at != std::string::npos && text.find('\n', at) != std::string::npos) {
        return std::atoi(text.c_str() + at + 18);
      }
    }
    return 0;
  }

  // Sends SIGTERM and returns the exit code (-1 when it had to be killed after `timeout`).
  int Terminate(std::chrono::milliseconds timeout) {
    kill(pid_, SIGTERM);
    const auto end = std::chrono::steady_clock::now() + timeout;
    int status = 0;
    while (std::chrono::steady_clock::now() < end) {
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      usleep(20000);
    }
    return -1;
  }

  std::string Log() const { return ReadFile(log_).value_or(""); }

 private:
  fs::path log_;
  pid_t pid_ = -1;
  int out_ = -1;
};

class CoordinatorCliTest : public ::testing::Test {
 protected:
  CoordinatorCliTest() : temp_("coordinator-cli"), pki_(temp_.path()) {
    // The coordinator's certificate expires in 20 days: status must warn about it.
    crypto::SignOptions short_lived;
    short_lived.validity = std::chrono::days(20);
    const auto coordinator = pki_.Enroll(crypto::Role::kCoordinator, "coordinator",
                                         "coordinator", short_lived, {"localhost"});
    const json config = {
        {"server",
         {{"listen_address", "127.0.0.1"},
          {"port", 0},
          {"tls",
           {{"ca_file", pki_.ca_cert_path().string()},
            {"cert_file", coordinator.cert_path.string()},
            {"key_file", coordinator.key_path.string()},
            {"crl_file", pki_.crl_path().string()}}}}},
        {"storage", {{"state_dir", "state"}}},  // relative: resolved against the config folder
        {"operators", {{"allowed", {"alice"}}}}};
    config_ = temp_.path() / "coordinator.json";
    PANCAIM_CHECK(WriteFileAtomic(config_, config.dump(2)).ok());
    run_spec_ = temp_.path() / "run.json";
    const json run = {{"model",
                       {{"name", "genomics-mlp"},
                        {"config", {{"genomics_features", 4}, {"clinical_features", 2},
                                    {"hidden", {8}}}}}},
                      {"rounds", 2},
                      {"min_sites", 1},
                      {"seed", 3}};
    PANCAIM_CHECK(WriteFileAtomic(run_spec_, run.dump(2)).ok());
  }

  // operator.json as the scenarios' provisioner writes it (with the "operator" key); the
  // operator is enrolled on first use.
  fs::path OperatorConfig(const std::string& id, int port) {
    if (!operators_.contains(id)) operators_[id] = pki_.Enroll(crypto::Role::kOperator, id, id);
    const auto& party = operators_[id];
    const json config = {{"operator", id},
                         {"coordinator",
                          {{"address", "127.0.0.1"},
                           {"port", port},
                           {"server_name", "localhost"},
                           {"ca_file", pki_.ca_cert_path().string()},
                           {"cert_file", party.cert_path.string()},
                           {"key_file", party.key_path.string()},
                           {"crl_file", pki_.crl_path().string()}}}};
    const fs::path path = temp_.path() / (id + "-operator.json");
    PANCAIM_CHECK(WriteFileAtomic(path, config.dump(2)).ok());
    return path;
  }

  CommandResult Run(const std::string& args) {
    const fs::path out = temp_.path() / "cmd.out";
    const fs::path err = temp_.path() / "cmd.err";
    const std::string command = std::string(kBinary) + " " + args + " > " + out.string() +
                                " 2> " + err.string();
    const int status = std::system(command.c_str());
    CommandResult result;
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    result.out = ReadFile(out).value_or("");
    result.err = ReadFile(err).value_or("");
    return result;
  }

  // Runs an operator command with --json and parses its output.
  json RunJson(const std::string& args, int expected_exit = 0) {
    const CommandResult result = Run(args + " --json");
    EXPECT_EQ(result.exit_code, expected_exit) << args << "\n" << result.out << result.err;
    try {
      return json::parse(result.out);
    } catch (const json::exception& e) {
      ADD_FAILURE() << args << ": not JSON: " << result.out << result.err;
      return json::object();
    }
  }

  crypto::testing::TempFolder temp_;
  crypto::testing::TestPki pki_;
  fs::path config_;
  fs::path run_spec_;
  std::map<std::string, crypto::testing::PartyFiles> operators_;
};

// Each process start costs about a second (LibTorch's libraries load), so only a sample here;
// every subcommand's --help was checked by hand.
TEST_F(CoordinatorCliTest, CommandsHaveHelp) {
  for (const char* command : {"serve", "export"}) {
    const CommandResult result = Run(std::string(command) + " --help");
    EXPECT_EQ(result.exit_code, 0) << command << result.err;
    EXPECT_NE(result.out.find("--"), std::string::npos) << command << ": " << result.out;
  }
}

TEST_F(CoordinatorCliTest, ServeAndOperatorCommandsAsProcesses) {
  auto serve = std::make_unique<ServeProcess>(config_, false, temp_.path() / "serve1.log");
  const int port = serve->WaitForPort(std::chrono::seconds(20));
  ASSERT_GT(port, 0) << serve->Log();
  const fs::path alice = OperatorConfig("alice", port);
  const std::string as_alice = " --config " + alice.string();

  json status = RunJson("status" + as_alice);
  EXPECT_EQ(status["ok"], true);
  EXPECT_TRUE(status["runs"].empty()) << status.dump();
  ASSERT_EQ(status["warnings"].size(), 1u) << status.dump();
  const std::string warning = status["warnings"][0].get<std::string>();
  EXPECT_EQ(warning.rfind("own certificate coordinator:coordinator", 0), 0u) << warning;
  EXPECT_NE(warning.find("expires in 19 days"), std::string::npos) << warning;
  EXPECT_NE(serve->Log().find("expires in 19 days"), std::string::npos) << serve->Log();

  json submitted = RunJson("submit " + run_spec_.string() + as_alice);
  EXPECT_EQ(submitted["run_id"], "run-0001") << submitted.dump();
  EXPECT_EQ(submitted["type"], "ack");
  submitted = RunJson("submit " + run_spec_.string() + as_alice);
  EXPECT_EQ(submitted["run_id"], "run-0002") << submitted.dump();

  // No site is connected: the runs wait. Pause, resume and abort are acknowledged.
  EXPECT_EQ(RunJson("pause run-0001" + as_alice)["message"], "pause run-0001");
  EXPECT_EQ(RunJson("resume run-0001" + as_alice)["message"], "resume run-0001");
  EXPECT_EQ(RunJson("abort run-0002 --reason test" + as_alice)["message"], "abort run-0002");
  const CommandResult human = Run("status" + as_alice);
  EXPECT_EQ(human.exit_code, 0);
  EXPECT_EQ(human.out.rfind("warning: own certificate", 0), 0u) << human.out;
  EXPECT_NE(human.out.find("run-0001  pending  round 0/2  (waiting for sites: 0 connected"),
            std::string::npos)
      << human.out;
  EXPECT_NE(human.out.find("run-0002  aborted"), std::string::npos) << human.out;
  json sites = RunJson("sites" + as_alice);
  EXPECT_TRUE(sites["sites"].empty()) << sites.dump();
  json again = RunJson("abort run-0002" + as_alice, /*expected_exit=*/1);
  EXPECT_EQ(again["code"], "FAILED_PRECONDITION") << again.dump();

  // Export round 0: the zoo's initial genomics-mlp weights as a valid safetensors file.
  const fs::path model = temp_.path() / "model.safetensors";
  json exported = RunJson("export run-0001 --round 0 --out " + model.string() + as_alice);
  EXPECT_EQ(exported["model_name"], "genomics-mlp");
  auto bytes = ReadFile(model);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  EXPECT_EQ(crypto::Sha256Hex(*bytes), exported["file_sha256"]);
  auto parsed = SafetensorsBuffer::FromBytes(std::move(bytes).value(), model.string());
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_GT(parsed->view().tensors().size(), 2u);
  // The file names its model, config, run and round (the zoo's checkpoint metadata), and the
  // SHA-256 of the global model as the coordinator served it.
  const auto& metadata = parsed->view().metadata();
  EXPECT_EQ(metadata.at("pancaim.model"), "genomics-mlp");
  EXPECT_EQ(metadata.at("pancaim.run_id"), "run-0001");
  EXPECT_EQ(metadata.at("pancaim.round"), "0");
  EXPECT_TRUE(json::parse(metadata.at("pancaim.model_config")).is_object());
  EXPECT_EQ(metadata.at("pancaim.global_model_sha256"), exported["model_sha256"]);

  // An enrolled operator that is not in operators.allowed is refused.
  const fs::path mallory = OperatorConfig("mallory", port);
  json refused = RunJson("status --config " + mallory.string(), /*expected_exit=*/1);
  EXPECT_EQ(refused["code"], "PERMISSION_DENIED") << refused.dump();
  EXPECT_NE(refused["error"].get<std::string>().find("operators.allowed"), std::string::npos);
  // A missing config file is named.
  const CommandResult missing = Run("status --config " + (temp_.path() / "nope.json").string());
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("nope.json"), std::string::npos) << missing.err;
  EXPECT_EQ(Run("serve --config " + (temp_.path() / "nope.json").string()).exit_code, 1);

  EXPECT_EQ(serve->Terminate(std::chrono::seconds(10)), 0) << serve->Log();

  // serve --resume reloads both runs from their checkpoints.
  serve = std::make_unique<ServeProcess>(config_, true, temp_.path() / "serve2.log");
  const int port2 = serve->WaitForPort(std::chrono::seconds(20));
  ASSERT_GT(port2, 0) << serve->Log();
  const fs::path alice2 = OperatorConfig("alice", port2);
  status = RunJson("status --config " + alice2.string());
  ASSERT_EQ(status["runs"].size(), 2u) << status.dump();
  EXPECT_EQ(status["runs"][0]["run_id"], "run-0001");
  EXPECT_EQ(status["runs"][0]["state"], "pending");
  EXPECT_EQ(status["runs"][1]["state"], "aborted");
  EXPECT_NE(serve->Log().find("loaded run run-0001"), std::string::npos) << serve->Log();
  EXPECT_EQ(serve->Terminate(std::chrono::seconds(10)), 0) << serve->Log();
}

}  // namespace
}  // namespace pancaim::coordinator::server
