#include "pancaim/common/log.h"

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <iostream>
#include <mutex>

namespace pancaim::log {
namespace {

Level InitialLevel() {
  const char* env = std::getenv("PANCAIM_LOG_LEVEL");
  if (env == nullptr) return Level::kInfo;
  auto parsed = ParseLevel(env);
  return parsed.ok() ? *parsed : Level::kInfo;
}

std::atomic<Level>& MinLevelRef() {
  static std::atomic<Level> level{InitialLevel()};
  return level;
}

std::mutex& SinkMutex() {
  static std::mutex mu;
  return mu;
}

Sink& SinkRef() {
  static Sink sink;  // guarded by SinkMutex()
  return sink;
}

std::string Timestamp() {
  auto now = std::chrono::system_clock::now();
  std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buffer[32];
  std::strftime(buffer, sizeof(buffer), "%Y-%m-%dT%H:%M:%S", &utc);
  char out[48];
  std::snprintf(out, sizeof(out), "%s.%03dZ", buffer, static_cast<int>(millis));
  return out;
}

std::string_view BaseName(const char* path) {
  std::string_view view(path);
  auto slash = view.find_last_of('/');
  return slash == std::string_view::npos ? view : view.substr(slash + 1);
}

}  // namespace

StatusOr<Level> ParseLevel(std::string_view text) {
  if (text == "debug") return Level::kDebug;
  if (text == "info") return Level::kInfo;
  if (text == "warning" || text == "warn") return Level::kWarning;
  if (text == "error") return Level::kError;
  if (text == "off") return Level::kOff;
  return InvalidArgumentError("unknown log level '" + std::string(text) +
                              "' (expected debug, info, warning, error or off)");
}

std::string_view LevelName(Level level) {
  switch (level) {
    case Level::kDebug: return "DEBUG";
    case Level::kInfo: return "INFO";
    case Level::kWarning: return "WARN";
    case Level::kError: return "ERROR";
    case Level::kOff: return "OFF";
  }
  return "?";
}

void SetMinLevel(Level level) { MinLevelRef().store(level); }
Level MinLevel() { return MinLevelRef().load(); }

void SetSink(Sink sink) {
  std::lock_guard<std::mutex> lock(SinkMutex());
  SinkRef() = std::move(sink);
}

void Write(Level level, const char* file, int line, const std::string& message) {
  std::string text = Timestamp();
  text += ' ';
  std::string_view name = LevelName(level);
  text += name;
  text.append(6 - name.size(), ' ');
  text += BaseName(file);
  text += ':';
  text += std::to_string(line);
  text += "] ";
  text += message;
  std::lock_guard<std::mutex> lock(SinkMutex());
  if (SinkRef()) {
    SinkRef()(level, text);
    return;
  }
  std::cerr << text << '\n' << std::flush;
}

}  // namespace pancaim::log
