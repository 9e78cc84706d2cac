#include "pancaim/coordinator/safetensors_buffer.h"

#include "pancaim/crypto/sha256.h"

namespace pancaim::coordinator {

StatusOr<SafetensorsBuffer> SafetensorsBuffer::FromBytes(std::string bytes,
                                                         std::string_view source,
                                                         const protocol::SafetensorsLimits& limits) {
  auto owned = std::make_unique<std::string>(std::move(bytes));
  auto view = protocol::SafetensorsView::Parse(*owned, limits);
  if (!view.ok()) {
    return source.empty() ? view.status() : view.status().WithContext(source);
  }
  return SafetensorsBuffer(std::move(owned), std::move(view).value());
}

SafetensorsBuffer SafetensorsBuffer::Clone() const {
  auto copy = FromBytes(*bytes_);
  PANCAIM_CHECK(copy.ok()) << "re-parsing a buffer that parsed before failed: " << copy.status();
  return std::move(copy).value();
}

char* SafetensorsBuffer::MutableData(const protocol::TensorView& tensor) {
  const char* begin = bytes_->data();
  PANCAIM_CHECK(tensor.data.data() >= begin &&
                tensor.data.data() + tensor.data.size() <= begin + bytes_->size())
      << "tensor '" << tensor.name << "' does not belong to this buffer";
  return bytes_->data() + (tensor.data.data() - begin);
}

std::string SafetensorsBuffer::Sha256() const { return crypto::Sha256Hex(*bytes_); }

}  // namespace pancaim::coordinator
