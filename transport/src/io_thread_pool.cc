#include "pancaim/transport/io_thread_pool.h"

#include <algorithm>

namespace pancaim::transport {

IoThreadPool::IoThreadPool(std::size_t threads)
    : context_(static_cast<int>(std::max<std::size_t>(threads, 1))),
      work_(boost::asio::make_work_guard(context_)) {
  for (std::size_t i = 0; i < std::max<std::size_t>(threads, 1); ++i) {
    threads_.emplace_back([this] { context_.run(); });
  }
}

IoThreadPool::~IoThreadPool() { Stop(); }

void IoThreadPool::Stop() {
  work_.reset();
  context_.stop();
  for (std::thread& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
  threads_.clear();
}

}  // namespace pancaim::transport
