// Test helpers: build small safetensors models from plain values and read tensors back as doubles.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "pancaim/coordinator/safetensors_buffer.h"
#include "pancaim/protocol/safetensors.h"

namespace pancaim::coordinator::testing {

struct TestTensor {
  std::string name;
  protocol::DType dtype = protocol::DType::kF32;
  std::vector<std::int64_t> shape;
  std::vector<double> values;
};

inline std::string EncodeValues(protocol::DType dtype, const std::vector<double>& values) {
  using protocol::DType;
  std::string bytes;
  auto put = [&](auto v) {
    char raw[sizeof(v)];
    std::memcpy(raw, &v, sizeof(v));
    bytes.append(raw, sizeof(v));
  };
  for (double v : values) {
    switch (dtype) {
      case DType::kF32: put(static_cast<float>(v)); break;
      case DType::kF64: put(v); break;
      case DType::kI64: put(static_cast<std::int64_t>(v)); break;
      case DType::kI32: put(static_cast<std::int32_t>(v)); break;
      case DType::kU8:
      case DType::kBool: put(static_cast<std::uint8_t>(v)); break;
      default: ADD_FAILURE() << "dtype not supported by the test helper";
    }
  }
  return bytes;
}

// Serialized safetensors bytes of `tensors`.
inline std::string MakeModelBytes(const std::vector<TestTensor>& tensors) {
  std::vector<std::string> data;
  data.reserve(tensors.size());
  std::vector<protocol::TensorView> views;
  for (const TestTensor& t : tensors) {
    data.push_back(EncodeValues(t.dtype, t.values));
  }
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    protocol::TensorView view;
    view.name = tensors[i].name;
    view.dtype = tensors[i].dtype;
    view.shape = tensors[i].shape;
    view.data = data[i];
    views.push_back(std::move(view));
  }
  auto bytes = protocol::SerializeSafetensors(views);
  EXPECT_TRUE(bytes.ok()) << bytes.status();
  return bytes.ok() ? *bytes : std::string();
}

inline std::shared_ptr<const SafetensorsBuffer> MakeModel(const std::vector<TestTensor>& tensors) {
  auto buffer = SafetensorsBuffer::FromBytes(MakeModelBytes(tensors));
  EXPECT_TRUE(buffer.ok()) << buffer.status();
  return std::make_shared<const SafetensorsBuffer>(std::move(buffer).value());
}

// Values of tensor `name` as doubles.
inline std::vector<double> ReadTensor(const protocol::SafetensorsView& view,
                                      const std::string& name) {
  using protocol::DType;
  const protocol::TensorView* t = view.Find(name);
  EXPECT_NE(t, nullptr) << name;
  std::vector<double> out;
  if (t == nullptr) return out;
  const std::int64_t n = t->NumElements();
  for (std::int64_t i = 0; i < n; ++i) {
    auto get = [&](auto tag) {
      decltype(tag) v;
      std::memcpy(&v, t->data.data() + i * sizeof(v), sizeof(v));
      return static_cast<double>(v);
    };
    switch (t->dtype) {
      case DType::kF32: out.push_back(get(float{})); break;
      case DType::kF64: out.push_back(get(double{})); break;
      case DType::kI64: out.push_back(get(std::int64_t{})); break;
      case DType::kI32: out.push_back(get(std::int32_t{})); break;
      case DType::kU8:
      case DType::kBool: out.push_back(get(std::uint8_t{})); break;
      default: ADD_FAILURE() << "dtype not supported by the test helper";
    }
  }
  return out;
}

// A model with a conv-like weight, a bias, BatchNorm running stats and a counter, all float32
// except the counter; values drawn from `rng` around `center`.
inline std::vector<TestTensor> RandomModel(std::mt19937_64& rng, double center = 0,
                                           double spread = 1, std::int64_t counter = 10) {
  std::normal_distribution<double> normal(center, spread);
  auto values = [&](std::size_t n) {
    std::vector<double> v(n);
    for (double& x : v) x = static_cast<float>(normal(rng));  // representable in float32
    return v;
  };
  std::vector<TestTensor> model = {
      {"bn.num_batches_tracked", protocol::DType::kI64, {}, {static_cast<double>(counter)}},
      {"bn.running_mean", protocol::DType::kF32, {3}, values(3)},
      {"bn.running_var", protocol::DType::kF32, {3}, {}},
      {"conv.bias", protocol::DType::kF32, {3}, values(3)},
      {"conv.weight", protocol::DType::kF32, {3, 2, 2}, values(12)},
      {"head.weight", protocol::DType::kF64, {2, 3}, values(6)},
  };
  std::uniform_real_distribution<double> positive(0.5, 2.0);
  for (int i = 0; i < 3; ++i) model[2].values.push_back(static_cast<float>(positive(rng)));
  return model;
}

}  // namespace pancaim::coordinator::testing
