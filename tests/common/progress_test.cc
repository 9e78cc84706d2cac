#include "pancaim/common/progress.h"

#include <algorithm>
#include <cstdio>
#include <string>

#include <gtest/gtest.h>

namespace pancaim {
namespace {

TEST(ProgressDisplayTest, RendersBarCountAndNote) {
  std::FILE* sink = std::tmpfile();
  ProgressDisplay progress("generating", 10, sink);
  progress.set_plain(true);
  progress.Update(5);
  std::string line = progress.Render("site-a");
  EXPECT_NE(line.find("generating  [############............]  5/10"), std::string::npos) << line;
  EXPECT_NE(line.find("site-a"), std::string::npos);
  progress.Finish();
  std::fclose(sink);
}

TEST(ProgressDisplayTest, PlainModeWritesLinesNotCarriageReturns) {
  std::FILE* sink = std::tmpfile();
  {
    ProgressDisplay progress("rounds", 3, sink);
    progress.set_plain(true);
    progress.set_min_interval(std::chrono::milliseconds(0));
    progress.Advance();
    progress.Advance();
    progress.Advance();
    progress.Finish("done");
  }
  std::rewind(sink);
  char buffer[4096] = {};
  size_t size = std::fread(buffer, 1, sizeof(buffer) - 1, sink);
  std::string output(buffer, size);
  std::fclose(sink);
  EXPECT_EQ(output.find('\r'), std::string::npos);
  EXPECT_NE(output.find("3/3"), std::string::npos) << output;
  EXPECT_NE(output.find("2/3"), std::string::npos) << output;
  EXPECT_NE(output.find("done"), std::string::npos);
}

TEST(ProgressDisplayTest, PlainFinishDoesNotRepeatTheLastLine) {
  std::FILE* sink = std::tmpfile();
  {
    ProgressDisplay progress("rounds", 2, sink);
    progress.set_plain(true);
    progress.set_min_interval(std::chrono::milliseconds(0));
    progress.Update(1, "acc 0.9");
    progress.Update(2, "acc 0.95");
    progress.Finish("acc 0.95");  // same count and note as the last line: not drawn again
  }
  std::rewind(sink);
  char buffer[4096] = {};
  const size_t size = std::fread(buffer, 1, sizeof(buffer) - 1, sink);
  const std::string output(buffer, size);
  std::fclose(sink);
  EXPECT_EQ(std::count(output.begin(), output.end(), '\n'), 2) << output;
  EXPECT_NE(output.find("2/2"), std::string::npos) << output;
}

}  // namespace
}  // namespace pancaim
