#include "test_peers.h"

#include <algorithm>

#include <boost/asio/connect.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include "pancaim/common/log.h"
#include "pancaim/protocol/frame.h"

namespace pancaim::transport::testing {
namespace asio = boost::asio;
using boost::system::error_code;

LogCapture::LogCapture() {
  log::SetSink([this](log::Level, const std::string& line) {
    std::fprintf(stderr, "%s\n", line.c_str());
    std::lock_guard<std::mutex> lock(mutex_);
    lines_.push_back(line);
    changed_.notify_all();
  });
}

LogCapture::~LogCapture() { log::SetSink(nullptr); }

bool LogCapture::WaitFor(const std::vector<std::string>& needles, milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] {
    return std::any_of(lines_.begin(), lines_.end(), [&](const std::string& line) {
      return std::all_of(needles.begin(), needles.end(), [&](const std::string& needle) {
        return line.find(needle) != std::string::npos;
      });
    });
  });
}

ConnectionHandlers Inbox::Handlers() {
  ConnectionHandlers handlers;
  handlers.on_connect = [this](const std::shared_ptr<Connection>& connection) {
    std::lock_guard<std::mutex> lock(mutex_);
    connects_.push_back(connection);
    changed_.notify_all();
  };
  handlers.on_message = [this](const std::shared_ptr<Connection>& connection,
                               const crypto::PeerIdentity& peer, nlohmann::json header,
                               std::string payload) {
    Message message{connection, peer, std::move(header), std::move(payload)};
    if (on_message) on_message(message);
    std::lock_guard<std::mutex> lock(mutex_);
    messages_.push_back(std::move(message));
    changed_.notify_all();
  };
  handlers.on_disconnect = [this](const std::shared_ptr<Connection>&, const Status& reason) {
    std::lock_guard<std::mutex> lock(mutex_);
    disconnects_.push_back(reason);
    changed_.notify_all();
  };
  return handlers;
}

std::optional<Inbox::Message> Inbox::NextMessage(milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mutex_);
  if (!changed_.wait_for(lock, timeout, [this] { return !messages_.empty(); })) return {};
  Message message = std::move(messages_.front());
  messages_.pop_front();
  return message;
}

std::shared_ptr<Connection> Inbox::NextConnect(milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mutex_);
  if (!changed_.wait_for(lock, timeout, [this] { return !connects_.empty(); })) return nullptr;
  auto connection = connects_.front();
  connects_.pop_front();
  return connection;
}

std::optional<Status> Inbox::NextDisconnect(milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mutex_);
  if (!changed_.wait_for(lock, timeout, [this] { return !disconnects_.empty(); })) return {};
  Status reason = disconnects_.front();
  disconnects_.pop_front();
  return reason;
}

RawTlsClient::RawTlsClient(asio::ssl::context& tls) : stream_(io_, tls) {}

error_code RawTlsClient::Run(
    const std::function<void(std::function<void(error_code, std::size_t)>)>& start,
    milliseconds timeout, std::size_t* bytes) {
  std::optional<error_code> result;
  io_.restart();
  start([&](error_code ec, std::size_t n) {
    result = ec;
    if (bytes) *bytes = n;
  });
  io_.run_for(timeout);
  if (!result) {
    error_code ignored;
    stream_.next_layer().close(ignored);
    io_.restart();
    io_.run();
    return asio::error::timed_out;
  }
  return *result;
}

Status RawTlsClient::Connect(std::uint16_t port, milliseconds timeout) {
  asio::ip::tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), port);
  error_code ec = Run(
      [&](auto done) {
        stream_.next_layer().async_connect(endpoint, [done](error_code e) { done(e, 0); });
      },
      timeout);
  if (!ec) {
    ec = Run([&](auto done) { stream_.async_handshake(asio::ssl::stream_base::client,
                                                      [done](error_code e) { done(e, 0); }); },
             timeout);
  }
  if (ec) return UnavailableError("raw TLS client: " + ec.message());
  return Status::Ok();
}

