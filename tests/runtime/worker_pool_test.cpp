#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>

#include "runtime/worker_pool.hpp"

using namespace wachtpost;

TEST(WorkerPool, RunsEveryChunkOnceAndWaitsForAll) {
  WorkerPool pool(4);
  for (int round = 0; round < 50; ++round) {
    std::vector<std::atomic<int>> seen(97);
    pool.run(seen.size(), [&](std::size_t chunk, std::size_t worker) {
      ASSERT_LT(worker, pool.size());
      seen[chunk].fetch_add(1);
    });
    for (const auto& count : seen) ASSERT_EQ(count.load(), 1);
  }
}

TEST(WorkerPool, UsesSeveralThreads) {
  WorkerPool pool(3);
  std::mutex mutex;
  std::set<std::thread::id> threads;
  pool.run(300, [&](std::size_t, std::size_t) {
    std::this_thread::sleep_for(std::chrono::microseconds(200));
    const std::lock_guard lock(mutex);
    threads.insert(std::this_thread::get_id());
  });
  EXPECT_GT(threads.size(), 1U);
}

TEST(WorkerPool, RethrowsTheFirstFailureAfterTheOthersFinished) {
  WorkerPool pool(2);
  std::atomic<int> done{0};
  EXPECT_THROW(pool.run(10,
                        [&](std::size_t chunk, std::size_t) {
                          if (chunk == 3) throw std::runtime_error("bad chunk");
                          done.fetch_add(1);
                        }),
               std::runtime_error);
  EXPECT_EQ(done.load(), 9);
  // Still usable afterwards.
  pool.run(5, [&](std::size_t, std::size_t) { done.fetch_add(1); });
  EXPECT_EQ(done.load(), 14);
}

TEST(WorkerPool, ZeroChunksReturnsAtOnce) {
  WorkerPool pool(2);
  pool.run(0, [](std::size_t, std::size_t) { FAIL(); });
}
