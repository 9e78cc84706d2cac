#include "pancaim/scenarios/process_supervisor.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

namespace pancaim::scenarios {
namespace {

volatile std::sig_atomic_t g_stop_requested = 0;

extern "C" void OnStopSignal(int) { g_stop_requested = 1; }

ChildExit MakeExit(const std::string& name, pid_t pid, int wait_status, bool expected) {
  ChildExit out;
  out.name = name;
  out.pid = pid;
  out.expected = expected;
  if (WIFSIGNALED(wait_status)) {
    out.signaled = true;
    out.code = WTERMSIG(wait_status);
  } else {
    out.code = WEXITSTATUS(wait_status);
  }
  return out;
}

bool GroupAlive(pid_t pgid) { return ProcessGroupHasLiveMembers(pgid); }

}  // namespace

std::string ChildExit::Describe() const {
  std::string out = name + " (pid " + std::to_string(pid) + ")";
  if (signaled) {
    const char* what = ::strsignal(code);
    return out + " was killed by signal " + std::to_string(code) + " (" +
           (what != nullptr ? what : "?") + ")";
  }
  return out + " exited with status " + std::to_string(code);
}

ProcessSupervisor::~ProcessSupervisor() { StopAll(std::chrono::seconds(2)); }

StatusOr<pid_t> ProcessSupervisor::Spawn(const ChildSpec& spec) {
  const int log_fd =
      ::open(spec.log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) {
    return InternalError("cannot open log file " + spec.log_file.string() + ": " +
                         std::strerror(errno));
  }
  int out_fd = -1;
  if (!spec.stdout_file.empty()) {
    out_fd = ::open(spec.stdout_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (out_fd < 0) {
      const int err = errno;
      ::close(log_fd);
      return InternalError("cannot open output file " + spec.stdout_file.string() + ": " +
                           std::strerror(err));
    }
  }
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    ::close(log_fd);
    if (out_fd >= 0) ::close(out_fd);
    return InternalError(std::string("pipe2: ") + std::strerror(errno));
  }
  // Everything the child needs is built before fork: after it, only async-signal-safe calls.
  std::vector<std::string> argv_storage = {spec.executable.string()};
  argv_storage.insert(argv_storage.end(), spec.args.begin(), spec.args.end());
  std::vector<char*> argv;
  for (auto& arg : argv_storage) argv.push_back(arg.data());
  argv.push_back(nullptr);
  const std::string cwd = spec.working_dir.string();

  const pid_t pid = ::fork();
  if (pid < 0) {
    const int err = errno;
    ::close(log_fd);
    if (out_fd >= 0) ::close(out_fd);
    ::close(pipe_fds[0]);
    ::close(pipe_fds[1]);
    return InternalError(std::string("fork: ") + std::strerror(err));
  }
  if (pid == 0) {
    ::setpgid(0, 0);
    ::signal(SIGINT, SIG_DFL);
    ::signal(SIGTERM, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::dup2(out_fd >= 0 ? out_fd : log_fd, STDOUT_FILENO);
    ::dup2(log_fd, STDERR_FILENO);
    const int null_fd = ::open("/dev/null", O_RDONLY);
    if (null_fd >= 0) ::dup2(null_fd, STDIN_FILENO);
    int err = 0;
    if (!cwd.empty() && ::chdir(cwd.c_str()) != 0) {
      err = errno;
    } else {
      ::execv(argv[0], argv.data());
      err = errno;
    }
    [[maybe_unused]] ssize_t ignored = ::write(pipe_fds[1], &err, sizeof(err));
    ::_exit(127);
  }
  // Also set here, so the group exists before Start returns whichever process runs first.
  ::setpgid(pid, pid);
  ::close(log_fd);
  if (out_fd >= 0) ::close(out_fd);
  ::close(pipe_fds[1]);
  int child_errno = 0;
  ssize_t got;
  do {
    got = ::read(pipe_fds[0], &child_errno, sizeof(child_errno));
  } while (got < 0 && errno == EINTR);
  ::close(pipe_fds[0]);
  if (got == sizeof(child_errno)) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    const std::string what = "cannot start " + spec.name + " (" + spec.executable.string() +
                             "): " + std::strerror(child_errno);
    if (child_errno == ENOENT) return NotFoundError(what);
    if (child_errno == EACCES) return PermissionDeniedError(what);
    return InternalError(what);
  }
  return pid;
}

Status ProcessSupervisor::Start(const ChildSpec& spec) {
  if (spec.name.empty()) return InvalidArgumentError("child process needs a name");
  if (running_.count(spec.name) != 0) {
    return InvalidArgumentError("a child named '" + spec.name + "' is already running");
  }
  PANCAIM_ASSIGN_OR_RETURN(pid_t pid, Spawn(spec));
  running_[spec.name] = Child{spec, pid, false};
  groups_.push_back(pid);
  return Status::Ok();
}

Status ProcessSupervisor::Signal(const std::string& name, int signal) {
  auto it = running_.find(name);
  if (it == running_.end()) return NotFoundError("no running child named '" + name + "'");
  if (::kill(-it->second.pid, signal) != 0 && errno != ESRCH) {
    return InternalError("kill " + name + ": " + std::strerror(errno));
  }
  return Status::Ok();
}

Status ProcessSupervisor::Restart(const std::string& name) {
  auto it = running_.find(name);
  if (it == running_.end()) return NotFoundError("no running child named '" + name + "'");
  const ChildSpec spec = it->second.spec;
  const pid_t old_group = it->second.pid;
  ::kill(-old_group, SIGKILL);
  int status = 0;
  ::waitpid(old_group, &status, 0);
  running_.erase(it);
  // SIGKILL is not deferrable, but reparented members take a moment to go; forget the group
  // only once it is empty so StopAll still covers it otherwise.
  for (int i = 0; i < 200 && GroupAlive(old_group); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (!GroupAlive(old_group)) {
    groups_.erase(std::remove(groups_.begin(), groups_.end(), old_group), groups_.end());
  }
  return Start(spec);
}

std::vector<ChildExit> ProcessSupervisor::ReapNoHang() {
  std::vector<ChildExit> exits;
  for (auto it = running_.begin(); it != running_.end();) {
    int status = 0;
    const pid_t got = ::waitpid(it->second.pid, &status, WNOHANG);
    if (got == it->second.pid) {
      exits.push_back(MakeExit(it->first, got, status, it->second.expect_exit));
      it = running_.erase(it);
    } else {
      ++it;
    }
  }
  return exits;
}

std::vector<ChildExit> ProcessSupervisor::WaitForExits(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    std::vector<ChildExit> exits = ReapNoHang();
    if (!exits.empty() || running_.empty() || std::chrono::steady_clock::now() >= deadline) {
      return exits;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

std::vector<ChildExit> ProcessSupervisor::StopAll(std::chrono::milliseconds grace) {
  for (auto& [name, child] : running_) child.expect_exit = true;
  for (pid_t group : groups_) ::kill(-group, SIGTERM);
  std::vector<ChildExit> exits;
  const auto deadline = std::chrono::steady_clock::now() + grace;
  while (true) {
    for (auto& exit : ReapNoHang()) exits.push_back(std::move(exit));
    bool any_alive = !running_.empty();
    for (pid_t group : groups_) any_alive = any_alive || GroupAlive(group);
    if (!any_alive || std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  // Whatever ignored SIGTERM (leaders or their children) is killed outright.
  for (pid_t group : groups_) ::kill(-group, SIGKILL);
  for (auto& [name, child] : running_) {
    int status = 0;
    if (::waitpid(child.pid, &status, 0) == child.pid) {
      exits.push_back(MakeExit(name, child.pid, status, true));
    }
  }
  running_.clear();
  // Grandchildren are reparented, not ours to reap: wait (bounded) until their groups are empty.
  const auto kill_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  for (pid_t group : groups_) {
    while (GroupAlive(group) && std::chrono::steady_clock::now() < kill_deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  groups_.clear();
  return exits;
}

bool ProcessSupervisor::IsRunning(const std::string& name) const {
  return running_.count(name) != 0;
}

std::optional<pid_t> ProcessSupervisor::ProcessGroup(const std::string& name) const {
  auto it = running_.find(name);
  if (it == running_.end()) return std::nullopt;
  return it->second.pid;
}

std::vector<std::string> ProcessSupervisor::RunningChildren() const {
  std::vector<std::string> out;
  for (const auto& [name, child] : running_) out.push_back(name);
  return out;
}

bool ProcessGroupHasLiveMembers(pid_t group) {
  if (::kill(-group, 0) != 0 && errno == ESRCH) return false;
  // kill() also reaches zombies: killed grandchildren stay zombies until their new parent (init
  // or a subreaper) reaps them, which some container inits do late. Look for a live member.
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat(entry.path() / "stat");
    std::string line;
    if (!std::getline(stat, line)) continue;
    // pid (comm) state ppid pgrp ...; comm may hold spaces and parentheses.
    const auto close = line.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream fields(line.substr(close + 1));
    char state = 0;
    long ppid = 0, pgrp = 0;
    if (fields >> state >> ppid >> pgrp && pgrp == group && state != 'Z' && state != 'X') {
      return true;
    }
  }
  return false;
}

void InstallStopSignalHandlers() {
  struct sigaction action = {};
  action.sa_handler = OnStopSignal;
  sigemptyset(&action.sa_mask);
  ::sigaction(SIGINT, &action, nullptr);
  ::sigaction(SIGTERM, &action, nullptr);
}

bool StopRequested() { return g_stop_requested != 0; }

void RequestStop() { g_stop_requested = 1; }

void ClearStopRequest() { g_stop_requested = 0; }

}  // namespace pancaim::scenarios
