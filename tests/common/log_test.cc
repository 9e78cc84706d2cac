#include "pancaim/common/log.h"

#include <regex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace pancaim::log {
namespace {

class LogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SetSink([this](Level, const std::string& line) { lines_.push_back(line); });
    saved_ = MinLevel();
  }
  void TearDown() override {
    SetSink(nullptr);
    SetMinLevel(saved_);
  }
  std::vector<std::string> lines_;
  Level saved_ = Level::kInfo;
};

TEST_F(LogTest, LineHasTimestampLevelAndSource) {
  SetMinLevel(Level::kInfo);
  PANCAIM_LOG(INFO) << "round " << 3 << " closed";
  ASSERT_EQ(lines_.size(), 1u);
  std::regex format(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z INFO  log_test\.cc:\d+\] round 3 closed)");
  EXPECT_TRUE(std::regex_match(lines_[0], format)) << lines_[0];
}

TEST_F(LogTest, LevelsBelowMinimumAreDroppedWithoutEvaluating) {
  SetMinLevel(Level::kWarning);
  int evaluated = 0;
  auto count = [&] { return ++evaluated; };
  PANCAIM_LOG(INFO) << count();
  PANCAIM_LOG(WARNING) << count();
  EXPECT_EQ(evaluated, 1);
  ASSERT_EQ(lines_.size(), 1u);
  EXPECT_NE(lines_[0].find("WARN"), std::string::npos);
}

TEST(LogLevelTest, ParseLevel) {
  EXPECT_EQ(*ParseLevel("debug"), Level::kDebug);
  EXPECT_EQ(*ParseLevel("warn"), Level::kWarning);
  EXPECT_FALSE(ParseLevel("loud").ok());
}

}  // namespace
}  // namespace pancaim::log
