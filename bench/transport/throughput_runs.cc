#include "throughput_runs.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>

#include "pancaim/common/files.h"
#include "pancaim/crypto/sha256.h"
#include "pancaim/transport/client.h"
#include "pancaim/transport/io_thread_pool.h"
#include "pancaim/transport/server.h"

namespace pancaim::bench {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

double Seconds(Clock::duration elapsed) { return std::chrono::duration<double>(elapsed).count(); }

Status IssueTo(crypto::CertificateAuthority& ca, crypto::Role role, const std::string& id,
               const fs::path& folder, std::string& cert_path, std::string& key_path) {
  crypto::RequestOptions request;
  request.role = role;
  request.id = id;
  if (role == crypto::Role::kCoordinator) request.dns_names = {"localhost"};
  PANCAIM_ASSIGN_OR_RETURN(crypto::KeyAndRequest key, crypto::CreateKeyAndRequest(request));
  PANCAIM_ASSIGN_OR_RETURN(crypto::IssuedCertificate issued, ca.Sign(key.request_pem));
  cert_path = (folder / (id + ".crt")).string();
  key_path = (folder / (id + ".key")).string();
  PANCAIM_RETURN_IF_ERROR(WriteFileAtomic(cert_path, issued.certificate_pem));
  return crypto::WritePrivateFile(key_path, key.private_key_pem);
}

// A connected pair of blocking TCP sockets over 127.0.0.1.
Status LoopbackPair(int& client_fd, int& server_fd) {
  int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  if (listener < 0 || ::bind(listener, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
      ::listen(listener, 1) != 0 ||
      ::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    if (listener >= 0) ::close(listener);
    return UnavailableError("cannot listen on 127.0.0.1 for the plain TLS baseline");
  }
  client_fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (::connect(client_fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    ::close(listener);
    return UnavailableError("cannot connect to 127.0.0.1 for the plain TLS baseline");
  }
  server_fd = ::accept(listener, nullptr, nullptr);
  ::close(listener);
  int one = 1;
  ::setsockopt(client_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  ::setsockopt(server_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return server_fd >= 0 ? Status::Ok() : UnavailableError("accept failed");
}

}  // namespace

StatusOr<std::unique_ptr<BenchPki>> BenchPki::Create() {
  std::unique_ptr<BenchPki> pki(new BenchPki());
  pki->folder_ = fs::temp_directory_path() /
                 ("pancaim-bench-channel-" + std::to_string(::getpid()));
  std::error_code ignored;
  fs::remove_all(pki->folder_, ignored);
  PANCAIM_ASSIGN_OR_RETURN(auto ca, crypto::CertificateAuthority::Init(pki->folder_ / "ca", {}));
  PANCAIM_RETURN_IF_ERROR(ca->GenerateCrl().status());
  for (crypto::TlsFiles* files : {&pki->server_files_, &pki->client_files_}) {
    files->ca_cert_path = ca->ca_certificate_path().string();
    files->crl_path = ca->crl_path().string();
  }
  PANCAIM_RETURN_IF_ERROR(IssueTo(*ca, crypto::Role::kCoordinator, "coordinator", pki->folder_,
                                  pki->server_files_.cert_path, pki->server_files_.key_path));
  PANCAIM_RETURN_IF_ERROR(IssueTo(*ca, crypto::Role::kSite, "bench-site", pki->folder_,
                                  pki->client_files_.cert_path, pki->client_files_.key_path));
  pki->client_files_.expected_server_name = "localhost";
  return pki;
}

BenchPki::~BenchPki() {
  std::error_code ignored;
  fs::remove_all(folder_, ignored);
}

StatusOr<std::unique_ptr<crypto::TlsContext>> BenchPki::ServerContext() const {
  return crypto::TlsContext::Create(crypto::TlsContext::Side::kServer, server_files_);
}
StatusOr<std::unique_ptr<crypto::TlsContext>> BenchPki::ClientContext() const {
  return crypto::TlsContext::Create(crypto::TlsContext::Side::kClient, client_files_);
}

StatusOr<RunResult> MeasureEvpAesGcm(std::uint64_t total_bytes) {
  constexpr std::size_t kRecord = 16 << 10;
  std::string plaintext(kRecord, 'p');
  std::string ciphertext(kRecord + 16, '\0');
  unsigned char key[32] = {1, 2, 3};
  unsigned char iv[12] = {};
  unsigned char tag[16];
  std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)> ctx(EVP_CIPHER_CTX_new(),
                                                                      &EVP_CIPHER_CTX_free);
  if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key, nullptr) != 1) {
    return InternalError("EVP AES-256-GCM unavailable");
  }
  const auto start = Clock::now();
  for (std::uint64_t done = 0, record = 0; done < total_bytes; done += kRecord, ++record) {
    std::memcpy(iv, &record, sizeof(record));  // a fresh nonce per record, as TLS does
    int out = 0;
    if (EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, nullptr, iv) != 1 ||
        EVP_EncryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(ciphertext.data()), &out,
                          reinterpret_cast<const unsigned char*>(plaintext.data()), kRecord) != 1 ||
        EVP_EncryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(ciphertext.data()) + out,
                            &out) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, 16, tag) != 1) {
      return InternalError("EVP AES-256-GCM encryption failed");
    }
  }
  return RunResult{Seconds(Clock::now() - start), "16 KiB records"};
}

