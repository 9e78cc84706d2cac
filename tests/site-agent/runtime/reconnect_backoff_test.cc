#include "pancaim/site_runtime/reconnect_backoff.h"

#include <gtest/gtest.h>

namespace pancaim::site_runtime {
namespace {

using std::chrono::milliseconds;

TEST(ReconnectBackoffTest, GrowsExponentiallyWithJitterUpToMax) {
  ReconnectBackoff backoff({milliseconds(100), milliseconds(1000), 2.0}, 42);
  const double expected[] = {100, 200, 400, 800, 1000, 1000};
  for (double d : expected) {
    const auto delay = backoff.Next().count();
    EXPECT_GE(delay, d / 2 - 1);
    EXPECT_LE(delay, d);
  }
  backoff.Reset();
  EXPECT_LE(backoff.Next().count(), 100);
}

TEST(ReconnectBackoffTest, JitterSpreadsSitesApart) {
  ReconnectBackoff a({milliseconds(1000), milliseconds(1000), 2.0}, 1);
  ReconnectBackoff b({milliseconds(1000), milliseconds(1000), 2.0}, 2);
  int different = 0;
  for (int i = 0; i < 10; ++i) different += a.Next() != b.Next();
  EXPECT_GT(different, 5);
}

}  // namespace
}  // namespace pancaim::site_runtime
