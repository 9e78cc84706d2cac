#include "pancaim/coordinator/model_layout.h"

#include <unordered_map>

namespace pancaim::coordinator {
namespace {

std::string ShapeText(const std::vector<std::int64_t>& shape) {
  std::string out = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) out += ", ";
    out += std::to_string(shape[i]);
  }
  return out + "]";
}

bool EndsWith(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

std::string_view TensorRoleName(TensorRole role) {
  switch (role) {
    case TensorRole::kParameter:
      return "parameter";
    case TensorRole::kFloatBuffer:
      return "float buffer";
    case TensorRole::kIntegerBuffer:
      return "integer buffer";
  }
  return "?";
}

bool IsFloatDType(protocol::DType dtype) {
  using protocol::DType;
  return dtype == DType::kF64 || dtype == DType::kF32 || dtype == DType::kF16 ||
         dtype == DType::kBF16;
}

StatusOr<ModelLayout> ModelLayout::FromModel(const protocol::SafetensorsView& model,
                                             const std::vector<std::string>& buffer_suffixes) {
  if (model.tensors().empty()) return InvalidArgumentError("the global model has no tensors");
  ModelLayout layout;
  for (const protocol::TensorView& tensor : model.tensors()) {
    TensorSpec spec;
    spec.name = tensor.name;
    spec.dtype = tensor.dtype;
    spec.shape = tensor.shape;
    spec.num_elements = tensor.NumElements();
    if (tensor.dtype == protocol::DType::kF16 || tensor.dtype == protocol::DType::kBF16) {
      return UnimplementedError("tensor '" + tensor.name + "' is " +
                                std::string(protocol::DTypeName(tensor.dtype)) +
                                ": aggregation supports F32 and F64 floating-point tensors only");
    }
    if (!IsFloatDType(tensor.dtype)) {
      spec.role = TensorRole::kIntegerBuffer;
      layout.integer_elements_ += spec.num_elements;
    } else {
      spec.role = TensorRole::kParameter;
      for (const std::string& suffix : buffer_suffixes) {
        if (EndsWith(tensor.name, suffix)) spec.role = TensorRole::kFloatBuffer;
      }
      layout.float_elements_ += spec.num_elements;
    }
    layout.tensors_.push_back(std::move(spec));
  }
  return layout;
}

StatusOr<std::vector<const protocol::TensorView*>> ModelLayout::Align(
    const protocol::SafetensorsView& update) const {
  std::unordered_map<std::string_view, const protocol::TensorView*> by_name;
  by_name.reserve(update.tensors().size());
  for (const protocol::TensorView& tensor : update.tensors()) by_name[tensor.name] = &tensor;

  std::vector<const protocol::TensorView*> aligned;
  aligned.reserve(tensors_.size());
  for (const TensorSpec& spec : tensors_) {
    auto it = by_name.find(spec.name);
    if (it == by_name.end()) {
      return InvalidArgumentError("tensor '" + spec.name + "' is missing");
    }
    const protocol::TensorView& tensor = *it->second;
    if (tensor.dtype != spec.dtype) {
      return InvalidArgumentError("tensor '" + spec.name + "' has dtype " +
                                  std::string(protocol::DTypeName(tensor.dtype)) +
                                  ", the global model has " +
                                  std::string(protocol::DTypeName(spec.dtype)));
    }
    if (tensor.shape != spec.shape) {
      return InvalidArgumentError("tensor '" + spec.name + "' has shape " +
                                  ShapeText(tensor.shape) + ", the global model has " +
                                  ShapeText(spec.shape));
    }
    aligned.push_back(&tensor);
  }
  if (update.tensors().size() != tensors_.size()) {
    std::unordered_map<std::string_view, bool> known;
    for (const TensorSpec& spec : tensors_) known[spec.name] = true;
    for (const protocol::TensorView& tensor : update.tensors()) {
      if (!known.count(tensor.name)) {
        return InvalidArgumentError("tensor '" + tensor.name +
                                    "' is not part of the global model");
      }
    }
  }
  return aligned;
}

}  // namespace pancaim::coordinator
