#include "pancaim/transport/channel_options.h"

#include <gtest/gtest.h>

namespace pancaim::transport {
namespace {

TEST(ChannelOptionsTest, DefaultsAreValid) { EXPECT_TRUE(ChannelOptions().Validate().ok()); }

TEST(ChannelOptionsTest, RefusesNonPositiveTimeoutsNamingTheField) {
  ChannelOptions options;
  options.io_timeout = std::chrono::milliseconds(0);
  Status status = options.Validate();
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("io_timeout"), std::string::npos);
}

TEST(ChannelOptionsTest, HeartbeatMustBeShorterThanIdleTimeout) {
  ChannelOptions options;
  options.heartbeat_interval = options.idle_timeout;
  EXPECT_NE(options.Validate().message().find("heartbeat_interval"), std::string::npos);
}

TEST(ChannelOptionsTest, SendQueueCapMustBePositive) {
  ChannelOptions options;
  options.max_send_queue_bytes = 0;
  EXPECT_EQ(options.Validate().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace pancaim::transport
