#include "pancaim/scenarios/operator_channel.h"

#include <gtest/gtest.h>

#include "pancaim/common/files.h"
#include "test_paths.h"

namespace pancaim::scenarios {
namespace {

namespace fs = std::filesystem;

TEST(OperatorChannelTest, ParsesRepliesAndErrors) {
  auto ok = ParseOperatorReply(R"({"ok": true, "run_id": "run-1"})", "submit");
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ((*ok)["run_id"], "run-1");
  auto refused = ParseOperatorReply(
      R"({"ok": false, "code": "NOT_FOUND", "error": "no run 'x'"})", "status");
  EXPECT_EQ(refused.status().code(), StatusCode::kNotFound);
  EXPECT_NE(refused.status().message().find("no run 'x'"), std::string::npos);
  auto garbage = ParseOperatorReply("listening on port 5", "sites");
  EXPECT_EQ(garbage.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(garbage.status().message().find("sites"), std::string::npos);
}

TEST(OperatorChannelTest, RunsTheCommandAndReadsOnlyItsStdout) {
  testing::TempDir dir;
  const fs::path binary = dir.path() / "fake-coordinator";
  // Logs on stderr must not spoil the JSON on stdout; the arguments come back in the reply.
  ASSERT_TRUE(WriteFileAtomic(binary,
                              "#!/bin/sh\necho 'I some log line' >&2\n"
                              "printf '{\"ok\": true, \"args\": \"%s\"}\\n' \"$*\"\n",
                              0755)
                  .ok());
  CliOperatorChannel channel(binary, dir.path() / "operator.json", dir.path() / "work",
                             std::chrono::seconds(10));
  auto reply = channel.Call({"status", "run-7"});
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ((*reply)["args"], "status run-7 --config " + (dir.path() / "operator.json").string() +
                                  " --json");
  EXPECT_NE(LogTail(dir.path() / "work/operator.log").find("some log line"), std::string::npos);
}

TEST(OperatorChannelTest, CommandWithoutReplyIsUnavailableWithItsLog) {
  testing::TempDir dir;
  const fs::path binary = dir.path() / "broken";
  ASSERT_TRUE(WriteFileAtomic(binary, "#!/bin/sh\necho 'cannot connect' >&2\nexit 1\n", 0755).ok());
  CliOperatorChannel channel(binary, dir.path() / "operator.json", dir.path() / "work",
                             std::chrono::seconds(10));
  auto reply = channel.Call({"sites"});
  EXPECT_EQ(reply.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(reply.status().message().find("cannot connect"), std::string::npos) << reply.status();
  EXPECT_NE(reply.status().message().find("exited with status 1"), std::string::npos);
}

TEST(OperatorChannelTest, LogTailKeepsTheLastLines) {
  testing::TempDir dir;
  std::string text;
  for (int i = 1; i <= 40; ++i) text += "line " + std::to_string(i) + "\n";
  ASSERT_TRUE(WriteFileAtomic(dir.path() / "a.log", text).ok());
  EXPECT_EQ(LogTail(dir.path() / "a.log", 3), "line 38\nline 39\nline 40");
  EXPECT_EQ(LogTail(dir.path() / "missing.log"), "");
}

}  // namespace
}  // namespace pancaim::scenarios
