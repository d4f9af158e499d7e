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
//
// A scan finds every match of every expression with its start and end, the
// same as one scan of a database compiled with HS_FLAG_SOM_LEFTMOST would, in
// two steps that cost far less:
//  1. PatternSet::database() (no start tracking) finds where matches end. An
//     expression of fixed width starts `width` bytes before its end.
//  2. For the matches of varying width, PatternSet::start_database() runs once
//     over the span that holds every start such a match can have (from its
//     expression's maximum width before the earliest, with a byte of context
//     on each side, widened to whole UTF-8 characters); the leftmost start it
//     reports for the same expression and end is the match's start. A spurious
//     match at the span's edge (`^` or `\b` at the cut) would be longer than
//     the expression's maximum width, so it cannot end where a match did.
//     (One span, not a window per match: each scan of a large database has a
//     fixed cost that outweighs the bytes between the windows.)
class Scanner {
 public:
  // A post can hold only so many matches worth reporting; beyond this the
  // text is hostile (a name repeated 100,000 times) and scanning stops.
  static constexpr std::size_t kMaxHits = 4096;

  enum class Starts : std::uint8_t {
    kAlways,
    // Step 2 only when a target matched (whole words; or a target of varying
    // width ended at a word's end): without one no rule can fire
    // (rules/rule_evaluator.hpp), so the matches of varying width are left
    // out. What the evaluator decides is the same; most posts skip step 2.
    kOnlyWithATarget,
  };

  // Fills `hits` (cleared first), ordered by end, start and pattern. Returns
  // false when the hit limit cut the scan short; the hits found so far are
  // still valid.
  bool scan(const std::shared_ptr<const PatternSet>& set, std::string_view text, std::vector<Hit>& hits,
            Starts starts = Starts::kAlways);

  // A match of varying width whose start is still to be found.
  struct OpenEnd {
    std::uint32_t to;
    std::uint32_t pattern;
    bool operator<(const OpenEnd& o) const { return to != o.to ? to < o.to : pattern < o.pattern; }
  };

 private:
  void prepare(const std::shared_ptr<const PatternSet>& set);
  void find_starts(const PatternSet& set, std::string_view text, std::vector<Hit>& hits);

  HsScratch scratch_;
  std::vector<OpenEnd> open_ends_;
  std::vector<std::uint8_t> found_;  // beside open_ends_: its start was found
  // Held so the database the scratch was sized for cannot be freed and its
  // address reused by another set while this scanner still refers to it.
  std::shared_ptr<const PatternSet> prepared_for_;
};

}  // namespace wachtpost
