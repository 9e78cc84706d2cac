// Test support: log capture, an inbox that records what ConnectionHandlers receive, and raw peers
// (plain TCP, or a genuine TLS client that then writes arbitrary bytes) to play misbehaving
// parties against the channel. Not for production use.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <nlohmann/json.hpp>

#include "pancaim/common/status.h"
#include "pancaim/transport/connection.h"

namespace pancaim::transport::testing {

using std::chrono::milliseconds;

// Captures log lines (and still prints them) while alive. Thread-safe.
class LogCapture {
 public:
  LogCapture();
  ~LogCapture();
  // True once a captured line contains every one of `needles`.
  bool WaitFor(const std::vector<std::string>& needles, milliseconds timeout);

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::string> lines_;
};

// Records connects, messages and disconnects; optional on_message hook (e.g. echo). Thread-safe.
class Inbox {
 public:
  struct Message {
    std::shared_ptr<Connection> connection;
    crypto::PeerIdentity peer;
    nlohmann::json header;
    std::string payload;
  };

  ConnectionHandlers Handlers();
  std::function<void(Message&)> on_message;  // runs inside the handler, before recording

  std::optional<Message> NextMessage(milliseconds timeout);
  std::shared_ptr<Connection> NextConnect(milliseconds timeout);
  std::optional<Status> NextDisconnect(milliseconds timeout);

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Message> messages_;
  std::deque<std::shared_ptr<Connection>> connects_;
  std::deque<Status> disconnects_;
};

// A client that completes a real mutual-TLS handshake, then lets the test write any bytes.
// Every operation runs on a private io_context, bounded by its timeout.
class RawTlsClient {
 public:
  explicit RawTlsClient(boost::asio::ssl::context& tls);
  Status Connect(std::uint16_t port, milliseconds timeout = milliseconds(2000));
  Status Write(std::string_view bytes, milliseconds timeout = milliseconds(2000));
  // Reads the next frame and returns its JSON header (the payload is read and dropped).
  StatusOr<nlohmann::json> ReadFrameHeader(milliseconds timeout = milliseconds(2000));
  // Reads (and drops) until the server closes the connection: true, or false after `timeout`.
  bool WaitForClose(milliseconds timeout);
  void Close();

 private:
  boost::system::error_code Run(const std::function<void(std::function<void(
                                    boost::system::error_code, std::size_t)>)>& start,
                                milliseconds timeout, std::size_t* bytes = nullptr);
  boost::asio::io_context io_;
  boost::asio::ssl::stream<boost::asio::ip::tcp::socket> stream_;
};

// A plain TCP client (no TLS at all).
class RawTcpClient {
 public:
  RawTcpClient();
  Status Connect(std::uint16_t port);
  Status Write(std::string_view bytes);
  bool WaitForClose(milliseconds timeout);
  bool is_open() const { return socket_.is_open(); }

 private:
  boost::asio::io_context io_;
  boost::asio::ip::tcp::socket socket_;
};

// The 16-byte frame prefix with arbitrary lengths (for frames the encoder would refuse).
std::string RawPrefix(std::uint32_t header_bytes, std::uint64_t payload_bytes);
// A valid frame (generous limits).
std::string RawFrame(const nlohmann::json& header, std::string_view payload = {});

}  // namespace pancaim::transport::testing
