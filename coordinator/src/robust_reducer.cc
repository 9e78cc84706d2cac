// Coordinate-wise median and trimmed mean. Both need every update of the round at once, so each
// accepted update's float tensors are copied (the caller's buffer is transient): into memory while
// the total stays under a bound, then into one spill file per update. The reduction walks the model
// in blocks of coordinates, reading each update's block (from memory, or with pread from its file),
// so its working memory is K blocks whatever the model size.
//
// Both are unweighted: a site's self-reported sample count must not let it outvote the others.
// The result does not depend on the arrival order (values are sorted per coordinate).
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <vector>

#include "element_access.h"
#include "reducer.h"

namespace pancaim::coordinator::internal {
namespace {

constexpr std::int64_t kBlock = 4096;  // coordinates per reduction block

struct StashedUpdate {
  double clip_scale = 1;
  std::string in_memory;  // float tensors' bytes in layout order, or empty when spilled
  std::filesystem::path file;
  int fd = -1;
};

Status ErrnoStatus(const std::string& what, const std::filesystem::path& path) {
  const int err = errno;
  std::string message = what + " '" + path.string() + "': " + std::strerror(err);
  if (err == ENOSPC || err == EDQUOT) return ResourceExhaustedError(message);
  return UnavailableError(message);
}

class RobustReducer final : public Reducer {
 public:
  RobustReducer(ReducerKind kind, double trim_fraction, std::uint64_t max_in_memory_bytes,
                std::filesystem::path spill_dir)
      : kind_(kind),
        trim_fraction_(trim_fraction),
        max_in_memory_bytes_(max_in_memory_bytes),
        spill_dir_(std::move(spill_dir)) {}
  ~RobustReducer() override { Clear(); }

  Status Begin(const ModelLayout& layout, const protocol::SafetensorsView& global) override {
    Clear();
    layout_ = &layout;
    byte_offsets_.clear();
    std::uint64_t total = 0;
    for (const TensorSpec& spec : layout.tensors()) {
      byte_offsets_.push_back(total);
      if (spec.role != TensorRole::kIntegerBuffer) {
        total += static_cast<std::uint64_t>(spec.num_elements) * protocol::DTypeSize(spec.dtype);
      }
    }
    update_bytes_ = total;
    return Status::Ok();
  }

  Status Add(const ValidatedUpdate& update, double clip_scale) override {
    StashedUpdate stashed;
    stashed.clip_scale = clip_scale;
    if (in_memory_bytes_ + update_bytes_ <= max_in_memory_bytes_) {
      stashed.in_memory.reserve(update_bytes_);
      ForEachFloat(update, [&](std::string_view bytes) { stashed.in_memory.append(bytes); });
      in_memory_bytes_ += update_bytes_;
    } else {
      PANCAIM_RETURN_IF_ERROR(Spill(update, stashed));
    }
    updates_.push_back(std::move(stashed));
    return Status::Ok();
  }

  Status Finish(const protocol::SafetensorsView& global, SafetensorsBuffer& out) override {
    PANCAIM_CHECK(!updates_.empty()) << "Finish without updates";
    const std::size_t k = updates_.size();
    std::vector<std::vector<char>> scratch(k);
    std::vector<const char*> blocks(k);
    std::vector<double> values(k);
    for (std::size_t t = 0; t < layout_->tensors().size(); ++t) {
      const TensorSpec& spec = layout_->tensors()[t];
      if (spec.role == TensorRole::kIntegerBuffer) continue;
      const std::size_t elem = protocol::DTypeSize(spec.dtype);
      const char* g = global.tensors()[t].data.data();
      char* dst = out.MutableData(out.view().tensors()[t]);
      const bool clip = spec.role == TensorRole::kParameter;
      for (std::int64_t start = 0; start < spec.num_elements; start += kBlock) {
        const std::int64_t n = std::min(kBlock, spec.num_elements - start);
        const std::uint64_t offset = byte_offsets_[t] + static_cast<std::uint64_t>(start) * elem;
        for (std::size_t u = 0; u < k; ++u) {
          PANCAIM_ASSIGN_OR_RETURN(blocks[u], ReadBlock(updates_[u], offset, n * elem, scratch[u]));
        }
        DispatchFloat(spec.dtype, [&](auto tag) {
          using T = decltype(tag);
          for (std::int64_t i = 0; i < n; ++i) {
            const double gi = Load<T>(g, start + i);
            for (std::size_t u = 0; u < k; ++u) {
              const double x = Load<T>(blocks[u], i);
              const double s = clip ? updates_[u].clip_scale : 1.0;
              values[u] = s == 1.0 ? x : gi + s * (x - gi);
            }
            Store<T>(dst, start + i, static_cast<T>(Reduce(values)));
          }
        });
      }
    }
    return Status::Ok();
  }

