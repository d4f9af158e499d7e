#pragma once
// Runs a PatternSet's Hyperscan database over normalised text.

#include <hs/hs.h>

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "match/pattern_set.hpp"

namespace wachtpost {

// Bytes that make up words for whole-word matching (as \b in Hyperscan
// without UCP: ASCII letters, digits, underscore).
inline bool is_word_byte(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// One expression matched the normalised bytes [from, to).
struct Hit {
  std::uint32_t pattern = 0;  // index into PatternSet::patterns()
  std::uint32_t from = 0;
  std::uint32_t to = 0;
};

struct HsScratchDeleter {
  void operator()(hs_scratch_t* scratch) const { hs_free_scratch(scratch); }
};
using HsScratch = std::unique_ptr<hs_scratch_t, HsScratchDeleter>;

// Per-thread: Hyperscan scratch space must not be shared between threads.
class Scanner {
 public:
  // A post can hold only so many matches worth reporting; beyond this the
  // text is hostile (a name repeated 100,000 times) and scanning stops.
  static constexpr std::size_t kMaxHits = 4096;

  // Appends to `hits` (cleared first). Returns false when the hit limit cut
  // the scan short; the hits found so far are still valid.
  bool scan(const std::shared_ptr<const PatternSet>& set, std::string_view text, std::vector<Hit>& hits);

 private:
  void prepare(const std::shared_ptr<const PatternSet>& set);

  HsScratch scratch_;
  // Held so the database the scratch was sized for cannot be freed and its
  // address reused by another set while this scanner still refers to it.
  std::shared_ptr<const PatternSet> prepared_for_;
};

}  // namespace wachtpost
