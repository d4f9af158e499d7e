#pragma once
// Decides which rules fire on a post, from the hits of one scan.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "match/pattern_set.hpp"
#include "match/scanner.hpp"

namespace wachtpost {

// A rule that fired. Its evidence is hit_indices[begin, end) of the evaluator's
// output: the threat hits and the target hits they pointed at.
struct RuleMatch {
  std::uint32_t rule = 0;
  std::uint32_t begin = 0;
  std::uint32_t end = 0;
  std::int8_t category = -1;  // a learned rule's: index into kCategories; -1: the rule's own
  float score = 0;            // a learned rule's sum of cue weights
};

struct RuleEvaluation {
  // The scan's hits, then one hit per threat sequence found (its parts in
  // order, spanning from the first part's start to the last part's end).
  std::vector<Hit> hits;
  std::vector<RuleMatch> matches;
  std::vector<std::uint32_t> hit_indices;  // into `hits`
  std::uint32_t suppressed = 0;            // threat hits silenced by an exclusion
  void clear() {
    hits.clear();
    matches.clear();
    hit_indices.clear();
    suppressed = 0;
  }
};

// Number of words strictly between two spans of normalised text (0 when they
// touch or overlap). Words are separated by single spaces after normalisation.
std::uint32_t words_between(std::string_view text, std::uint32_t a_from, std::uint32_t a_to, std::uint32_t b_from,
                            std::uint32_t b_to);

// Where the words and the punctuation of one normalised text are, so that a
// distance check between two hits costs O(1) whatever the text. The
// evaluator compares hits pairwise (each threat with each target, each part
// of a sequence with the next); counting the words between them byte by byte
// made a hostile post of thousands of threat and target words cost hits x
// hits x text length (minutes for 30 KB of "rechter afmaken"). Bitmaps with
// a count per 64 bytes: under a quarter of a byte per byte of text each.
class WordIndex {
 public:
  // Reuses its buffers; `text` must outlive the queries.
  void build(std::string_view text);
  [[nodiscard]] std::string_view text() const { return text_; }
  // The same as words_between(text(), ...).
  [[nodiscard]] std::uint32_t words_between(std::uint32_t a_from, std::uint32_t a_to, std::uint32_t b_from,
                                            std::uint32_t b_to) const;
  // Words starting in [from, to), as words_between counts them.
  [[nodiscard]] std::uint32_t words_in(std::uint32_t from, std::uint32_t to) const;
  // A '.', '!' or '?' in [from, to).
  [[nodiscard]] bool sentence_break_in(std::uint32_t from, std::uint32_t to) const;
  // A '.', '!', '?', ',', ':' or ';' in [from, to).
  [[nodiscard]] bool clause_break_in(std::uint32_t from, std::uint32_t to) const;
  // A byte range, starting and ending at word boundaries, that holds every
  // word (any run of non-space bytes) with at most `words` words between it
  // and [from, to).
  [[nodiscard]] std::pair<std::uint32_t, std::uint32_t> around(std::uint32_t from, std::uint32_t to,
                                                               std::uint32_t words) const;

 private:
  // Positions of one kind: how many come before a position, in O(1); where
  // the n-th one is, in O(log n).
  class Positions {
   public:
    void reset(std::size_t size);
    void add(std::uint32_t at) { bits_[at / 64] |= std::uint64_t{1} << (at % 64); }
    void count();                                                // after the last add()
    [[nodiscard]] std::uint32_t before(std::uint32_t at) const;  // at <= size
    [[nodiscard]] std::uint32_t nth(std::uint32_t n) const;      // n < total()
    [[nodiscard]] std::uint32_t total() const { return total_; }

   private:
    std::vector<std::uint64_t> bits_;
    std::vector<std::uint32_t> counts_;  // [w]: positions in bits_[0, w)
    std::uint32_t total_ = 0;
  };
  [[nodiscard]] static std::uint32_t in(const Positions& positions, std::uint32_t from, std::uint32_t to,
                                        std::uint32_t size);

  std::string_view text_;
  Positions word_starts_;
  Positions sentence_marks_;
  Positions clause_marks_;
};

class RuleEvaluator {
 public:
  // Reuses its buffers: no allocation per post once warm. `post_lang` (may
  // be empty) decides between rules of different languages that fire on the
  // very same words, so one threat gives one alert.
  void evaluate(const PatternSet& set, std::string_view normalized, std::span<const Hit> hits,
                std::string_view post_lang, RuleEvaluation& out);

  // A learned rule's score for a normalised text: its bias plus the weight of
  // each distinct cue (rules/learned_cues.hpp).
  float learned_score(const LearnedCues& model, std::string_view normalized);

 private:
  std::vector<std::uint32_t> threats_;
  std::vector<std::uint32_t> targets_;
  std::vector<std::uint32_t> exclusions_;
  std::vector<std::uint32_t> chosen_targets_;
  std::vector<std::uint8_t> chosen_;  // beside the hits: in chosen_targets_
  WordIndex index_;                   // of the text being evaluated
  std::vector<std::uint32_t> parts_;
  std::string cue_pair_;                     // scratch for word pairs
  std::vector<const CueWeight*> cues_seen_;  // each cue counts once per post
  struct WeighedCue {
    std::uint32_t from;
    std::uint32_t to;
    float weight;
    std::uint8_t category;
  };
  std::vector<WeighedCue> cues_;

  using Quote = std::pair<std::uint32_t, std::uint32_t>;  // [from, to) between the marks
  std::vector<Quote> quotes_;                             // quoted speech of the post
  std::vector<Quote> all_quotes_;                         // every quoted span, scare quotes too

  void evaluate_threats(const PatternSet& set, std::string_view post_lang, RuleEvaluation& out);
  void find_quotes();
  void choose_target(std::uint32_t hit);
  [[nodiscard]] bool inside_quote(const Hit& hit) const;
  [[nodiscard]] const Quote* quote_opened_by(const Hit& hit) const;
  static constexpr std::uint32_t kNoTarget = UINT32_MAX;
  [[nodiscard]] std::uint32_t referred_target(const PatternSet& set, std::span<const Hit> hits, const ThreatRule& rule,
                                              const Hit& threat, ObjectTarget object) const;
  void add_named_for_roles(const PatternSet& set, std::span<const Hit> hits);
  void drop_unsupported_surnames(const PatternSet& set, std::span<const Hit> hits);
  void join_sequences(const PatternSet& set, RuleEvaluation& out);
  void join_unordered(const PatternSet& set, std::uint32_t sequence, std::size_t run, std::size_t next,
                      RuleEvaluation& out);

  void veto_written(const PatternSet& set, std::string_view normalized, std::string_view post_lang,
                    RuleEvaluation& out);
  void weigh_learned(const PatternSet& set, std::string_view normalized, std::string_view post_lang,
                     RuleEvaluation& out);
  void drop_same_evidence(const PatternSet& set, std::span<const Hit> hits, std::string_view post_lang,
                          RuleEvaluation& out) const;
};

}  // namespace wachtpost