StatusOr<RunResult> MeasurePlainTls(const BenchPki& pki, std::uint64_t total_bytes,
                                    std::uint64_t chunk_bytes) {
  PANCAIM_ASSIGN_OR_RETURN(auto server_context, pki.ServerContext());
  PANCAIM_ASSIGN_OR_RETURN(auto client_context, pki.ClientContext());
  int client_fd = -1, server_fd = -1;
  PANCAIM_RETURN_IF_ERROR(LoopbackPair(client_fd, server_fd));
  // Tuned as a fast baseline should be: whole records per read() instead of header, then body.
  SSL_CTX_set_read_ahead(server_context->native().native_handle(), 1);
  SSL_CTX_set_default_read_buffer_len(server_context->native().native_handle(), 64 << 10);
  SSL* server = SSL_new(server_context->native().native_handle());
  SSL* client = SSL_new(client_context->native().native_handle());
  SSL_set_fd(server, server_fd);
  SSL_set_fd(client, client_fd);
  std::atomic<bool> server_ok{false};
  Clock::time_point received_all;
  std::thread receiver([&] {
    if (SSL_accept(server) != 1) return;
    std::string buffer(chunk_bytes, '\0');
    std::uint64_t received = 0;
    while (received < total_bytes) {
      int n = SSL_read(server, buffer.data(), static_cast<int>(buffer.size()));
      if (n <= 0) return;
      received += static_cast<std::uint64_t>(n);
    }
    received_all = Clock::now();
    server_ok = true;
  });
  Status status;
  Clock::time_point start;
  std::string note;
  if (SSL_connect(client) != 1) {
    status = UnavailableError("plain TLS baseline: handshake failed");
  } else {
    note = SSL_get_cipher_name(client);
    std::string payload(chunk_bytes, 'x');
    start = Clock::now();
    for (std::uint64_t sent = 0; sent < total_bytes && status.ok();) {
      int n = SSL_write(client, payload.data(),
                        static_cast<int>(std::min<std::uint64_t>(chunk_bytes, total_bytes - sent)));
      if (n <= 0) status = UnavailableError("plain TLS baseline: SSL_write failed");
      sent += static_cast<std::uint64_t>(std::max(n, 0));
    }
  }
  if (!status.ok()) ::shutdown(client_fd, SHUT_RDWR);
  receiver.join();
  SSL_free(client);
  SSL_free(server);
  ::close(client_fd);
  ::close(server_fd);
  PANCAIM_RETURN_IF_ERROR(status);
  if (!server_ok) return UnavailableError("plain TLS baseline: receiver failed");
  return RunResult{Seconds(received_all - start), note};
}

StatusOr<RunResult> MeasurePlainAsioTls(const BenchPki& pki, std::uint64_t total_bytes,
                                        std::uint64_t chunk_bytes) {
  namespace asio = boost::asio;
  PANCAIM_ASSIGN_OR_RETURN(auto server_context, pki.ServerContext());
  PANCAIM_ASSIGN_OR_RETURN(auto client_context, pki.ClientContext());
  asio::io_context io;
  boost::system::error_code ec;
  asio::ip::tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
  std::atomic<bool> server_ok{false};
  Clock::time_point received_all;
  std::thread receiver([&] {
    boost::system::error_code error;
    asio::ssl::stream<asio::ip::tcp::socket> stream(io, server_context->native());
    acceptor.accept(stream.next_layer(), error);
    if (!error) stream.handshake(asio::ssl::stream_base::server, error);
    std::string buffer(chunk_bytes, '\0');
    for (std::uint64_t received = 0; !error && received < total_bytes;) {
      received += stream.read_some(asio::buffer(buffer), error);
      if (received >= total_bytes) {
        received_all = Clock::now();
        server_ok = true;
      }
    }
  });
  asio::ssl::stream<asio::ip::tcp::socket> client(io, client_context->native());
  client.next_layer().connect(acceptor.local_endpoint(), ec);
  if (!ec) client.next_layer().set_option(asio::ip::tcp::no_delay(true), ec);
  if (!ec) client.handshake(asio::ssl::stream_base::client, ec);
  std::string payload(chunk_bytes, 'x');
  const auto start = Clock::now();
  for (std::uint64_t sent = 0; !ec && sent < total_bytes;) {
    sent += asio::write(
        client, asio::buffer(payload.data(), std::min<std::uint64_t>(chunk_bytes, total_bytes - sent)),
        ec);
  }
  if (ec) client.next_layer().close();
  receiver.join();
  if (ec || !server_ok) {
    return UnavailableError("plain Asio TLS baseline failed: " +
                            (ec ? ec.message() : std::string("receiver")));
  }
  return RunResult{Seconds(received_all - start), "boost::asio::ssl::stream, synchronous"};
}

