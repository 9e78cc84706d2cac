// An io_context run by a fixed pool of threads: the single event loop a process's transport
// (servers, connections, timers) runs on. Owns the context and the threads.
// Thread-safety: context() may be used from any thread; Stop() from any thread except the pool's
// own threads (it joins them). Destruction stops the pool.
#pragma once

#include <cstddef>
#include <memory>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

namespace pancaim::transport {

class IoThreadPool {
 public:
  // Starts `threads` threads (at least 1) running the context until Stop().
  explicit IoThreadPool(std::size_t threads);
  ~IoThreadPool();
  IoThreadPool(const IoThreadPool&) = delete;
  IoThreadPool& operator=(const IoThreadPool&) = delete;

  boost::asio::io_context& context() { return context_; }

  // Stops the context (pending handlers are abandoned) and joins the threads. Idempotent.
  void Stop();

 private:
  boost::asio::io_context context_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::vector<std::thread> threads_;
};

}  // namespace pancaim::transport
