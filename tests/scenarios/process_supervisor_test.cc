#include "pancaim/scenarios/process_supervisor.h"

#include <signal.h>

#include <cerrno>
#include <csignal>
#include <thread>

#include <gtest/gtest.h>

#include "pancaim/common/files.h"
#include "test_paths.h"

namespace pancaim::scenarios {
namespace {

using std::chrono::milliseconds;

ChildSpec Shell(const std::string& name, const std::string& script,
                const std::filesystem::path& dir) {
  return {name, "/bin/sh", {"-c", script}, dir / (name + ".log"), {}};
}

// Gone: no member left that is not a zombie (killed orphans wait for init to reap them).
bool GroupGone(pid_t group) { return !ProcessGroupHasLiveMembers(group); }

std::string Log(const std::filesystem::path& path) {
  auto text = ReadFile(path);
  return text.ok() ? text.value() : "";
}

TEST(ProcessSupervisorTest, CapturesOutputAndReportsExitStatus) {
  testing::TempDir dir;
  ProcessSupervisor supervisor;
  ASSERT_TRUE(supervisor.Start(Shell("worker", "echo hello; echo oops >&2; exit 3", dir.path())).ok());
  std::vector<ChildExit> exits = supervisor.WaitForExits(std::chrono::seconds(10));
  ASSERT_EQ(exits.size(), 1u);
  EXPECT_EQ(exits[0].name, "worker");
  EXPECT_FALSE(exits[0].signaled);
  EXPECT_EQ(exits[0].code, 3);
  EXPECT_FALSE(exits[0].expected);
  EXPECT_NE(exits[0].Describe().find("exited with status 3"), std::string::npos);
  EXPECT_EQ(Log(dir.path() / "worker.log"), "hello\noops\n");
  EXPECT_FALSE(supervisor.IsRunning("worker"));
}

TEST(ProcessSupervisorTest, SeparateStdoutFileKeepsStderrInTheLog) {
  testing::TempDir dir;
  ProcessSupervisor supervisor;
  ChildSpec spec = Shell("json", "echo '{}'; echo warning >&2", dir.path());
  spec.stdout_file = dir.path() / "json.out";
  ASSERT_TRUE(WriteFileAtomic(spec.stdout_file, "stale\n").ok());
  ASSERT_TRUE(supervisor.Start(spec).ok());
  std::vector<ChildExit> exits = supervisor.WaitForExits(std::chrono::seconds(10));
  ASSERT_EQ(exits.size(), 1u);
  EXPECT_TRUE(exits[0].success());
  EXPECT_EQ(Log(dir.path() / "json.out"), "{}\n");  // truncated, then only stdout
  EXPECT_EQ(Log(dir.path() / "json.log"), "warning\n");
}

TEST(ProcessSupervisorTest, MissingExecutableIsAnErrorAtStart) {
  testing::TempDir dir;
  ProcessSupervisor supervisor;
  Status status = supervisor.Start({"ghost", dir.path() / "no-such-binary", {}, dir.path() / "g.log", {}});
  EXPECT_EQ(status.code(), StatusCode::kNotFound);
  EXPECT_NE(status.message().find("no-such-binary"), std::string::npos);
  EXPECT_TRUE(supervisor.RunningChildren().empty());
}

TEST(ProcessSupervisorTest, RefusesDuplicateNames) {
  testing::TempDir dir;
  ProcessSupervisor supervisor;
  ASSERT_TRUE(supervisor.Start(Shell("a", "sleep 30", dir.path())).ok());
  EXPECT_EQ(supervisor.Start(Shell("a", "sleep 30", dir.path())).code(),
            StatusCode::kInvalidArgument);
}

TEST(ProcessSupervisorTest, StopAllKillsChildrenAndGrandchildrenIgnoringSigterm) {
  testing::TempDir dir;
  ProcessSupervisor supervisor;
  // The shell and its two background sleeps all ignore SIGTERM (an ignored disposition is
  // inherited across fork and exec), so only the SIGKILL after the grace period ends them.
  ASSERT_TRUE(supervisor
                  .Start(Shell("stubborn", "trap '' TERM; sleep 30 & sleep 30 & echo ready; wait",
                               dir.path()))
                  .ok());
  ASSERT_TRUE(supervisor.Start(Shell("polite", "sleep 30", dir.path())).ok());
  const pid_t stubborn = supervisor.ProcessGroup("stubborn").value();
  const pid_t polite = supervisor.ProcessGroup("polite").value();
  for (int i = 0; i < 200 && Log(dir.path() / "stubborn.log").empty(); ++i) {
    std::this_thread::sleep_for(milliseconds(10));
  }
  const auto start = std::chrono::steady_clock::now();
  std::vector<ChildExit> exits = supervisor.StopAll(milliseconds(300));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
  ASSERT_EQ(exits.size(), 2u);
  for (const auto& exit : exits) {
    EXPECT_TRUE(exit.expected);
    EXPECT_TRUE(exit.signaled);
    EXPECT_EQ(exit.code, exit.name == "stubborn" ? SIGKILL : SIGTERM) << exit.Describe();
  }
  EXPECT_TRUE(GroupGone(stubborn));
  EXPECT_TRUE(GroupGone(polite));
  EXPECT_TRUE(supervisor.RunningChildren().empty());
}

TEST(ProcessSupervisorTest, LeftoverGrandchildrenOfAnExitedChildAreKilled) {
  testing::TempDir dir;
  ProcessSupervisor supervisor;
  ASSERT_TRUE(supervisor.Start(Shell("parent", "sleep 30 & exit 0", dir.path())).ok());
  const pid_t group = supervisor.ProcessGroup("parent").value();
  ASSERT_EQ(supervisor.WaitForExits(std::chrono::seconds(10)).size(), 1u);
  EXPECT_FALSE(GroupGone(group));  // the orphaned sleep is still in the group
  supervisor.StopAll(milliseconds(300));
  EXPECT_TRUE(GroupGone(group));
}

TEST(ProcessSupervisorTest, RestartKillsAndStartsTheChildAgain) {
  testing::TempDir dir;
  ProcessSupervisor supervisor;
  ASSERT_TRUE(supervisor.Start(Shell("site", "echo start; sleep 30", dir.path())).ok());
  const pid_t first = supervisor.ProcessGroup("site").value();
  for (int i = 0; i < 200 && Log(dir.path() / "site.log").empty(); ++i) {
    std::this_thread::sleep_for(milliseconds(10));
  }
  ASSERT_TRUE(supervisor.Restart("site").ok());
  EXPECT_TRUE(GroupGone(first));
  ASSERT_TRUE(supervisor.IsRunning("site"));
  EXPECT_NE(supervisor.ProcessGroup("site").value(), first);
  for (int i = 0; i < 200 && Log(dir.path() / "site.log") != "start\nstart\n"; ++i) {
    std::this_thread::sleep_for(milliseconds(10));
  }
  EXPECT_EQ(Log(dir.path() / "site.log"), "start\nstart\n");
  EXPECT_EQ(supervisor.Restart("nobody").code(), StatusCode::kNotFound);
}

TEST(ProcessSupervisorTest, DestructorLeavesNoProcesses) {
  testing::TempDir dir;
  pid_t group = 0;
  {
    ProcessSupervisor supervisor;
    ASSERT_TRUE(supervisor.Start(Shell("child", "sleep 30 & sleep 30", dir.path())).ok());
    group = supervisor.ProcessGroup("child").value();
  }
  EXPECT_TRUE(GroupGone(group));
}

TEST(ProcessSupervisorTest, StopSignalsSetTheFlagInsteadOfEndingTheProcess) {
  InstallStopSignalHandlers();
  ASSERT_EQ(::raise(SIGTERM), 0);
  EXPECT_TRUE(StopRequested());
}

}  // namespace
}  // namespace pancaim::scenarios
