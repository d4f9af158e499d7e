#pragma once
// Heap allocations made through operator new in this process, counted by the
// replacement operators in allocation_counter.cpp. Linked into the micro
// benchmark binary only: the product keeps the standard allocator untouched.
//
// What it does not see: memory that C libraries take with malloc directly
// (Hyperscan scratch, librdkafka). Those happen outside the per-post path
// (hs_scan and utf8proc's per-character calls allocate nothing), so
// operator new is the allocation a warm worker could still make per post.

#include <cstdint>

namespace wachtpost::bench {

struct HeapCounts {
  std::uint64_t allocations = 0;
  std::uint64_t bytes = 0;
};

// A snapshot; subtract two to get what happened in between.
HeapCounts heap_counts();

}  // namespace wachtpost::bench
