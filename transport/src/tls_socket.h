// Internal: one TLS session (an OpenSSL SSL*) driven directly over a non-blocking TCP socket,
// with every completion delivered on one strand.
//
// It replaces boost::asio::ssl::stream under the channel. Asio's stream feeds OpenSSL through a
// memory BIO pair of one record (17 KiB), so every byte is copied twice more on each side and
// every record costs a trip through the strand; here OpenSSL reads and writes the socket itself
// (a BIO that calls recv/send, with MSG_NOSIGNAL), reads ahead 64 KiB at a time and decrypts
// straight into the caller's buffer, and one operation runs as long as the socket has data or
// room. Asio is used only to wait for readiness.
//
// Ownership: owns the SSL* and the TCP socket. A pending operation's handler lives in Asio's
// queue (never in this object), so handlers that hold the owner alive do not leak it when the
// io_context is destroyed.
// Thread-safety: none; every method must be called on `strand`, and at most one read, one write
// and one handshake-or-shutdown may be outstanding at a time (the channel's own discipline).
#pragma once

#include <openssl/ssl.h>

#include <array>
#include <cstddef>
#include <functional>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/strand.hpp>
#include <boost/system/error_code.hpp>

namespace pancaim::transport::internal {

class TlsSocket {
 public:
  using Strand = boost::asio::strand<boost::asio::io_context::executor_type>;
  using IoHandler = std::function<void(const boost::system::error_code&, std::size_t)>;
  using DoneHandler = std::function<void(const boost::system::error_code&)>;
  // Up to two buffers written back to back (a frame's head, then a slice of its payload).
  using WriteBuffers = std::array<boost::asio::const_buffer, 2>;

  // Creates the SSL* from `context` (which must outlive this object). The socket is not open yet.
  TlsSocket(Strand strand, boost::asio::ssl::context& context);
  ~TlsSocket();
  TlsSocket(const TlsSocket&) = delete;
  TlsSocket& operator=(const TlsSocket&) = delete;

  boost::asio::ip::tcp::socket& socket() { return socket_; }
  // The SSL*, e.g. for SNI before the handshake or the peer certificate after it.
  SSL* native_handle() { return ssl_; }

  // Binds the SSL* to the (open, connected) socket and runs the handshake as `server` or client.
  // `done` gets the error as Asio's ssl::stream would report it (ssl category codes, eof,
  // ssl::error::stream_truncated).
  void AsyncHandshake(bool server, DoneHandler done);

  // Reads exactly buffer.size() bytes; `done` gets (error, bytes read so far). A peer's
  // close_notify reads as asio::error::eof, a cut connection as ssl::error::stream_truncated.
  void AsyncRead(boost::asio::mutable_buffer buffer, IoHandler done);

  // Writes every byte of `buffers`; `done` gets (error, bytes written so far).
  void AsyncWrite(WriteBuffers buffers, IoHandler done);

  // Sends close_notify and waits for the peer's. Errors only say the exchange did not complete.
  void AsyncShutdown(DoneHandler done);

 private:
  enum class Want { kDone, kRead, kWrite };

  struct ReadOp {
    boost::asio::mutable_buffer buffer;
    std::size_t done = 0;
  };
  struct WriteOp {
    WriteBuffers buffers;
    std::size_t done = 0;
  };

  // Each runs its operation until it completes (then posts `done`) or the socket would block
  // (then waits for readiness with `done` inside the wait handler, and resumes).
  void PumpRead(IoHandler done);
  void PumpWrite(IoHandler done);
  void PumpHandshake(DoneHandler done);
  void PumpShutdown(DoneHandler done);

  // After an SSL call returned `result` <= 0: what it waits for, or (kDone) the error in `error`.
  Want Classify(int result, boost::system::error_code& error);
  // Calls resume(error) on the strand once the socket is readable (kRead) or writable (kWrite);
  // the error is set when the wait failed (the socket was closed: operation_aborted).
  template <typename Resume>
  void WaitFor(Want want, Resume resume);

  Strand strand_;
  boost::asio::ip::tcp::socket socket_;
  SSL* ssl_ = nullptr;
  ReadOp read_;
  WriteOp write_;
};

}  // namespace pancaim::transport::internal
