#include "pancaim/crypto/sha256.h"

#include <openssl/evp.h>

#include "pancaim/common/check.h"

namespace pancaim::crypto {

struct Sha256::Impl {
  EVP_MD_CTX* ctx = nullptr;
  bool finished = false;
};

Sha256::Sha256() : impl_(std::make_unique<Impl>()) {
  impl_->ctx = EVP_MD_CTX_new();
  PANCAIM_CHECK(impl_->ctx != nullptr) << "EVP_MD_CTX_new failed";
  PANCAIM_CHECK(EVP_DigestInit_ex(impl_->ctx, EVP_sha256(), nullptr) == 1);
}

Sha256::~Sha256() { EVP_MD_CTX_free(impl_->ctx); }

void Sha256::Update(std::string_view bytes) {
  PANCAIM_CHECK(!impl_->finished) << "Sha256::Update after FinishHex";
  PANCAIM_CHECK(EVP_DigestUpdate(impl_->ctx, bytes.data(), bytes.size()) == 1);
}

std::string Sha256::FinishHex() {
  PANCAIM_CHECK(!impl_->finished) << "Sha256::FinishHex called twice";
  impl_->finished = true;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  PANCAIM_CHECK(EVP_DigestFinal_ex(impl_->ctx, digest, &length) == 1);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(length * 2);
  for (unsigned int i = 0; i < length; ++i) {
    hex += kHex[digest[i] >> 4];
    hex += kHex[digest[i] & 0xF];
  }
  return hex;
}

std::string Sha256Hex(std::string_view bytes) {
  Sha256 hasher;
  hasher.Update(bytes);
  return hasher.FinishHex();
}

}  // namespace pancaim::crypto
