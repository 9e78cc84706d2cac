#include "pancaim/imaging/content_hash.h"

#include <openssl/evp.h>

#include <algorithm>
#include <fstream>
#include <memory>
#include <system_error>
#include <vector>

namespace pancaim::imaging {
namespace {

using DigestContext = std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)>;

DigestContext NewSha256() {
  DigestContext context(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  PANCAIM_CHECK(context != nullptr && EVP_DigestInit_ex(context.get(), EVP_sha256(), nullptr) == 1)
      << "OpenSSL SHA-256 unavailable";
  return context;
}

std::string FinishHex(EVP_MD_CTX* context) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  PANCAIM_CHECK(EVP_DigestFinal_ex(context, digest, &length) == 1) << "SHA-256 final failed";
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(length * 2);
  for (unsigned int i = 0; i < length; ++i) {
    hex.push_back(kHex[digest[i] >> 4]);
    hex.push_back(kHex[digest[i] & 0xF]);
  }
  return hex;
}

void Update(EVP_MD_CTX* context, std::string_view bytes) {
  PANCAIM_CHECK(EVP_DigestUpdate(context, bytes.data(), bytes.size()) == 1) << "SHA-256 update";
}

// Streams one file into the digest, prefixed by its size so that concatenations cannot collide.
Status HashFileInto(EVP_MD_CTX* context, const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFoundError(path.string() + ": cannot open for hashing");
  std::error_code error;
  const auto size = std::filesystem::file_size(path, error);
  if (error) return DataLossError(path.string() + ": cannot stat: " + error.message());
  Update(context, "size=" + std::to_string(size) + ";");
  std::vector<char> buffer(1 << 20);
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    Update(context, std::string_view(buffer.data(), static_cast<std::size_t>(in.gcount())));
  }
  if (in.bad()) return DataLossError(path.string() + ": read error while hashing");
  return Status::Ok();
}

}  // namespace

std::string Sha256Hex(std::string_view bytes) {
  DigestContext context = NewSha256();
  Update(context.get(), bytes);
  return FinishHex(context.get());
}

StatusOr<std::string> HashPathContent(const std::filesystem::path& path, std::int64_t max_files) {
  std::error_code error;
  const auto status = std::filesystem::status(path, error);
  if (error || !std::filesystem::exists(status)) {
    return NotFoundError(path.string() + ": no such file or folder");
  }
  DigestContext context = NewSha256();
  if (!std::filesystem::is_directory(status)) {
    PANCAIM_RETURN_IF_ERROR(HashFileInto(context.get(), path));
    return FinishHex(context.get());
  }
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(path, error)) {
    if (!entry.is_regular_file()) continue;
    files.push_back(entry.path());
    if (static_cast<std::int64_t>(files.size()) > max_files) {
      return ResourceExhaustedError(path.string() + ": more than " + std::to_string(max_files) +
                                    " files in the folder");
    }
  }
  if (error) return DataLossError(path.string() + ": cannot list folder: " + error.message());
  std::sort(files.begin(), files.end());
  for (const auto& file : files) {
    Update(context.get(), "name=" + file.filename().string() + ";");
    PANCAIM_RETURN_IF_ERROR(HashFileInto(context.get(), file));
  }
  return FinishHex(context.get());
}

}  // namespace pancaim::imaging