Status RawTlsClient::Write(std::string_view bytes, milliseconds timeout) {
  error_code ec = Run(
      [&](auto done) { asio::async_write(stream_, asio::buffer(bytes.data(), bytes.size()), done); },
      timeout);
  if (ec) return UnavailableError("raw TLS client write: " + ec.message());
  return Status::Ok();
}

StatusOr<nlohmann::json> RawTlsClient::ReadFrameHeader(milliseconds timeout) {
  std::string prefix(16, '\0');
  error_code ec = Run([&](auto done) { asio::async_read(stream_, asio::buffer(prefix), done); },
                      timeout);
  if (ec) return UnavailableError("raw TLS client read: " + ec.message());
  protocol::FrameLimits limits;
  PANCAIM_ASSIGN_OR_RETURN(auto lengths, protocol::DecodeFramePrefix(prefix, limits));
  std::string body(lengths.header_bytes + lengths.payload_bytes, '\0');
  ec = Run([&](auto done) { asio::async_read(stream_, asio::buffer(body), done); }, timeout);
  if (ec) return UnavailableError("raw TLS client read: " + ec.message());
  return nlohmann::json::parse(body.substr(0, lengths.header_bytes));
}

bool RawTlsClient::WaitForClose(milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  char buffer[4096];
  while (std::chrono::steady_clock::now() < deadline) {
    auto left = std::chrono::duration_cast<milliseconds>(deadline -
                                                         std::chrono::steady_clock::now());
    error_code ec = Run([&](auto done) { stream_.async_read_some(asio::buffer(buffer), done); },
                        std::max(left, milliseconds(1)));
    if (ec == asio::error::timed_out) return false;
    if (ec) return true;
  }
  return false;
}

void RawTlsClient::Close() {
  error_code ignored;
  stream_.next_layer().close(ignored);
}

RawTcpClient::RawTcpClient() : socket_(io_) {}

Status RawTcpClient::Connect(std::uint16_t port) {
  error_code ec;
  socket_.connect({asio::ip::make_address("127.0.0.1"), port}, ec);
  if (ec) return UnavailableError("raw TCP client: " + ec.message());
  return Status::Ok();
}

Status RawTcpClient::Write(std::string_view bytes) {
  error_code ec;
  asio::write(socket_, asio::buffer(bytes.data(), bytes.size()), ec);
  if (ec) return UnavailableError("raw TCP client write: " + ec.message());
  return Status::Ok();
}

bool RawTcpClient::WaitForClose(milliseconds timeout) {
  char buffer[4096];
  std::optional<error_code> result;
  io_.restart();
  std::function<void(error_code, std::size_t)> on_read;
  on_read = [&](error_code ec, std::size_t) {
    if (ec) {
      result = ec;
      return;
    }
    socket_.async_read_some(asio::buffer(buffer), on_read);
  };
  socket_.async_read_some(asio::buffer(buffer), on_read);
  io_.run_for(timeout);
  if (!result) {
    error_code ignored;
    socket_.close(ignored);
    io_.restart();
    io_.run();
    return false;
  }
  return true;
}

std::string RawPrefix(std::uint32_t header_bytes, std::uint64_t payload_bytes) {
  std::string prefix = "PFL1";
  for (int i = 0; i < 4; ++i) prefix += static_cast<char>((header_bytes >> (8 * i)) & 0xFF);
  for (int i = 0; i < 8; ++i) prefix += static_cast<char>((payload_bytes >> (8 * i)) & 0xFF);
  return prefix;
}

std::string RawFrame(const nlohmann::json& header, std::string_view payload) {
  std::string text = header.dump();
  return RawPrefix(static_cast<std::uint32_t>(text.size()), payload.size()) + text +
         std::string(payload);
}

}  // namespace pancaim::transport::testing
