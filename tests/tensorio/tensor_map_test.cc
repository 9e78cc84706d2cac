#include "pancaim/tensorio/tensor_map.h"

#include <filesystem>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "pancaim/common/files.h"

namespace pancaim::tensorio {
namespace {

using ::testing::HasSubstr;

const std::vector<torch::ScalarType> kAllTypes = {
    torch::kFloat64, torch::kFloat32, torch::kFloat16, torch::kBFloat16, torch::kInt64,
    torch::kInt32,   torch::kInt16,   torch::kInt8,    torch::kUInt8,    torch::kBool};

// Values exact in every type: small integers, sign where the type has one.
torch::Tensor Sample(torch::ScalarType type, std::vector<std::int64_t> shape) {
  torch::Tensor values = torch::arange(0, c10::multiply_integers(shape), torch::kInt64).reshape(shape);
  if (type == torch::kBool) return (values % 3 == 0);
  if (type == torch::kUInt8) return values.to(type);
  return (values - 5).to(type);
}

StatusOr<DecodedTensors> RoundTrip(const TensorMap& tensors, const Metadata& metadata = {}) {
  PANCAIM_ASSIGN_OR_RETURN(std::string bytes, EncodeSafetensors(tensors, metadata));
  return DecodeSafetensors(std::make_shared<const std::string>(std::move(bytes)));
}

void ExpectSameTensors(const TensorMap& expected, const TensorMap& actual) {
  ASSERT_EQ(expected.size(), actual.size());
  for (const auto& [name, tensor] : expected) {
    SCOPED_TRACE(name);
    ASSERT_TRUE(actual.count(name));
    const torch::Tensor& got = actual.at(name);
    EXPECT_EQ(got.scalar_type(), tensor.scalar_type());
    EXPECT_EQ(got.sizes(), tensor.sizes());
    EXPECT_TRUE(torch::equal(got, tensor.cpu()));
  }
}

TEST(TensorMap, DTypeMappingIsABijection) {
  for (torch::ScalarType type : kAllTypes) {
    auto dtype = ToDType(type);
    ASSERT_TRUE(dtype.ok()) << c10::toString(type);
    EXPECT_EQ(ToScalarType(*dtype), type);
  }
  auto complex = ToDType(torch::kComplexFloat);
  ASSERT_FALSE(complex.ok());
  EXPECT_THAT(complex.status().message(), HasSubstr("ComplexFloat"));
}

TEST(TensorMap, RoundTripsEveryDType) {
  TensorMap tensors;
  for (torch::ScalarType type : kAllTypes) {
    tensors["t." + std::string(c10::toString(type))] = Sample(type, {3, 5});
  }
  // Bit patterns that are not small integers, where the type can hold them.
  tensors["random.f64"] = torch::randn({7, 3}, torch::kFloat64);
  tensors["random.f32"] = torch::randn({11}, torch::kFloat32);
  tensors["random.bf16"] = torch::randn({13}).to(torch::kBFloat16);
  tensors["random.f16"] = torch::randn({5, 2}).to(torch::kFloat16);
  tensors["big.i64"] = torch::tensor({std::int64_t{1} << 62, -(std::int64_t{1} << 61) - 7});
  auto decoded = RoundTrip(tensors);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  ExpectSameTensors(tensors, decoded->tensors);
}

TEST(TensorMap, ScalarsEmptyTensorsAndMetadata) {
  TensorMap tensors = {{"scalar", torch::tensor(3.5, torch::kFloat64)},
                       {"empty", torch::zeros({4, 0, 2}, torch::kFloat32)},
                       {"empty_bool", torch::zeros({0}, torch::kBool)}};
  Metadata metadata = {{"round", "4"}, {"model", "ct_classifier"}};
  auto decoded = RoundTrip(tensors, metadata);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  ExpectSameTensors(tensors, decoded->tensors);
  EXPECT_EQ(decoded->tensors.at("scalar").dim(), 0);
  EXPECT_EQ(decoded->metadata, metadata);
}

TEST(TensorMap, NonContiguousInputIsWrittenContiguous) {
  torch::Tensor base = torch::arange(0, 24, torch::kFloat32).reshape({4, 6});
  TensorMap tensors = {{"transposed", base.t()},
                       {"strided", base.index({torch::indexing::Slice(), torch::indexing::Slice(0, 6, 2)})},
                       {"expanded", torch::tensor({1, 2, 3}, torch::kInt32).expand({2, 3})}};
  ASSERT_FALSE(tensors["transposed"].is_contiguous());
  auto decoded = RoundTrip(tensors);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  ExpectSameTensors(tensors, decoded->tensors);
  EXPECT_TRUE(decoded->tensors.at("transposed").is_contiguous());
}

TEST(TensorMap, EncodeRefusesUnsupportedTensorsNamingThem) {
  auto complex = EncodeSafetensors({{"layer.weight", torch::zeros({2}, torch::kComplexFloat)}});
  ASSERT_FALSE(complex.ok());
  EXPECT_THAT(complex.status().message(), HasSubstr("tensor 'layer.weight'"));
  auto undefined = EncodeSafetensors({{"missing", torch::Tensor()}});
  ASSERT_FALSE(undefined.ok());
  EXPECT_THAT(undefined.status().message(), HasSubstr("tensor 'missing': undefined"));
  auto sparse = EncodeSafetensors({{"s", torch::eye(3).to_sparse()}});
  ASSERT_FALSE(sparse.ok());
  EXPECT_THAT(sparse.status().message(), HasSubstr("tensor 's'"));
}

TEST(TensorMap, EncodingIsDeterministicAndAligned) {
  TensorMap tensors = {{"a.mask", Sample(torch::kBool, {3})},
                       {"b.weight", Sample(torch::kFloat64, {3})},
                       {"c.count", Sample(torch::kInt16, {1})},
                       {"d.bias", Sample(torch::kFloat32, {5})}};
  auto first = EncodeSafetensors(tensors);
  auto second = EncodeSafetensors(tensors);
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(*first, *second);
  auto view = protocol::SafetensorsView::Parse(*first);
  ASSERT_TRUE(view.ok());
  for (const auto& tensor : view->tensors()) {
    const auto offset = static_cast<std::size_t>(tensor.data.data() - first->data());
    EXPECT_EQ(offset % protocol::DTypeSize(tensor.dtype), 0u) << tensor.name;
  }
}

TEST(TensorMap, DecodeViewsAlignedDataWithoutCopying) {
  TensorMap tensors = {{"w", torch::randn({256, 64})}, {"i", Sample(torch::kInt64, {9})}};
  auto bytes = EncodeSafetensors(tensors);
  ASSERT_TRUE(bytes.ok());
  auto buffer = std::make_shared<const std::string>(*std::move(bytes));
  auto decoded = DecodeSafetensors(buffer);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  const char* begin = buffer->data();
  const char* end = begin + buffer->size();
  for (const auto& [name, tensor] : decoded->tensors) {
    const char* data = static_cast<const char*>(tensor.data_ptr());
    EXPECT_TRUE(data >= begin && data + tensor.nbytes() <= end) << name << " was copied";
  }
  // The tensors keep the buffer alive after every other owner let go.
  torch::Tensor w = decoded->tensors.at("w");
  decoded = InternalError("dropped");
  std::weak_ptr<const std::string> watch = buffer;
  buffer.reset();
  ASSERT_FALSE(watch.expired());
  EXPECT_TRUE(torch::equal(w, tensors.at("w")));
  w = torch::Tensor();
  EXPECT_TRUE(watch.expired());
}

TEST(TensorMap, DecodeCopiesMisalignedData) {
  // A 1-byte tensor first pushes the float tensor to an odd offset (other writers may do this).
  std::string one(1, '\x07');
  torch::Tensor values = torch::tensor({1.5f, -2.0f, 3.25f});
  std::string floats(static_cast<const char*>(values.data_ptr()), 12);
  auto bytes = protocol::SerializeSafetensors({{"byte", protocol::DType::kU8, {1}, one},
                                               {"floats", protocol::DType::kF32, {3}, floats}});
  ASSERT_TRUE(bytes.ok());
  auto buffer = std::make_shared<const std::string>(*std::move(bytes));
  auto decoded = DecodeSafetensors(buffer);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  const torch::Tensor& got = decoded->tensors.at("floats");
  const char* data = static_cast<const char*>(got.data_ptr());
  EXPECT_FALSE(data >= buffer->data() && data < buffer->data() + buffer->size());
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(data) % 4, 0u);
  EXPECT_TRUE(torch::equal(got, values));
  EXPECT_EQ(decoded->tensors.at("byte").item<std::uint8_t>(), 7);
}

TEST(TensorMap, DecodeRefusesBoolBytesOtherThanZeroOrOne) {
  auto bytes = protocol::SerializeSafetensors({{"mask", protocol::DType::kBool, {3}, std::string("\x01\x02\x00", 3)}});
  ASSERT_TRUE(bytes.ok());
  auto decoded = DecodeSafetensors(std::make_shared<const std::string>(*bytes));
  ASSERT_FALSE(decoded.ok());
  EXPECT_THAT(decoded.status().message(), HasSubstr("tensor 'mask': BOOL element 1 has byte value 2"));
}

TEST(TensorMap, DecodeRefusesMalformedBuffers) {
  auto decoded = DecodeSafetensors(std::make_shared<const std::string>("garbage"));
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.status().code(), StatusCode::kDataLoss);
}

