#pragma once
// One post through the whole matching path: public-only filter, normalise,
// scan, evaluate rules, build alerts. One PostProcessor per worker thread; it
// owns every reusable buffer, so a post that raises no alert costs no heap
// allocation once the processor is warm.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "alert/alert.hpp"
#include "alert/pseudonym.hpp"
#include "ingest/post.hpp"
#include "match/pattern_set.hpp"
#include "match/scanner.hpp"
#include "normalize/normalizer.hpp"
#include "rules/rule_evaluator.hpp"

namespace wachtpost {

enum class PostVerdict : std::uint8_t {
  kScanned,           // matched against the set (alerts may have been appended)
  kDroppedNotPublic,  // never normalised, never matched, nothing kept
};

struct PostProcessorOptions {
  NormalizerOptions normalizer;
  std::uint32_t excerpt_max_bytes = kExcerptMaxBytes;
  // Absent: alerts carry no author reference at all.
  std::shared_ptr<const AuthorPseudonymizer> pseudonymizer;
};

class PostProcessor {
 public:
  explicit PostProcessor(PostProcessorOptions options = {});

  // Appends one alert per rule that fired. `detected_at` is stamped on them.
  PostVerdict process(const std::shared_ptr<const PatternSet>& set, const Post& post,
                      std::string_view detected_at, std::vector<Alert>& alerts);

  // Threat hits an exclusion silenced in the last processed post.
  [[nodiscard]] std::uint32_t last_suppressed() const { return suppressed_; }
  // False when the last post hit the scanner's match limit.
  [[nodiscard]] bool last_scan_complete() const { return last_scan_complete_; }

 private:
  void evaluate_reading(const std::shared_ptr<const PatternSet>& set, const Post& post, const NormalizedText& reading,
                        std::string_view detected_at, std::size_t first_alert, std::vector<Alert>& alerts);
  Alert build_alert(const PatternSet& set, const RuleMatch& match, const Post& post, const NormalizedText& reading,
                    std::string_view detected_at);

  PostProcessorOptions options_;
  Normalizer normalizer_;
  NormalizedText normalized_;
  NormalizedText collapsed_;  // further readings of stretched letters, one at a time
  Scanner scanner_;
  std::vector<Hit> hits_;
  RuleEvaluator evaluator_;
  RuleEvaluation evaluation_;
  std::vector<std::string> named_roles_;  // build_alert: roles of the named persons
  std::vector<bool> inner_targets_;       // build_alert: target matches inside a longer one
  std::uint32_t suppressed_ = 0;
  bool last_scan_complete_ = true;
};

}  // namespace wachtpost
