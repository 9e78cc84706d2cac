#include "pancaim/imaging/volume_cache.h"

#include <bit>
#include <cstring>
#include <system_error>

#include <nlohmann/json.hpp>

#include "pancaim/common/files.h"
#include "pancaim/common/log.h"
#include "pancaim/imaging/content_hash.h"

namespace pancaim::imaging {
namespace {

static_assert(std::endian::native == std::endian::little,
              "the cache stores float32 little-endian; add byte swapping for this platform");

constexpr std::string_view kMagic = "PCVOL001";

nlohmann::json GeometryToJson(const VolumeGeometry& g) {
  return {{"size", g.size}, {"spacing", g.spacing}, {"origin", g.origin},
          {"direction", g.direction}};
}

VolumeGeometry GeometryFromJson(const nlohmann::json& j) {
  VolumeGeometry g;
  g.size = j.at("size").get<std::array<std::int64_t, 3>>();
  g.spacing = j.at("spacing").get<std::array<double, 3>>();
  g.origin = j.at("origin").get<std::array<double, 3>>();
  g.direction = j.at("direction").get<std::array<double, 9>>();
  return g;
}

std::string Serialise(const LoadedCase& loaded) {
  nlohmann::json header = {
      {"image", GeometryToJson(loaded.data.image.geometry)},
      {"mask", loaded.data.mask ? GeometryToJson(loaded.data.mask->geometry) : nlohmann::json()},
      {"input_geometry", GeometryToJson(loaded.image_geometry)},
      {"input_format", static_cast<int>(loaded.image_format)},
      {"centred_on_mask", loaded.data.centred_on_mask},
      {"notes", loaded.notes}};
  std::vector<std::string> files;
  for (const auto& f : loaded.files_read) files.push_back(f.string());
  header["files_read"] = files;
  const std::string text = header.dump();
  std::string bytes(kMagic);
  const std::uint64_t length = text.size();
  bytes.append(reinterpret_cast<const char*>(&length), sizeof(length));
  bytes += text;
  const auto append = [&bytes](const std::vector<float>& v) {
    bytes.append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float));
  };
  append(loaded.data.image.voxels);
  if (loaded.data.mask) append(loaded.data.mask->voxels);
  return bytes;
}

// Parses an entry; any inconsistency is DataLoss (the caller recomputes).
StatusOr<LoadedCase> Deserialise(const std::string& bytes, const std::string& where) {
  if (bytes.size() < kMagic.size() + 8 || bytes.compare(0, kMagic.size(), kMagic) != 0) {
    return DataLossError(where + ": not a cache entry");
  }
  std::uint64_t length = 0;
  std::memcpy(&length, bytes.data() + kMagic.size(), sizeof(length));
  std::size_t offset = kMagic.size() + sizeof(length);
  if (length > bytes.size() - offset) return DataLossError(where + ": truncated header");
  LoadedCase loaded;
  try {
    const auto header = nlohmann::json::parse(bytes.substr(offset, length));
    offset += length;
    const auto read_volume = [&](const nlohmann::json& g, Volume& out) -> bool {
      out.geometry = GeometryFromJson(g);
      const auto n = static_cast<std::size_t>(out.geometry.NumVoxels());
      if (out.geometry.NumVoxels() < 0 || n * sizeof(float) > bytes.size() - offset) return false;
      out.voxels.resize(n);
      std::memcpy(out.voxels.data(), bytes.data() + offset, n * sizeof(float));
      offset += n * sizeof(float);
      return true;
    };
    if (!read_volume(header.at("image"), loaded.data.image)) {
      return DataLossError(where + ": truncated image");
    }
    if (!header.at("mask").is_null()) {
      loaded.data.mask.emplace();
      if (!read_volume(header.at("mask"), *loaded.data.mask)) {
        return DataLossError(where + ": truncated mask");
      }
    }
    if (offset != bytes.size()) return DataLossError(where + ": trailing bytes");
    loaded.image_geometry = GeometryFromJson(header.at("input_geometry"));
    loaded.image_format = static_cast<VolumeFormat>(header.at("input_format").get<int>());
    loaded.data.centred_on_mask = header.at("centred_on_mask").get<bool>();
    loaded.notes = header.at("notes").get<std::vector<std::string>>();
    for (const auto& f : header.at("files_read")) loaded.files_read.emplace_back(f.get<std::string>());
  } catch (const nlohmann::json::exception& e) {
    return DataLossError(where + ": bad header: " + e.what());
  }
  loaded.from_cache = true;
  return loaded;
}

}  // namespace

StatusOr<std::string> VolumeCache::Key(const CaseSource& source,
                                       const PreprocessOptions& options) const {
  PANCAIM_ASSIGN_OR_RETURN(std::string image_hash, HashPathContent(source.image.path));
  std::string mask_hash = "none";
  if (source.mask) {
    StatusOr<std::string> hashed = HashPathContent(source.mask->path);
    if (!hashed.ok()) return hashed.status().WithContext("mask");
    mask_hash = *hashed + "/" + source.mask->series_uid;
  }
  return Sha256Hex("pcv1|image=" + image_hash + "/" + source.image.series_uid +
                   "|mask=" + mask_hash + "|" + options.Fingerprint());
}

StatusOr<LoadedCase> VolumeCache::Load(const CaseSource& source, const PreprocessOptions& options,
                                       const ReadLimits& limits) {
  PANCAIM_RETURN_IF_ERROR(options.Validate());
  PANCAIM_ASSIGN_OR_RETURN(std::string key, Key(source, options));
  const std::filesystem::path entry = folder_ / (key + ".pcv");
  std::error_code error;
  if (std::filesystem::is_regular_file(entry, error)) {
    const std::int64_t voxels = options.size[0] * options.size[1] * options.size[2];
    StatusOr<std::string> bytes =
        ReadFile(entry, static_cast<std::uint64_t>(voxels) * 8 + (std::uint64_t{1} << 24));
    if (bytes.ok()) {
      StatusOr<LoadedCase> cached = Deserialise(*bytes, entry.string());
      if (cached.ok()) {
        ++hits_;
        return cached;
      }
      PANCAIM_LOG(WARNING) << "ignoring bad cache entry: " << cached.status().message();
    }
  }
  ++misses_;
  PANCAIM_ASSIGN_OR_RETURN(LoadedCase loaded, LoadCase(source, options, limits));
  std::filesystem::create_directories(folder_, error);
  Status stored = error ? InternalError(folder_.string() + ": " + error.message())
                        : WriteFileAtomic(entry, Serialise(loaded));
  if (!stored.ok()) {
    PANCAIM_LOG(WARNING) << "cannot store cache entry: " << stored;
  }
  return loaded;
}

}  // namespace pancaim::imaging
