#include "pancaim/tensorio/tensor_map.h"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <utility>
#include <vector>

#include <c10/util/Exception.h>
#include <torch/torch.h>

#include "pancaim/common/files.h"

namespace pancaim::tensorio {
namespace {

// Raw tensor bytes are little-endian on the wire and copied verbatim.
static_assert(std::endian::native == std::endian::little, "tensorio assumes a little-endian host");

using protocol::DType;

std::string Where(const std::string& name) { return "tensor '" + name + "'"; }

// A CPU contiguous version of one named tensor, ready to be serialized.
struct Prepared {
  const std::string* name;
  DType dtype;
  torch::Tensor cpu;
};

StatusOr<Prepared> Prepare(const std::string& name, const torch::Tensor& tensor) {
  if (!tensor.defined()) return InvalidArgumentError(Where(name) + ": undefined tensor");
  if (tensor.layout() != torch::kStrided) {
    return InvalidArgumentError(Where(name) + ": only dense (strided) tensors can be saved");
  }
  auto dtype = ToDType(tensor.scalar_type());
  if (!dtype.ok()) return dtype.status().WithContext(Where(name));
  // Both calls return the tensor itself when it already is on the CPU and contiguous.
  torch::Tensor cpu = tensor.detach().to(torch::kCPU).contiguous();
  return Prepared{&name, *dtype, std::move(cpu)};
}

std::vector<std::int64_t> Shape(const torch::Tensor& tensor) {
  return std::vector<std::int64_t>(tensor.sizes().begin(), tensor.sizes().end());
}

// Wraps one validated tensor view: a view over the buffer when aligned, a copy otherwise.
torch::Tensor Wrap(const protocol::TensorView& view,
                   const std::shared_ptr<const std::string>& buffer) {
  const auto options = torch::TensorOptions().dtype(ToScalarType(view.dtype));
  const std::size_t alignment = protocol::DTypeSize(view.dtype);
  const auto address = reinterpret_cast<std::uintptr_t>(view.data.data());
  if (view.data.empty() || address % alignment != 0) {
    torch::Tensor copy = torch::empty(view.shape, options);
    if (!view.data.empty()) std::memcpy(copy.data_ptr(), view.data.data(), view.data.size());
    return copy;
  }
  // from_blob takes a mutable pointer; the tensor is documented as read-only (see header). The
  // deleter holds a reference that keeps the buffer alive as long as any tensor views it.
  void* data = const_cast<char*>(view.data.data());
  return torch::from_blob(data, view.shape, [keep = buffer](void*) {}, options);
}

// torch assumes bool bytes are 0 or 1; any other value would make comparisons misbehave.
Status CheckBoolBytes(const protocol::TensorView& view) {
  if (view.dtype != DType::kBool) return Status::Ok();
  for (std::size_t i = 0; i < view.data.size(); ++i) {
    const auto byte = static_cast<unsigned char>(view.data[i]);
    if (byte > 1) {
      return InvalidArgumentError(Where(view.name) + ": BOOL element " + std::to_string(i) +
                                  " has byte value " + std::to_string(byte) + " (must be 0 or 1)");
    }
  }
  return Status::Ok();
}

}  // namespace

StatusOr<DType> ToDType(torch::ScalarType type) {
  switch (type) {
    case torch::kFloat64: return DType::kF64;
    case torch::kFloat32: return DType::kF32;
    case torch::kFloat16: return DType::kF16;
    case torch::kBFloat16: return DType::kBF16;
    case torch::kInt64: return DType::kI64;
    case torch::kInt32: return DType::kI32;
    case torch::kInt16: return DType::kI16;
    case torch::kInt8: return DType::kI8;
    case torch::kUInt8: return DType::kU8;
    case torch::kBool: return DType::kBool;
    default:
      return InvalidArgumentError(std::string("torch dtype ") + c10::toString(type) +
                                  " has no safetensors equivalent we support");
  }
}

torch::ScalarType ToScalarType(DType dtype) {
  switch (dtype) {
    case DType::kF64: return torch::kFloat64;
    case DType::kF32: return torch::kFloat32;
    case DType::kF16: return torch::kFloat16;
    case DType::kBF16: return torch::kBFloat16;
    case DType::kI64: return torch::kInt64;
    case DType::kI32: return torch::kInt32;
    case DType::kI16: return torch::kInt16;
    case DType::kI8: return torch::kInt8;
    case DType::kU8: return torch::kUInt8;
    case DType::kBool: return torch::kBool;
  }
  PANCAIM_CHECK(false) << "unknown DType " << static_cast<int>(dtype);
  return torch::kFloat32;
}

StatusOr<std::string> EncodeSafetensors(const TensorMap& tensors, const Metadata& metadata) {
  std::vector<Prepared> prepared;
  prepared.reserve(tensors.size());
  try {
    for (const auto& [name, tensor] : tensors) {
      PANCAIM_ASSIGN_OR_RETURN(Prepared item, Prepare(name, tensor));
      prepared.push_back(std::move(item));
    }
  } catch (const c10::Error& error) {
    return InternalError(std::string("cannot prepare tensors for saving: ") + error.what_without_backtrace());
  }
  // Larger elements first keeps every offset a multiple of its element size (sizes are powers of
  // two and the data section starts 8-aligned), so decoding never needs to copy.
  std::stable_sort(prepared.begin(), prepared.end(), [](const Prepared& a, const Prepared& b) {
    return protocol::DTypeSize(a.dtype) > protocol::DTypeSize(b.dtype);
  });
  std::vector<protocol::TensorView> views;
  views.reserve(prepared.size());
  for (const Prepared& item : prepared) {
    const auto bytes = static_cast<std::size_t>(item.cpu.nbytes());
    views.push_back({*item.name, item.dtype, Shape(item.cpu),
                     std::string_view(static_cast<const char*>(item.cpu.data_ptr()), bytes)});
  }
  return protocol::SerializeSafetensors(views, metadata);
}

StatusOr<DecodedTensors> DecodeSafetensors(std::shared_ptr<const std::string> buffer,
                                           const protocol::SafetensorsLimits& limits) {
  PANCAIM_CHECK(buffer != nullptr) << "DecodeSafetensors needs a buffer";
  PANCAIM_ASSIGN_OR_RETURN(protocol::SafetensorsView view,
                           protocol::SafetensorsView::Parse(*buffer, limits));
  DecodedTensors decoded;
  decoded.metadata = view.metadata();
  try {
    for (const protocol::TensorView& tensor : view.tensors()) {
      PANCAIM_RETURN_IF_ERROR(CheckBoolBytes(tensor));
      decoded.tensors.emplace(tensor.name, Wrap(tensor, buffer));
    }
  } catch (const c10::Error& error) {
    return InternalError(std::string("cannot wrap decoded tensors: ") + error.what_without_backtrace());
  }
  return decoded;
}

TensorMap StateDict(const torch::nn::Module& module) {
  TensorMap tensors;
  for (const auto& item : module.named_parameters(/*recurse=*/true)) {
    tensors.emplace(item.key(), item.value().detach());
  }
  for (const auto& item : module.named_buffers(/*recurse=*/true)) {
    tensors.emplace(item.key(), item.value().detach());
  }
  return tensors;
}

Status LoadStateDict(torch::nn::Module& module, const TensorMap& tensors) {
  const TensorMap targets = StateDict(module);
  // Everything is checked before the first copy, so a refusal leaves the module untouched.
  for (const auto& [name, target] : targets) {
    auto found = tensors.find(name);
    if (found == tensors.end()) return NotFoundError("state dict lacks " + Where(name));
    const torch::Tensor& source = found->second;
    if (!source.defined()) return InvalidArgumentError(Where(name) + ": undefined tensor");
    if (source.sizes() != target.sizes()) {
      return InvalidArgumentError(Where(name) + ": shape " + c10::str(source.sizes()) +
                                  " does not match the module's " + c10::str(target.sizes()));
    }
    if (source.scalar_type() != target.scalar_type()) {
      return InvalidArgumentError(Where(name) + ": dtype " + c10::toString(source.scalar_type()) +
                                  " does not match the module's " +
                                  c10::toString(target.scalar_type()));
    }
  }
  for (const auto& [name, unused] : tensors) {
    if (!targets.count(name)) {
      return InvalidArgumentError("state dict has " + Where(name) + ", which the module lacks");
    }
  }
  try {
    torch::NoGradGuard no_grad;
    for (const auto& [name, target] : targets) {
      // copy_ into the detached alias writes the module's own storage (and moves across devices).
      torch::Tensor alias = target;
      alias.copy_(tensors.at(name));
    }
  } catch (const c10::Error& error) {
    return InternalError(std::string("copying the state dict into the module failed: ") +
                         error.what_without_backtrace());
  }
  return Status::Ok();
}

Status SaveSafetensorsFile(const std::string& path, const TensorMap& tensors,
                           const Metadata& metadata) {
  auto bytes = EncodeSafetensors(tensors, metadata);
  if (!bytes.ok()) return bytes.status().WithContext(path);
  return WriteFileAtomic(path, *bytes);
}

StatusOr<DecodedTensors> LoadSafetensorsFile(const std::string& path) {
  PANCAIM_ASSIGN_OR_RETURN(std::string bytes, ReadFile(path));
  auto decoded = DecodeSafetensors(std::make_shared<const std::string>(std::move(bytes)));
  if (!decoded.ok()) return decoded.status().WithContext(path);
  return decoded;
}

}  // namespace pancaim::tensorio
