#include "pancaim/common/progress.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>

namespace pancaim {

ProgressDisplay::ProgressDisplay(std::string label, std::int64_t total, std::FILE* out)
    : label_(std::move(label)),
      total_(total),
      out_(out),
      interactive_(isatty(fileno(out)) != 0),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_ - std::chrono::hours(1)) {}

ProgressDisplay::~ProgressDisplay() {
  if (!finished_) Finish();
}

void ProgressDisplay::Update(std::int64_t done, const std::string& note) {
  done_ = done;
  auto now = std::chrono::steady_clock::now();
  auto interval = interactive_ ? std::chrono::milliseconds(100) : min_interval_;
  if (now - last_draw_ < interval) return;
  last_draw_ = now;
  Draw(note, /*final=*/false);
}

void ProgressDisplay::Finish(const std::string& note) {
  if (finished_) return;
  finished_ = true;
  if (!interactive_ && drawn_done_ == done_ && drawn_note_ == note) return;
  Draw(note, /*final=*/true);
}

std::string ProgressDisplay::Render(const std::string& note) const {
  double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  double rate = elapsed > 0 ? static_cast<double>(done_) / elapsed : 0.0;
  char buffer[256];
  std::string line = label_;
  if (total_ > 0) {
    constexpr int kWidth = 24;
    double fraction = std::clamp(static_cast<double>(done_) / static_cast<double>(total_), 0.0, 1.0);
    int filled = static_cast<int>(std::lround(fraction * kWidth));
    line += "  [" + std::string(filled, '#') + std::string(kWidth - filled, '.') + "]";
    std::snprintf(buffer, sizeof(buffer), "  %lld/%lld", static_cast<long long>(done_),
                  static_cast<long long>(total_));
    line += buffer;
  } else {
    std::snprintf(buffer, sizeof(buffer), "  %lld", static_cast<long long>(done_));
    line += buffer;
  }
  std::snprintf(buffer, sizeof(buffer), "  %.1f/s  %.0fs", rate, elapsed);
  line += buffer;
  if (total_ > 0 && rate > 0 && done_ < total_) {
    std::snprintf(buffer, sizeof(buffer), "  eta %.0fs",
                  static_cast<double>(total_ - done_) / rate);
    line += buffer;
  }
  if (!note.empty()) line += "  " + note;
  return line;
}

void ProgressDisplay::Draw(const std::string& note, bool final) {
  std::string line = Render(note);
  drawn_done_ = done_;
  drawn_note_ = note;
  if (interactive_) {
    std::fprintf(out_, "\r\033[2K%s%s", line.c_str(), final ? "\n" : "");
  } else {
    std::fprintf(out_, "%s\n", line.c_str());
  }
  std::fflush(out_);
}

}  // namespace pancaim
