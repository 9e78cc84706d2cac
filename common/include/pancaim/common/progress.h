// Progress display for long work (cohort generation, training epochs, rounds).
// On a terminal it redraws one line: "generating  [#######.....]  42/100  12.3 it/s  eta 5s";
// elsewhere (logs, CI) it prints a plain line at most every `min_interval`, and at the end.
// Not thread-safe: one owner updates it.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace pancaim {

class ProgressDisplay {
 public:
  // `total` may be 0 when unknown (then no bar or ETA is shown). Writes to `out` (stderr default).
  ProgressDisplay(std::string label, std::int64_t total, std::FILE* out = stderr);
  ~ProgressDisplay();  // finishes the line if Finish() was not called
  ProgressDisplay(const ProgressDisplay&) = delete;
  ProgressDisplay& operator=(const ProgressDisplay&) = delete;

  // Sets the absolute count and an optional note ("loss 0.41").
  void Update(std::int64_t done, const std::string& note = "");
  void Advance(std::int64_t by = 1, const std::string& note = "") { Update(done_ + by, note); }
  // Draws the final line; in plain mode it is left out when the last line drawn already showed
  // the same count and note (no duplicate line at the end of a log).
  void Finish(const std::string& note = "");

  // Renders the line that would be shown; exposed for tests.
  std::string Render(const std::string& note) const;

  // Forces plain (non-redrawing) output regardless of the terminal; for tests and --no-progress.
  void set_plain(bool plain) { interactive_ = !plain; }
  void set_min_interval(std::chrono::milliseconds interval) { min_interval_ = interval; }

 private:
  void Draw(const std::string& note, bool final);

  std::string label_;
  std::int64_t total_;
  std::int64_t done_ = 0;
  std::FILE* out_;
  bool interactive_;
  bool finished_ = false;
  std::chrono::milliseconds min_interval_{2000};
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
  std::int64_t drawn_done_ = -1;  // count and note of the last line drawn
  std::string drawn_note_;
};

}  // namespace pancaim
