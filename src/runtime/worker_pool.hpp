#pragma once
// A fixed set of threads that run the chunks of one batch in parallel and
// return when all are done. The batch is the unit of backpressure: the caller
// fetches no more input until the pool hands the batch back, so memory is
// bounded by the batch size whatever the input rate.

#include <condition_variable>
#include <exception>
#include <cstddef>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace wachtpost {

class WorkerPool {
 public:
  // `task(chunk, worker)`: chunk in [0, chunks), worker in [0, size()).
  using Task = std::function<void(std::size_t chunk, std::size_t worker)>;

  explicit WorkerPool(std::size_t workers);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  [[nodiscard]] std::size_t size() const { return threads_.size(); }

  // Runs `task` for every chunk and waits for all of them. The first exception
  // a task throws is rethrown here after the others finished.
  void run(std::size_t chunks, const Task& task);

 private:
  void work(std::size_t worker);

  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable done_;
  const Task* task_ = nullptr;
  std::size_t chunks_ = 0;
  std::size_t next_chunk_ = 0;
  std::size_t unfinished_ = 0;
  std::size_t generation_ = 0;
  bool stopping_ = false;
  std::exception_ptr failure_;
  std::vector<std::thread> threads_;
};

}  // namespace wachtpost
