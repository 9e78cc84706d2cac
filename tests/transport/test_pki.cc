#include "test_pki.h"

#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <unistd.h>

#include <atomic>

#include <gtest/gtest.h>

#include "pancaim/common/files.h"

namespace pancaim::transport::testing {
namespace fs = std::filesystem;

namespace {
std::atomic<int> folder_counter{0};
}  // namespace

TestPki::TestPki() {
  folder_ = fs::temp_directory_path() /
            ("pancaim-transport-test-" + std::to_string(::getpid()) + "-" +
             std::to_string(folder_counter++));
  fs::remove_all(folder_);
  auto ca = crypto::CertificateAuthority::Init(folder_ / "ca", crypto::CaInitOptions{});
  PANCAIM_CHECK(ca.ok()) << ca.status();
  ca_ = std::move(*ca);
  auto crl = ca_->GenerateCrl();
  PANCAIM_CHECK(crl.ok()) << crl.status();
}

TestPki::~TestPki() {
  ca_.reset();
  std::error_code ignored;
  fs::remove_all(folder_, ignored);
}

PartyFiles TestPki::Issue(crypto::Role role, const std::string& id) {
  crypto::RequestOptions request;
  request.role = role;
  request.id = id;
  if (role == crypto::Role::kCoordinator) request.dns_names = {"localhost"};
  auto key_and_request = crypto::CreateKeyAndRequest(request);
  PANCAIM_CHECK(key_and_request.ok()) << key_and_request.status();
  crypto::SignOptions sign;
  sign.allow_renewal = true;
  auto issued = ca_->Sign(key_and_request->request_pem, sign);
  PANCAIM_CHECK(issued.ok()) << issued.status();
  const std::string stem =
      (folder_ / (std::string(crypto::RoleName(role)) + "-" + id + "-" + issued->serial_hex))
          .string();
  PartyFiles files{stem + ".crt", stem + ".key"};
  PANCAIM_CHECK(WriteFileAtomic(files.cert_path, issued->certificate_pem).ok());
  PANCAIM_CHECK(crypto::WritePrivateFile(files.key_path, key_and_request->private_key_pem).ok());
  return files;
}

void TestPki::Revoke(crypto::Role role, const std::string& id) {
  auto revoked = ca_->Revoke(std::string(crypto::RoleName(role)) + ":" + id);
  PANCAIM_CHECK(revoked.ok()) << revoked.status();
  auto crl = ca_->GenerateCrl();
  PANCAIM_CHECK(crl.ok()) << crl.status();
}

std::unique_ptr<boost::asio::ssl::context> TestPki::MakeContext(bool server,
                                                                const PartyFiles& party) const {
  namespace ssl = boost::asio::ssl;
  auto context = std::make_unique<ssl::context>(server ? ssl::context::tls_server
                                                       : ssl::context::tls_client);
  SSL_CTX* native = context->native_handle();
  PANCAIM_CHECK(SSL_CTX_set_min_proto_version(native, TLS1_3_VERSION) == 1);
  PANCAIM_CHECK(SSL_CTX_load_verify_locations(native, ca_->ca_certificate_path().c_str(),
                                              nullptr) == 1);
  PANCAIM_CHECK(SSL_CTX_use_certificate_chain_file(native, party.cert_path.c_str()) == 1);
  PANCAIM_CHECK(SSL_CTX_use_PrivateKey_file(native, party.key_path.c_str(), SSL_FILETYPE_PEM) ==
                1);
  SSL_CTX_set_verify(native, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  X509_STORE* store = SSL_CTX_get_cert_store(native);
  FILE* crl_file = std::fopen(ca_->crl_path().c_str(), "r");
  PANCAIM_CHECK(crl_file != nullptr);
  X509_CRL* crl = PEM_read_X509_CRL(crl_file, nullptr, nullptr, nullptr);
  std::fclose(crl_file);
  PANCAIM_CHECK(crl != nullptr);
  PANCAIM_CHECK(X509_STORE_add_crl(store, crl) == 1);
  X509_CRL_free(crl);
  X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL);
  return context;
}

std::unique_ptr<boost::asio::ssl::context> TestPki::ServerContext(const PartyFiles& party) const {
  return MakeContext(true, party);
}

std::unique_ptr<boost::asio::ssl::context> TestPki::ClientContext(const PartyFiles& party) const {
  return MakeContext(false, party);
}

}  // namespace pancaim::transport::testing
