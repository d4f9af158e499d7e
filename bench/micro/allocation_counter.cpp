// Replacement global operator new/delete that count every allocation, so the
// micro benchmarks can report allocations per post (bench/README.md, "micro").
// Every replaceable form is defined here, not only the plain one: the aligned
// forms would otherwise bypass the count, and a delete must always match the
// new that produced the pointer.

#include "allocation_counter.hpp"

#include <atomic>
#include <cstdlib>
#include <new>

namespace wachtpost::bench {

namespace {

// Relaxed: the counts are read between benchmark runs, never used to order
// other memory; a benchmark that runs threads only needs the totals.
std::atomic<std::uint64_t> g_allocations{0};
std::atomic<std::uint64_t> g_bytes{0};

void count(std::size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  g_bytes.fetch_add(size, std::memory_order_relaxed);
}

// The standard's contract for a throwing operator new: retry through the
// new-handler until it gives up, then throw.
void* allocate(std::size_t size) {
  count(size);
  if (size == 0) size = 1;
  for (;;) {
    // NOLINTNEXTLINE(cppcoreguidelines-no-malloc,cppcoreguidelines-owning-memory): this is the allocator
    if (void* p = std::malloc(size)) return p;
    const std::new_handler handler = std::get_new_handler();
    if (handler == nullptr) throw std::bad_alloc();
    handler();
  }
}

void* allocate_aligned(std::size_t size, std::align_val_t alignment) {
  count(size);
  const auto align = static_cast<std::size_t>(alignment);
  // aligned_alloc wants a size that is a multiple of the alignment.
  const std::size_t rounded = size == 0 ? align : (size + align - 1) / align * align;
  for (;;) {
    // NOLINTNEXTLINE(cppcoreguidelines-no-malloc,cppcoreguidelines-owning-memory): this is the allocator
    if (void* p = std::aligned_alloc(align, rounded)) return p;
    const std::new_handler handler = std::get_new_handler();
    if (handler == nullptr) throw std::bad_alloc();
    handler();
  }
}

void release(void* p) noexcept {
  std::free(p);  // NOLINT(cppcoreguidelines-no-malloc,cppcoreguidelines-owning-memory): pairs with allocate()
}

}  // namespace

HeapCounts heap_counts() {
  return {g_allocations.load(std::memory_order_relaxed), g_bytes.load(std::memory_order_relaxed)};
}

}  // namespace wachtpost::bench

using wachtpost::bench::allocate;
using wachtpost::bench::allocate_aligned;
using wachtpost::bench::release;

void* operator new(std::size_t size) {
  return allocate(size);
}
void* operator new[](std::size_t size) {
  return allocate(size);
}
void* operator new(std::size_t size, std::align_val_t alignment) {
  return allocate_aligned(size, alignment);
}
void* operator new[](std::size_t size, std::align_val_t alignment) {
  return allocate_aligned(size, alignment);
}

void* operator new(std::size_t size, const std::nothrow_t& /*tag*/) noexcept {
  try {
    return allocate(size);
  } catch (const std::bad_alloc&) {
    return nullptr;
  }
}
void* operator new[](std::size_t size, const std::nothrow_t& tag) noexcept {
  return operator new(size, tag);
}
void* operator new(std::size_t size, std::align_val_t alignment, const std::nothrow_t& /*tag*/) noexcept {
  try {
    return allocate_aligned(size, alignment);
  } catch (const std::bad_alloc&) {
    return nullptr;
  }
}
void* operator new[](std::size_t size, std::align_val_t alignment, const std::nothrow_t& tag) noexcept {
  return operator new(size, alignment, tag);
}

void operator delete(void* p) noexcept {
  release(p);
}
void operator delete[](void* p) noexcept {
  release(p);
}
void operator delete(void* p, std::size_t /*size*/) noexcept {
  release(p);
}
void operator delete[](void* p, std::size_t /*size*/) noexcept {
  release(p);
}
void operator delete(void* p, std::align_val_t /*alignment*/) noexcept {
  release(p);
}
void operator delete[](void* p, std::align_val_t /*alignment*/) noexcept {
  release(p);
}
void operator delete(void* p, std::size_t /*size*/, std::align_val_t /*alignment*/) noexcept {
  release(p);
}
void operator delete[](void* p, std::size_t /*size*/, std::align_val_t /*alignment*/) noexcept {
  release(p);
}
void operator delete(void* p, const std::nothrow_t& /*tag*/) noexcept {
  release(p);
}
void operator delete[](void* p, const std::nothrow_t& /*tag*/) noexcept {
  release(p);
}
void operator delete(void* p, std::align_val_t /*alignment*/, const std::nothrow_t& /*tag*/) noexcept {
  release(p);
}
void operator delete[](void* p, std::align_val_t /*alignment*/, const std::nothrow_t& /*tag*/) noexcept {
  release(p);
}
