#pragma once
// A shared_ptr that one thread replaces while others read it: the live
// pattern set, the desk's admin actions.
//
// Not std::atomic<std::shared_ptr>: GCC 12's libstdc++ (Debian 12) releases
// its internal lock with a relaxed store in load(), so a reader's access and
// the next writer's are not ordered, which ThreadSanitizer reports as a race
// (and the memory model agrees). A mutex held for a reference-count increment
// costs nothing at one load per batch.

#include <memory>
#include <mutex>

namespace wachtpost {

template <typename T>
class AtomicSharedPtr {
 public:
  AtomicSharedPtr() = default;
  explicit AtomicSharedPtr(std::shared_ptr<T> value) : value_(std::move(value)) {}
  AtomicSharedPtr(const AtomicSharedPtr&) = delete;
  AtomicSharedPtr& operator=(const AtomicSharedPtr&) = delete;

  [[nodiscard]] std::shared_ptr<T> load() const {
    const std::lock_guard lock(mutex_);
    return value_;
  }

  void store(std::shared_ptr<T> value) {
    // The old value is released outside the lock: its last owner may be
    // this call, and destroying a pattern set frees Hyperscan databases.
    {
      const std::lock_guard lock(mutex_);
      value_.swap(value);
    }
  }

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<T> value_;
};

}  // namespace wachtpost
