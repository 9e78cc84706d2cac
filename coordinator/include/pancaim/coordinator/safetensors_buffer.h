// SafetensorsBuffer: a safetensors byte buffer that owns its bytes together with the parsed view of
// them, so a model or update can be passed around as one value. The bytes live on the heap behind a
// unique_ptr, so the views stay valid when the object moves.
//
// Used for the global model, the model being produced by a round, and strategy state tensors.
// A value type: movable, not copyable (copying 100 MB by accident is a bug); not synchronized.
#pragma once

#include <memory>
#include <string>

#include "pancaim/common/status.h"
#include "pancaim/protocol/safetensors.h"

namespace pancaim::coordinator {

class SafetensorsBuffer {
 public:
  // Takes ownership of `bytes` and parses them; errors are those of SafetensorsView::Parse,
  // prefixed with `source` (a file name or peer) when given.
  static StatusOr<SafetensorsBuffer> FromBytes(std::string bytes, std::string_view source = "",
                                               const protocol::SafetensorsLimits& limits = {});

  SafetensorsBuffer(SafetensorsBuffer&&) = default;
  SafetensorsBuffer& operator=(SafetensorsBuffer&&) = default;
  SafetensorsBuffer(const SafetensorsBuffer&) = delete;
  SafetensorsBuffer& operator=(const SafetensorsBuffer&) = delete;

  const std::string& bytes() const { return *bytes_; }
  const protocol::SafetensorsView& view() const { return view_; }

  // A deep copy with its own bytes (used to start the next model from the current one).
  SafetensorsBuffer Clone() const;

  // Writable pointer to the bytes of `tensor`, which must be one of view().tensors() (checked).
  char* MutableData(const protocol::TensorView& tensor);

  // Lowercase hex SHA-256 of bytes(): the model version id sent to sites and written in the audit.
  std::string Sha256() const;

 private:
  SafetensorsBuffer(std::unique_ptr<std::string> bytes, protocol::SafetensorsView view)
      : bytes_(std::move(bytes)), view_(std::move(view)) {}

  std::unique_ptr<std::string> bytes_;
  protocol::SafetensorsView view_;
};

}  // namespace pancaim::coordinator
