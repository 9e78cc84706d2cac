// The simulation's process supervisor: starts the coordinator and site agents as child processes,
// each in its own process group with stdout and stderr appended to a log file, reports their
// exits, can SIGKILL and restart one of them (the `faults` scenario), and on stop or destruction
// terminates every process group it started (SIGTERM, then SIGKILL after a grace period), so
// grandchildren go too and nothing is left orphaned.
//
// Signals: InstallStopSignalHandlers() makes SIGINT and SIGTERM set a flag (StopRequested());
// the caller's follow loop sees it and calls StopAll(), which forwards SIGTERM to every child
// group. The handler only sets a flag: all process work happens on the caller's thread.
//
// Not thread-safe: one owner thread. Owns its children: the destructor stops them.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "pancaim/common/status.h"

namespace pancaim::scenarios {

// How to start one child.
struct ChildSpec {
  std::string name;                        // unique among the supervisor's children
  std::filesystem::path executable;        // run as is (no PATH lookup)
  std::vector<std::string> args;           // argv[1..]
  std::filesystem::path log_file;          // stdout+stderr appended here (created)
  std::filesystem::path working_dir;       // empty: the supervisor's
  // Non-empty: stdout goes here instead (truncated at start), stderr still to log_file; for
  // commands whose output is read back (`--json`).
  std::filesystem::path stdout_file = {};
};

// How a child ended.
struct ChildExit {
  std::string name;
  pid_t pid = 0;
  bool signaled = false;  // killed by a signal (then `code` is the signal number)
  int code = 0;           // exit status, or the signal number
  bool expected = false;  // ended by Kill/Restart/StopAll rather than on its own

  bool success() const { return !signaled && code == 0; }
  // "coordinator (pid 123) exited with status 0" / "... was killed by signal 9 (Killed)".
  std::string Describe() const;
};

class ProcessSupervisor {
 public:
  ProcessSupervisor() = default;
  ~ProcessSupervisor();  // StopAll with a short grace period
  ProcessSupervisor(const ProcessSupervisor&) = delete;
  ProcessSupervisor& operator=(const ProcessSupervisor&) = delete;

  // Starts a child in a new process group. Errors: InvalidArgument (empty or duplicate name of a
  // running child), NotFound/PermissionDenied naming the executable when exec fails (reported
  // through a close-on-exec pipe, so a missing binary is an error here, not a later exit), or
  // the log file's error.
  Status Start(const ChildSpec& spec);

  // Sends `signal` to the child's whole process group. NotFound when no such running child.
  Status Signal(const std::string& name, int signal);

  // SIGKILLs the child's group, reaps it (recorded as an expected exit) and starts it again with
  // the same spec. NotFound when the name is unknown.
  Status Restart(const std::string& name);

  // Reaps children that ended, returning their exits (oldest first), waiting up to `timeout` for
  // at least one when none has ended yet. Empty when none ended in time.
  std::vector<ChildExit> WaitForExits(std::chrono::milliseconds timeout);

  // SIGTERM to every running child's group, up to `grace` for them to end, then SIGKILL to every
  // group still holding a process; reaps everything. Returns the exits. Idempotent.
  std::vector<ChildExit> StopAll(std::chrono::milliseconds grace = std::chrono::seconds(5));

  bool IsRunning(const std::string& name) const;
  std::optional<pid_t> ProcessGroup(const std::string& name) const;  // == the child's pid
  std::vector<std::string> RunningChildren() const;

 private:
  struct Child {
    ChildSpec spec;
    pid_t pid = 0;
    bool expect_exit = false;
  };
  StatusOr<pid_t> Spawn(const ChildSpec& spec);
  std::vector<ChildExit> ReapNoHang();
  std::map<std::string, Child> running_;
  std::vector<pid_t> groups_;  // every group started; signalled until empty
};

// True while process group `group` has a member that is not a zombie (reads /proc).
bool ProcessGroupHasLiveMembers(pid_t group);

// Makes SIGINT and SIGTERM set the stop flag instead of ending the process. Call once, early.
void InstallStopSignalHandlers();

// True once SIGINT or SIGTERM arrived after InstallStopSignalHandlers (or RequestStop).
bool StopRequested();

// Sets the stop flag (tests; also what the handler does).
void RequestStop();

// Clears the stop flag (tests that run after one that requested a stop in the same process).
void ClearStopRequest();

}  // namespace pancaim::scenarios
