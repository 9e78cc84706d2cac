#include "pancaim/coordinator/model_layout.h"

#include <gtest/gtest.h>

#include "test_models.h"

namespace pancaim::coordinator {
namespace {

using protocol::DType;

TEST(ModelLayoutTest, AssignsRoles) {
  std::mt19937_64 rng(1);
  auto model = testing::MakeModel(testing::RandomModel(rng));
  auto layout = ModelLayout::FromModel(model->view(), {".running_mean", ".running_var"});
  ASSERT_TRUE(layout.ok()) << layout.status();
  std::map<std::string, TensorRole> roles;
  for (const TensorSpec& spec : layout->tensors()) roles[spec.name] = spec.role;
  EXPECT_EQ(roles["bn.num_batches_tracked"], TensorRole::kIntegerBuffer);
  EXPECT_EQ(roles["bn.running_mean"], TensorRole::kFloatBuffer);
  EXPECT_EQ(roles["bn.running_var"], TensorRole::kFloatBuffer);
  EXPECT_EQ(roles["conv.weight"], TensorRole::kParameter);
  EXPECT_EQ(layout->float_elements(), 3 + 3 + 3 + 12 + 6);
  EXPECT_EQ(layout->integer_elements(), 1);
}

TEST(ModelLayoutTest, RefusesHalfPrecisionAndEmptyModels) {
  protocol::TensorView half{"w", DType::kF16, {2}, std::string_view("\0\0\0\0", 4)};
  auto bytes = protocol::SerializeSafetensors({half});
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  auto view = protocol::SafetensorsView::Parse(*bytes);
  ASSERT_TRUE(view.ok());
  EXPECT_EQ(ModelLayout::FromModel(*view, {}).status().code(), StatusCode::kUnimplemented);
  auto empty = protocol::SerializeSafetensors({});
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(ModelLayout::FromModel(*protocol::SafetensorsView::Parse(*empty), {}).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(ModelLayoutTest, AlignFollowsLayoutOrderWhateverTheUpdateOrder) {
  auto global = testing::MakeModel({{"a", DType::kF32, {1}, {1}}, {"b", DType::kF32, {1}, {2}}});
  auto update = testing::MakeModel({{"b", DType::kF32, {1}, {5}}, {"a", DType::kF32, {1}, {4}}});
  auto layout = ModelLayout::FromModel(global->view(), {});
  auto aligned = layout->Align(update->view());
  ASSERT_TRUE(aligned.ok()) << aligned.status();
  EXPECT_EQ((*aligned)[0]->name, "a");
  EXPECT_EQ((*aligned)[1]->name, "b");
}

}  // namespace
}  // namespace pancaim::coordinator