 private:
  template <typename F>
  void ForEachFloat(const ValidatedUpdate& update, F&& f) {
    for (std::size_t t = 0; t < layout_->tensors().size(); ++t) {
      if (layout_->tensors()[t].role != TensorRole::kIntegerBuffer) f(update.tensors()[t]->data);
    }
  }

  Status Spill(const ValidatedUpdate& update, StashedUpdate& stashed) {
    std::error_code error;
    std::filesystem::create_directories(spill_dir_, error);
    if (error) {
      return UnavailableError("cannot create spill folder '" + spill_dir_.string() +
                              "': " + error.message());
    }
    stashed.file = spill_dir_ / ("update-" + std::to_string(::getpid()) + "-" +
                                 std::to_string(spill_counter_++) + ".bin");
    stashed.fd = ::open(stashed.file.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (stashed.fd < 0) return ErrnoStatus("cannot create spill file", stashed.file);
    Status status;
    ForEachFloat(update, [&](std::string_view bytes) {
      while (status.ok() && !bytes.empty()) {
        const ssize_t written = ::write(stashed.fd, bytes.data(), bytes.size());
        if (written < 0 && errno == EINTR) continue;
        if (written < 0) {
          status = ErrnoStatus("cannot write spill file", stashed.file);
          break;
        }
        bytes.remove_prefix(static_cast<std::size_t>(written));
      }
    });
    if (!status.ok()) {
      ::close(stashed.fd);
      std::filesystem::remove(stashed.file, error);
      stashed.fd = -1;
    }
    return status;
  }

  StatusOr<const char*> ReadBlock(const StashedUpdate& stashed, std::uint64_t offset,
                                  std::uint64_t size, std::vector<char>& scratch) {
    if (stashed.fd < 0) return stashed.in_memory.data() + offset;
    scratch.resize(size);
    std::uint64_t done = 0;
    while (done < size) {
      const ssize_t got = ::pread(stashed.fd, scratch.data() + done, size - done,
                                  static_cast<off_t>(offset + done));
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) return ErrnoStatus("cannot read spill file", stashed.file);
      if (got == 0) return DataLossError("spill file '" + stashed.file.string() + "' is short");
      done += static_cast<std::uint64_t>(got);
    }
    return static_cast<const char*>(scratch.data());
  }

  double Reduce(std::vector<double>& values) const {
    std::sort(values.begin(), values.end());
    const std::size_t k = values.size();
    if (kind_ == ReducerKind::kMedian) {
      return k % 2 == 1 ? values[k / 2] : 0.5 * (values[k / 2 - 1] + values[k / 2]);
    }
    const auto drop = static_cast<std::size_t>(std::floor(trim_fraction_ * static_cast<double>(k)));
    double sum = 0;
    for (std::size_t i = drop; i < k - drop; ++i) sum += values[i];
    return sum / static_cast<double>(k - 2 * drop);
  }

  void Clear() {
    for (StashedUpdate& stashed : updates_) {
      if (stashed.fd >= 0) {
        ::close(stashed.fd);
        std::error_code ignored;
        std::filesystem::remove(stashed.file, ignored);
      }
    }
    updates_.clear();
    in_memory_bytes_ = 0;
  }

  const ReducerKind kind_;
  const double trim_fraction_;
  const std::uint64_t max_in_memory_bytes_;
  const std::filesystem::path spill_dir_;
  const ModelLayout* layout_ = nullptr;
  std::vector<std::uint64_t> byte_offsets_;  // per tensor, into a stashed update's bytes
  std::uint64_t update_bytes_ = 0;
  std::uint64_t in_memory_bytes_ = 0;
  std::uint64_t spill_counter_ = 0;
  std::vector<StashedUpdate> updates_;
};

}  // namespace

std::unique_ptr<Reducer> MakeRobustReducer(ReducerKind kind, double trim_fraction,
                                           std::uint64_t max_in_memory_bytes,
                                           std::filesystem::path spill_dir) {
  return std::make_unique<RobustReducer>(kind, trim_fraction, max_in_memory_bytes,
                                         std::move(spill_dir));
}

}  // namespace pancaim::coordinator::internal
