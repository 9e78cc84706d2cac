#include "pancaim/common/status.h"

#include <memory>
#include <string>

#include <gtest/gtest.h>

namespace pancaim {
namespace {

TEST(StatusTest, DefaultIsOk) {
  Status status;
  EXPECT_TRUE(status.ok());
  EXPECT_EQ(status.ToString(), "OK");
}

TEST(StatusTest, ErrorCarriesCodeAndMessage) {
  Status status = InvalidArgumentError("bad field 'x'");
  EXPECT_FALSE(status.ok());
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(status.ToString(), "INVALID_ARGUMENT: bad field 'x'");
}

TEST(StatusTest, WithContextPrefixesAndKeepsCode) {
  Status status = DataLossError("truncated").WithContext("model.safetensors");
  EXPECT_EQ(status.code(), StatusCode::kDataLoss);
  EXPECT_EQ(status.message(), "model.safetensors: truncated");
  EXPECT_TRUE(Status::Ok().WithContext("ignored").ok());
}

StatusOr<int> Half(int value) {
  if (value % 2 != 0) return InvalidArgumentError(std::to_string(value) + " is odd");
  return value / 2;
}

StatusOr<int> Quarter(int value) {
  PANCAIM_ASSIGN_OR_RETURN(int half, Half(value));
  PANCAIM_ASSIGN_OR_RETURN(int quarter, Half(half));
  return quarter;
}

TEST(StatusOrTest, ValueAndErrorPropagate) {
  EXPECT_EQ(*Quarter(8), 2);
  StatusOr<int> odd = Quarter(6);
  ASSERT_FALSE(odd.ok());
  EXPECT_EQ(odd.status().message(), "3 is odd");
  EXPECT_EQ(odd.value_or(-1), -1);
}

TEST(StatusOrTest, HoldsMoveOnlyTypes) {
  StatusOr<std::unique_ptr<int>> holder = std::make_unique<int>(7);
  ASSERT_TRUE(holder.ok());
  std::unique_ptr<int> taken = std::move(holder).value();
  EXPECT_EQ(*taken, 7);
}

Status FailsWhen(bool fail) {
  if (fail) return UnavailableError("peer gone");
  return Status::Ok();
}

Status Chain(bool fail) {
  PANCAIM_RETURN_IF_ERROR(FailsWhen(fail));
  return AlreadyExistsError("reached the end");
}

TEST(StatusTest, ReturnIfErrorStopsAtFirstError) {
  EXPECT_EQ(Chain(true).code(), StatusCode::kUnavailable);
  EXPECT_EQ(Chain(false).code(), StatusCode::kAlreadyExists);
}

TEST(StatusDeathTest, ValueOfErrorIsAProgrammerError) {
  StatusOr<int> error = NotFoundError("nothing");
  EXPECT_DEATH((void)error.value(), "value\\(\\) on an error StatusOr");
}

}  // namespace
}  // namespace pancaim
