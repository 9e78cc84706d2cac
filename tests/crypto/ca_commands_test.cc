// The pancaim-ca subcommands end to end in a temporary folder (the tool's main only parses).
#include "ca_commands.h"

#include <sys/wait.h>

#include <cstdlib>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "pancaim/common/files.h"
#include "test_pki.h"

namespace pancaim::crypto::cli {
namespace {

using ::testing::HasSubstr;
namespace fs = std::filesystem;

TEST(CaCommandsTest, EnrolSignRevokeListShow) {
  testing::TempFolder folder;
  fs::path ca = folder.path() / "ca";
  fs::path site = folder.path() / "site";
  fs::create_directories(site);
  std::ostringstream out;
  ASSERT_TRUE(RunInit({.ca_dir = ca, .days = 100, .passphrase = "pw"}, out).ok());
  EXPECT_THAT(out.str(), HasSubstr("encrypted with the passphrase"));
  EXPECT_EQ(RunInit({.ca_dir = ca}, out).code(), StatusCode::kAlreadyExists);

  ASSERT_TRUE(RunRequest({.role = "site", .name = "hospital-a", .out_dir = site}, out).ok());
  EXPECT_TRUE(fs::exists(site / "hospital-a.key"));
  Status again = RunRequest({.role = "site", .name = "hospital-a", .out_dir = site}, out);
  EXPECT_EQ(again.code(), StatusCode::kAlreadyExists);  // never overwrites a key
  EXPECT_EQ(RunRequest({.role = "admin", .name = "x", .out_dir = site}, out).code(),
            StatusCode::kInvalidArgument);

  Status wrong = RunSign({.ca_dir = ca, .passphrase = "nope", .request_file = site / "hospital-a.csr"}, out);
  EXPECT_EQ(wrong.code(), StatusCode::kUnauthenticated);
  out.str("");
  ASSERT_TRUE(
      RunSign({.ca_dir = ca, .passphrase = "pw", .request_file = site / "hospital-a.csr",
               .days = 30},
              out)
          .ok());
  EXPECT_THAT(out.str(), HasSubstr("issued site:hospital-a"));
  EXPECT_TRUE(fs::exists(site / "hospital-a.crt"));
  // A CA valid for 100 days cannot issue a 365-day certificate.
  ASSERT_TRUE(RunRequest({.role = "operator", .name = "alice", .out_dir = site}, out).ok());
  Status too_long =
      RunSign({.ca_dir = ca, .passphrase = "pw", .request_file = site / "alice.csr"}, out);
  EXPECT_THAT(too_long.message(), HasSubstr("outlive the CA"));
  EXPECT_THAT(too_long.message(), HasSubstr("alice.csr"));

  ASSERT_TRUE(WriteFileAtomic(site / "junk.csr", "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n"
                                                 "-----END CERTIFICATE REQUEST-----\n")
                  .ok());
  Status junk = RunSign({.ca_dir = ca, .passphrase = "pw", .request_file = site / "junk.csr"}, out);
  EXPECT_EQ(junk.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(junk.message(), HasSubstr("malformed request"));

  out.str("");
  ASSERT_TRUE(RunRevoke({.ca_dir = ca, .passphrase = "pw", .target = "hospital-a"}, out).ok());
  EXPECT_THAT(out.str(), HasSubstr("distribute it"));
  EXPECT_EQ(RunRevoke({.ca_dir = ca, .passphrase = "pw", .target = "ghost"}, out).code(),
            StatusCode::kNotFound);

  out.str("");
  ASSERT_TRUE(RunList({.ca_dir = ca, .passphrase = "pw"}, out).ok());
  EXPECT_THAT(out.str(), HasSubstr("site:hospital-a"));
  EXPECT_THAT(out.str(), HasSubstr("revoked"));

  out.str("");
  ASSERT_TRUE(RunCrl({.ca_dir = ca, .passphrase = "pw", .hours = 12}, out).ok());
  EXPECT_THAT(out.str(), HasSubstr("1 revoked"));
  out.str("");
  ASSERT_TRUE(RunShow(ca / "crl.pem", out).ok());
  EXPECT_THAT(out.str(), HasSubstr("revoked serials (1)"));
  out.str("");
  ASSERT_TRUE(RunShow(site / "hospital-a.crt", out).ok());
  EXPECT_THAT(out.str(), HasSubstr("pancaim identity: site:hospital-a"));
  EXPECT_THAT(RunShow(site / "hospital-a.key", out).message(), HasSubstr("private key"));
}

TEST(CaCommandsTest, PassphraseFileIsReadAndEmptyOneRefused) {
  testing::TempFolder folder;
  ASSERT_TRUE(WriteFileAtomic(folder.path() / "pp", "secret\n", 0600).ok());
  EXPECT_EQ(*ResolvePassphrase((folder.path() / "pp").string()), "secret");
  ASSERT_TRUE(WriteFileAtomic(folder.path() / "empty", "\n", 0600).ok());
  EXPECT_FALSE(ResolvePassphrase((folder.path() / "empty").string()).ok());
  EXPECT_EQ(ResolvePassphrase((folder.path() / "missing").string()).status().code(),
            StatusCode::kNotFound);
}

// The real binary: --help works, errors are one line on stderr with exit status 1.
TEST(CaToolTest, BinaryReportsErrorsWithExitStatus1) {
  std::string tool = std::string(PANCAIM_BINARY_DIR) + "/bin/pancaim-ca";
  if (!fs::exists(tool)) GTEST_SKIP() << tool << " not built";
  testing::TempFolder folder;
  fs::path log = folder.path() / "out.txt";
  auto run = [&](const std::string& arguments) {
    std::string command = tool + " " + arguments + " > " + log.string() + " 2>&1";
    int status = std::system(command.c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  };
  EXPECT_EQ(run("--help"), 0);
  EXPECT_THAT(*ReadFile(log), HasSubstr("request"));
  std::string ca = "--ca-dir " + (folder.path() / "ca").string();
  EXPECT_EQ(run("init " + ca), 0);
  EXPECT_EQ(run("init " + ca), 1);
  EXPECT_THAT(*ReadFile(log), HasSubstr("pancaim-ca: error: ALREADY_EXISTS"));
  EXPECT_EQ(run("revoke nobody " + ca), 1);
  EXPECT_THAT(*ReadFile(log), HasSubstr("NOT_FOUND"));
  EXPECT_NE(run("frobnicate"), 0);
}

}  // namespace
}  // namespace pancaim::crypto::cli
