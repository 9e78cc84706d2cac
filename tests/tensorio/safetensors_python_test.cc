// Interop: files written by the C++ codec are read by an independent reader,
// scripts/safetensors_reader.py (numpy, and torch when importable), and values compared.
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "pancaim/tensorio/tensor_map.h"

namespace pancaim::tensorio {
namespace {

using nlohmann::json;

const char kPython[] = "/usr/bin/python3";

// Runs `command` and returns its stdout and exit status.
std::pair<std::string, int> RunCommand(const std::string& command) {
  std::string out;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return {"", -1};
  char chunk[4096];
  std::size_t got;
  while ((got = std::fread(chunk, 1, sizeof(chunk), pipe)) > 0) out.append(chunk, got);
  return {out, ::pclose(pipe)};
}

bool PythonImports(const std::string& module) {
  return RunCommand(std::string(kPython) + " -c 'import " + module + "' 2>/dev/null").second == 0;
}

class SafetensorsPythonTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(kPython)) GTEST_SKIP() << kPython << " is not installed";
    if (!PythonImports("numpy")) GTEST_SKIP() << "numpy is not importable by " << kPython;
    folder_ = std::filesystem::temp_directory_path() /
              ("safetensors_python_test_" + std::to_string(::getpid()));
    std::filesystem::create_directories(folder_);
  }
  void TearDown() override {
    if (!folder_.empty()) std::filesystem::remove_all(folder_);
  }

  // The reader's --json output for `path` and its exit status (0 ok, 3 torch missing).
  std::pair<json, int> ReadWithStatus(const std::string& path, bool via_torch) {
    const std::string script =
        (std::filesystem::path(PANCAIM_SOURCE_DIR) / "scripts/safetensors_reader.py").string();
    auto [out, status] = RunCommand(std::string(kPython) + " " + script + " --json " +
                                    (via_torch ? "--torch " : "") + path);
    const int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return {json::parse(out, nullptr, /*allow_exceptions=*/false), code};
  }
  json Read(const std::string& path, bool via_torch) {
    auto [read, code] = ReadWithStatus(path, via_torch);
    EXPECT_EQ(code, 0);
    return read;
  }

  std::filesystem::path folder_;
};

TensorMap InteropTensors() {
  torch::manual_seed(11);
  TensorMap tensors;
  tensors["f64"] = torch::randn({2, 3}, torch::kFloat64);
  tensors["f32"] = torch::randn({4}, torch::kFloat32);
  tensors["f16"] = torch::randn({3}).to(torch::kFloat16);
  tensors["bf16"] = torch::randn({2, 2}).to(torch::kBFloat16);
  tensors["i64"] = torch::tensor({std::int64_t{1} << 60, std::int64_t{-3}, std::int64_t{9007199254740993}});
  tensors["i32"] = torch::tensor({-2147483647 - 1, 7}, torch::kInt32);
  tensors["i16"] = torch::tensor({-32768, 32767}, torch::kInt16);
  tensors["i8"] = torch::tensor({-128, 127}, torch::kInt8);
  tensors["u8"] = torch::tensor({0, 255}, torch::kUInt8);
  tensors["bool"] = torch::tensor({true, false, true});
  tensors["scalar"] = torch::tensor(2.5);
  tensors["empty"] = torch::zeros({0, 3});
  tensors["nested.layer.weight"] = torch::arange(0, 6, torch::kFloat32).reshape({3, 2}).t();
  return tensors;
}

// Compares one tensor with the reader's JSON for it, element by element.
void ExpectMatches(const std::string& name, const torch::Tensor& tensor, const json& read) {
  SCOPED_TRACE(name);
  ASSERT_TRUE(read.is_object());
  EXPECT_EQ(read["shape"].get<std::vector<std::int64_t>>(),
            std::vector<std::int64_t>(tensor.sizes().begin(), tensor.sizes().end()));
  const json& values = read["values"];
  torch::Tensor flat = tensor.contiguous().reshape({-1});
  ASSERT_EQ(values.size(), static_cast<std::size_t>(flat.numel()));
  for (std::int64_t i = 0; i < flat.numel(); ++i) {
    if (tensor.scalar_type() == torch::kBool) {
      EXPECT_EQ(values[i].get<bool>(), flat[i].item<bool>()) << i;
    } else if (tensor.is_floating_point()) {
      // Widening to double is exact for every float type, so equality is exact too.
      EXPECT_EQ(values[i].get<double>(), flat[i].item<double>()) << i;
    } else {
      EXPECT_EQ(values[i].get<std::int64_t>(), flat[i].item<std::int64_t>()) << i;
    }
  }
}

TEST_F(SafetensorsPythonTest, NumpyReaderSeesTheValuesWeWrote) {
  const std::string path = (folder_ / "interop.safetensors").string();
  const TensorMap tensors = InteropTensors();
  ASSERT_TRUE(SaveSafetensorsFile(path, tensors, {{"written_by", "pancaim"}}).ok());
  json read = Read(path, /*via_torch=*/false);
  ASSERT_TRUE(read.is_object()) << "reader printed no JSON";
  EXPECT_EQ(read["metadata"]["written_by"], "pancaim");
  ASSERT_EQ(read["tensors"].size(), tensors.size());
  for (const auto& [name, tensor] : tensors) ExpectMatches(name, tensor, read["tensors"][name]);
  EXPECT_EQ(read["tensors"]["f16"]["dtype"], "float16");
  EXPECT_EQ(read["tensors"]["i8"]["dtype"], "int8");
  EXPECT_EQ(read["tensors"]["bool"]["dtype"], "bool");
}

TEST_F(SafetensorsPythonTest, TorchReaderSeesTheValuesAndDTypesWeWrote) {
  const std::string path = (folder_ / "interop_torch.safetensors").string();
  const TensorMap tensors = InteropTensors();
  ASSERT_TRUE(SaveSafetensorsFile(path, tensors).ok());
  auto [read, code] = ReadWithStatus(path, /*via_torch=*/true);
  if (code == 3) GTEST_SKIP() << "torch is not importable by " << kPython;
  ASSERT_EQ(code, 0);
  ASSERT_TRUE(read.is_object()) << "reader printed no JSON";
  for (const auto& [name, tensor] : tensors) ExpectMatches(name, tensor, read["tensors"][name]);
  EXPECT_EQ(read["tensors"]["bf16"]["dtype"], "bfloat16");
  EXPECT_EQ(read["tensors"]["f64"]["dtype"], "float64");
  EXPECT_EQ(read["tensors"]["u8"]["dtype"], "uint8");
}

TEST_F(SafetensorsPythonTest, ReaderAgreesOnTheSpecificationGoldenFile) {
  const std::string path =
      (std::filesystem::path(PANCAIM_SOURCE_DIR) / "tests/protocol/data/golden.safetensors").string();
  json read = Read(path, /*via_torch=*/false);
  ASSERT_TRUE(read.is_object());
  EXPECT_EQ(read["tensors"]["a"]["values"], json::array({1.0, -2.5}));
  EXPECT_EQ(read["tensors"]["b"]["values"], json::array({-2}));
  EXPECT_EQ(read["tensors"]["c"]["values"], json::array({true, false, true}));
  EXPECT_EQ(read["tensors"]["d"]["values"], json::array({1.0}));
  EXPECT_EQ(read["metadata"]["origin"], "spec");
}

}  // namespace
}  // namespace pancaim::tensorio
