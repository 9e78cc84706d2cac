// Done-when check of the secure channel: two processes on loopback enrol through the `pancaim-ca`
// tool (each key generated in its own folder, only requests and certificates move), then
// exchange a framed message with a payload over mutual TLS 1.3.
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>

#include "test_pki.h"  // crypto's TempFolder

extern char** environ;

namespace pancaim::transport {
namespace {

namespace fs = std::filesystem;

int RunTool(const std::string& command) {
  int status = std::system((command + " > /dev/null 2>&1").c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(TwoProcessTest, PartiesEnrolledWithTheCaToolExchangeFramesOverMutualTls) {
  crypto::testing::TempFolder folder("pancaim-transport-two-process");
  const fs::path root = folder.path();
  const std::string ca_tool = PANCAIM_CA_TOOL;
  const std::string ca = (root / "ca").string();
  ASSERT_EQ(RunTool(ca_tool + " init --ca-dir " + ca), 0);
  // Each party's own folder: where its key is generated and stays.
  fs::create_directories(root / "coordinator");
  fs::create_directories(root / "site");
  ASSERT_EQ(RunTool(ca_tool + " request --role coordinator --name coordinator --dns localhost "
                          "--out-dir " + (root / "coordinator").string()),
            0);
  ASSERT_EQ(RunTool(ca_tool + " request --role site --name hospital-a --out-dir " +
                (root / "site").string()),
            0);
  ASSERT_EQ(RunTool(ca_tool + " sign --ca-dir " + ca + " " +
                (root / "coordinator" / "coordinator.csr").string()),
            0);
  ASSERT_EQ(RunTool(ca_tool + " sign --ca-dir " + ca + " " +
                (root / "site" / "hospital-a.csr").string()),
            0);
  ASSERT_EQ(RunTool(ca_tool + " crl --ca-dir " + ca), 0);

  const std::string common = " --ca " + ca + "/ca.crt --crl " + ca + "/crl.pem";
  const std::string port_file = (root / "port").string();
  const std::string serve = std::string(PANCAIM_CHANNEL_PEER) + " serve" + common + " --cert " +
                            (root / "coordinator" / "coordinator.crt").string() + " --key " +
                            (root / "coordinator" / "coordinator.key").string() +
                            " --port-file " + port_file;
  pid_t server = 0;
  const char* argv[] = {"/bin/sh", "-c", serve.c_str(), nullptr};
  ASSERT_EQ(posix_spawn(&server, "/bin/sh", nullptr, nullptr, const_cast<char**>(argv), environ),
            0);
  std::string port;
  for (int i = 0; i < 500 && port.empty(); ++i) {
    std::ifstream(port_file) >> port;
    if (port.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_FALSE(port.empty()) << "server did not start";
  const std::string send = std::string(PANCAIM_CHANNEL_PEER) + " send" + common + " --cert " +
                           (root / "site" / "hospital-a.crt").string() + " --key " +
                           (root / "site" / "hospital-a.key").string() + " --port " + port +
                           " --payload-bytes 3000000";
  EXPECT_EQ(std::system(send.c_str()), 0);
  int server_status = 0;
  ASSERT_EQ(waitpid(server, &server_status, 0), server);
  EXPECT_TRUE(WIFEXITED(server_status) && WEXITSTATUS(server_status) == 0) << server_status;
}

}  // namespace
}  // namespace pancaim::transport