StatusOr<RunResult> MeasureChannel(const BenchPki& pki, std::uint64_t total_bytes,
                                   std::uint64_t chunk_bytes, ChannelIntegrity integrity,
                                   std::size_t io_threads) {
  PANCAIM_ASSIGN_OR_RETURN(auto server_context, pki.ServerContext());
  PANCAIM_ASSIGN_OR_RETURN(auto client_context, pki.ClientContext());
  transport::ChannelOptions channel;
  channel.payload_integrity = integrity != ChannelIntegrity::kOff;
  channel.recheck_supplied_digest = integrity != ChannelIntegrity::kSupplied;
  channel.max_send_queue_bytes = 4 * chunk_bytes;
  channel.frame_limits.max_payload_bytes = std::max<std::uint64_t>(chunk_bytes, 1 << 20);

  std::mutex mutex;
  std::condition_variable changed;
  std::uint64_t received = 0;
  Clock::time_point received_all;
  transport::ConnectionHandlers server_handlers;
  server_handlers.on_message = [&](const std::shared_ptr<transport::Connection>&,
                                   const crypto::PeerIdentity&, nlohmann::json,
                                   std::string payload) {
    std::lock_guard<std::mutex> lock(mutex);
    received += payload.size();
    if (received >= total_bytes) received_all = Clock::now();
    changed.notify_all();
  };
  bool server_side_closed = false;
  server_handlers.on_disconnect = [&](const std::shared_ptr<transport::Connection>&,
                                      const Status&) {
    std::lock_guard<std::mutex> lock(mutex);
    server_side_closed = true;
    changed.notify_all();
  };
  transport::IoThreadPool pool(io_threads);
  transport::ServerOptions server_options;
  server_options.channel = channel;
  PANCAIM_ASSIGN_OR_RETURN(
      auto server,
      transport::Server::Start(
          pool.context(), [&]() -> boost::asio::ssl::context& { return server_context->native(); },
          server_options, server_handlers));
  transport::ClientOptions client_options;
  client_options.channel = channel;
  client_options.port = server->port();
  client_options.server_name = "localhost";
  PANCAIM_ASSIGN_OR_RETURN(auto connection, transport::Connect(pool.context(), client_context->native(),
                                                               client_options, {}));
  auto payload = std::make_shared<const std::string>(chunk_bytes, 'x');
  auto tail = std::make_shared<const std::string>(total_bytes % chunk_bytes, 'x');
  // kSupplied: the digest is computed once, as the coordinator does for the model it sends to
  // every site, and put in the header; the channel then only verifies on the receiving side.
  nlohmann::json header = {{"type", "bench"}};
  nlohmann::json tail_header = header;
  if (integrity == ChannelIntegrity::kSupplied) {
    header["payload_sha256"] = crypto::Sha256Hex(*payload);
    if (!tail->empty()) tail_header["payload_sha256"] = crypto::Sha256Hex(*tail);
  }
  Status failure;
  const auto start = Clock::now();
  for (std::uint64_t sent = 0; sent < total_bytes && failure.ok();) {
    const bool last = total_bytes - sent < chunk_bytes;
    auto frame_payload = last ? tail : payload;
    Status queued = connection->SendShared(last ? tail_header : header, frame_payload);
    if (queued.code() == StatusCode::kResourceExhausted) {
      // Back-pressure: wait for the receiver to take a frame, then retry.
      std::unique_lock<std::mutex> lock(mutex);
      changed.wait_for(lock, std::chrono::milliseconds(5));
      continue;
    }
    failure = queued;
    sent += frame_payload->size();
  }
  {
    std::unique_lock<std::mutex> lock(mutex);
    if (failure.ok() && !changed.wait_for(lock, std::chrono::seconds(120),
                                          [&] { return received >= total_bytes; })) {
      failure = DeadlineExceededError("channel benchmark: receiver did not get every byte");
    }
  }
  connection->Close("benchmark done");
  connection->WaitClosed(std::chrono::seconds(5));
  {
    // The server's side finishes the close exchange a moment after the client's; stopping
    // before that would cut it (and log it as lost).
    std::unique_lock<std::mutex> lock(mutex);
    changed.wait_for(lock, std::chrono::seconds(5), [&] { return server_side_closed; });
  }
  server->Stop(std::chrono::seconds(5));
  PANCAIM_RETURN_IF_ERROR(failure);
  return RunResult{Seconds(received_all - start),
                   integrity == ChannelIntegrity::kAttached ? "payload_sha256 computed by the channel on send, verified on receive"
                   : integrity == ChannelIntegrity::kSupplied
                       ? "payload_sha256 supplied once by the sender, verified on receive"
                       : "integrity off"};
}

}  // namespace pancaim::bench
