#include "runtime/worker_pool.hpp"

#include <exception>
#include <utility>

namespace wachtpost {

WorkerPool::WorkerPool(std::size_t workers) {
  if (workers == 0) workers = 1;
  threads_.reserve(workers);
  for (std::size_t i = 0; i < workers; ++i) threads_.emplace_back([this, i] { work(i); });
}

WorkerPool::~WorkerPool() {
  {
    const std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (auto& thread : threads_) thread.join();
}

void WorkerPool::run(std::size_t chunks, const Task& task) {
  if (chunks == 0) return;
  std::unique_lock lock(mutex_);
  task_ = &task;
  chunks_ = chunks;
  next_chunk_ = 0;
  unfinished_ = chunks;
  failure_ = nullptr;
  ++generation_;
  wake_.notify_all();
  done_.wait(lock, [this] { return unfinished_ == 0; });
  task_ = nullptr;
  if (failure_) std::rethrow_exception(std::exchange(failure_, nullptr));
}

void WorkerPool::work(std::size_t worker) {
  std::size_t seen_generation = 0;
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [&] { return stopping_ || (generation_ != seen_generation && next_chunk_ < chunks_); });
    if (stopping_) return;
    while (next_chunk_ < chunks_) {
      const std::size_t chunk = next_chunk_++;
      const Task* task = task_;
      lock.unlock();
      std::exception_ptr error;
      try {
        (*task)(chunk, worker);
      } catch (...) {
        error = std::current_exception();
      }
      lock.lock();
      if (error && !failure_) failure_ = error;
      if (--unfinished_ == 0) done_.notify_all();
    }
    seen_generation = generation_;
  }
}

}  // namespace wachtpost