// A small network with every kind of state: weights, biases and BatchNorm buffers.
struct NetImpl : torch::nn::Module {
  NetImpl()
      : conv(register_module("conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(1, 4, 3)))),
        bn(register_module("bn", torch::nn::BatchNorm2d(4))),
        fc(register_module("fc", torch::nn::Linear(4, 2))) {}
  torch::Tensor forward(torch::Tensor x) {
    x = torch::relu(bn(conv(x)));
    return fc(x.mean({2, 3}));
  }
  torch::nn::Conv2d conv;
  torch::nn::BatchNorm2d bn;
  torch::nn::Linear fc;
};
TORCH_MODULE(Net);

TensorMap Snapshot(const torch::nn::Module& module) {
  TensorMap copy;
  for (const auto& [name, tensor] : StateDict(module)) copy[name] = tensor.clone();
  return copy;
}

TEST(StateDict, IncludesParametersAndBatchNormBuffers) {
  Net net;
  TensorMap state = StateDict(*net);
  for (const char* name : {"conv.weight", "conv.bias", "bn.weight", "bn.bias", "bn.running_mean",
                           "bn.running_var", "bn.num_batches_tracked", "fc.weight", "fc.bias"}) {
    EXPECT_TRUE(state.count(name)) << name;
  }
  EXPECT_EQ(state.size(), 9u);
  EXPECT_EQ(state.at("bn.num_batches_tracked").scalar_type(), torch::kInt64);
  EXPECT_FALSE(state.at("conv.weight").requires_grad());
}

TEST(StateDict, SaveAndLoadIntoAFreshModule) {
  torch::manual_seed(3);
  Net trained;
  trained->train();
  trained->forward(torch::randn({2, 1, 6, 6}));  // moves the running statistics
  trained->forward(torch::randn({2, 1, 6, 6}));
  TensorMap state = StateDict(*trained);
  ASSERT_EQ(state.at("bn.num_batches_tracked").item<std::int64_t>(), 2);
  auto decoded = RoundTrip(state);
  ASSERT_TRUE(decoded.ok()) << decoded.status();

  Net fresh;
  ASSERT_TRUE(LoadStateDict(*fresh, decoded->tensors).ok());
  ExpectSameTensors(Snapshot(*trained), StateDict(*fresh));
  EXPECT_EQ(StateDict(*fresh).at("bn.num_batches_tracked").item<std::int64_t>(), 2);
  // Loading copied: the module does not alias the decoded buffer.
  EXPECT_NE(StateDict(*fresh).at("fc.weight").data_ptr(), decoded->tensors.at("fc.weight").data_ptr());
  // Both give the same outputs in evaluation mode.
  trained->eval();
  fresh->eval();
  torch::Tensor input = torch::randn({1, 1, 6, 6});
  EXPECT_TRUE(torch::equal(trained->forward(input), fresh->forward(input)));
}

TEST(StateDict, LoadRefusesMismatchesAndLeavesModuleUntouched) {
  Net net;
  const TensorMap before = Snapshot(*net);
  TensorMap good = Snapshot(*Net());

  TensorMap missing = good;
  missing.erase("bn.running_var");
  Status status = LoadStateDict(*net, missing);
  EXPECT_EQ(status.code(), StatusCode::kNotFound);
  EXPECT_THAT(status.message(), HasSubstr("tensor 'bn.running_var'"));

  TensorMap extra = good;
  extra["head.weight"] = torch::zeros({2});
  status = LoadStateDict(*net, extra);
  EXPECT_THAT(status.message(), HasSubstr("tensor 'head.weight', which the module lacks"));

  TensorMap wrong_shape = good;
  wrong_shape["fc.weight"] = torch::zeros({2, 5});
  status = LoadStateDict(*net, wrong_shape);
  EXPECT_THAT(status.message(), HasSubstr("tensor 'fc.weight': shape [2, 5] does not match the module's [2, 4]"));

  TensorMap wrong_dtype = good;
  wrong_dtype["fc.bias"] = torch::zeros({2}, torch::kFloat64);
  status = LoadStateDict(*net, wrong_dtype);
  EXPECT_THAT(status.message(), HasSubstr("tensor 'fc.bias': dtype Double"));

  ExpectSameTensors(before, StateDict(*net));
}

TEST(SafetensorsFile, SaveAndLoad) {
  const auto folder = std::filesystem::temp_directory_path() /
                      ("tensorio_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(folder);
  const std::string path = (folder / "model.safetensors").string();
  TensorMap tensors = StateDict(*Net());
  ASSERT_TRUE(SaveSafetensorsFile(path, tensors, {{"round", "1"}}).ok());
  auto loaded = LoadSafetensorsFile(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  ExpectSameTensors(tensors, loaded->tensors);
  EXPECT_EQ(loaded->metadata.at("round"), "1");

  auto absent = LoadSafetensorsFile((folder / "absent.safetensors").string());
  EXPECT_EQ(absent.status().code(), StatusCode::kNotFound);
  ASSERT_TRUE(WriteFileAtomic(folder / "corrupt.safetensors",
                              std::string_view("\x05\0\0\0\0\0\0\0{\"a\":", 13)).ok());
  auto corrupt = LoadSafetensorsFile((folder / "corrupt.safetensors").string());
  ASSERT_FALSE(corrupt.ok());
  EXPECT_THAT(corrupt.status().message(), HasSubstr("corrupt.safetensors: safetensors header"));
  auto unsupported = SaveSafetensorsFile(path, {{"c", torch::zeros({1}, torch::kComplexDouble)}});
  EXPECT_THAT(unsupported.message(), HasSubstr(path));
  std::filesystem::remove_all(folder);
}

}  // namespace
}  // namespace pancaim::tensorio
