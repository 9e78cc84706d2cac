// Levelled, timestamped logging to stderr:
//   2026-11-28T07:45:01.123Z INFO  coordinator.cc:88] round 3 closed: 3/3 sites
// Thread-safe: each line is formatted first and written under one mutex, so lines never interleave.
// Tests can install a sink to capture lines.
#pragma once

#include <functional>
#include <sstream>
#include <string>
#include <string_view>

#include "pancaim/common/status.h"

namespace pancaim::log {

enum class Level { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3, kOff = 4 };

// Parses "debug", "info", "warning"/"warn", "error", "off".
StatusOr<Level> ParseLevel(std::string_view text);
std::string_view LevelName(Level level);

// Lines below this level are dropped. Default: kInfo, or PANCAIM_LOG_LEVEL from the environment.
void SetMinLevel(Level level);
Level MinLevel();

// A sink receives each formatted line (without trailing newline). Passing nullptr restores stderr.
using Sink = std::function<void(Level, const std::string& line)>;
void SetSink(Sink sink);

// Writes one line; used by the macro below.
void Write(Level level, const char* file, int line, const std::string& message);

// Streams a message and writes it when destroyed. Not for direct use.
class LineBuilder {
 public:
  LineBuilder(Level level, const char* file, int line) : level_(level), file_(file), line_(line) {}
  ~LineBuilder() { Write(level_, file_, line_, stream_.str()); }
  template <typename T>
  LineBuilder& operator<<(const T& value) {
    stream_ << value;
    return *this;
  }

 private:
  Level level_;
  const char* file_;
  int line_;
  std::ostringstream stream_;
};

}  // namespace pancaim::log

// PANCAIM_LOG(INFO) << "round " << round << " closed";   levels: DEBUG, INFO, WARNING, ERROR
#define PANCAIM_LOG(severity)                                                          \
  if (::pancaim::log::k##severity##_pancaim < ::pancaim::log::MinLevel()) {   \
  } else                                                                               \
    ::pancaim::log::LineBuilder(::pancaim::log::k##severity##_pancaim, __FILE__, __LINE__)

namespace pancaim::log {
// Aliases so the macro can spell levels in capitals.
inline constexpr Level kDEBUG_pancaim = Level::kDebug;
inline constexpr Level kINFO_pancaim = Level::kInfo;
inline constexpr Level kWARNING_pancaim = Level::kWarning;
inline constexpr Level kERROR_pancaim = Level::kError;
}  // namespace pancaim::log
