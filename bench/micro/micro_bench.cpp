// Micro benchmarks of the hot path, one stage at a time and whole posts
// (issue 7; bench/README.md, "micro"). Every benchmark reports MB/s and
// items/s, and the heap allocations its timed loop made per item, counted by
// allocation_counter.cpp once the objects under test are warm: a worker reuses
// its buffers, so only allocations that recur on every post matter.

#include <benchmark/benchmark.h>
#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "alert/alert.hpp"
#include "allocation_counter.hpp"
#include "cli/pattern_source.hpp"
#include "ingest/line_reader.hpp"
#include "ingest/post_parser.hpp"
#include "match/scanner.hpp"
#include "normalize/normalizer.hpp"
#include "rules/rule_evaluator.hpp"
#include "runtime/post_processor.hpp"
#include "sample_posts.hpp"

namespace wachtpost::bench {
namespace {

constexpr std::string_view kDetectedAt = "2026-11-20T07:44:17.000Z";

// Lines per parse_lines batch: what LineReader::next_block hands over when a
// file's lines come in faster than they are parsed is far more, but 256 is
// already well past the point where the per-batch setup stops showing.
constexpr int kBatchLines = 256;

// Rounds run before counting starts. The first grows the buffers; a second
// and third catch anything that only settles after reuse.
constexpr int kWarmUpRounds = 3;

// The shipped set, loaded once: compiling it costs far more than any run.
const std::shared_ptr<const PatternSet>& shipped_set() {
  static const std::shared_ptr<const PatternSet> set =
      load_pattern_set({std::string(WACHTPOST_SOURCE_DIR) + "/patterns",
                        std::string(WACHTPOST_SOURCE_DIR) + "/patterns/protected.example.yaml",
                        {}});
  return set;
}

// Runs `body` as the benchmark's timed loop after warming it up, and reports
// throughput and allocations per item (a post, or an alert).
template <typename Body>
void measure(benchmark::State& state, std::size_t bytes_per_iteration, std::size_t items_per_iteration, Body&& body) {
  for (int i = 0; i < kWarmUpRounds; ++i) body();
  const HeapCounts before = heap_counts();
  for (auto _ : state) body();
  const HeapCounts after = heap_counts();
  const auto iterations = static_cast<std::int64_t>(state.iterations());
  state.SetBytesProcessed(iterations * static_cast<std::int64_t>(bytes_per_iteration));
  state.SetItemsProcessed(iterations * static_cast<std::int64_t>(items_per_iteration));
  const auto items = static_cast<double>(items_per_iteration);
  state.counters["allocs/item"] = benchmark::Counter(
      static_cast<double>(after.allocations - before.allocations) / items, benchmark::Counter::kAvgIterations);
  state.counters["alloc_bytes/item"] =
      benchmark::Counter(static_cast<double>(after.bytes - before.bytes) / items, benchmark::Counter::kAvgIterations);
}

// A post line in a buffer with simdjson's padding, as LineReader (scan,
// replay) holds them.
struct PaddedLine {
  explicit PaddedLine(std::string_view line) : padded(line) {}
  simdjson::padded_string padded;
  [[nodiscard]] std::string_view view() const { return {padded.data(), padded.size()}; }
  [[nodiscard]] std::size_t capacity() const { return padded.size() + simdjson::SIMDJSON_PADDING; }
};

// --- parse -------------------------------------------------------------------

// A line from a padded buffer (LineReader, replay): nothing is copied.
void parse_padded(benchmark::State& state) {
  const PaddedLine line(post_line("1780010891", "public", kHarmlessText));
  PostParser parser;
  Post post;
  ParseFailure failure;
  if (parser.parse(line.view(), line.capacity(), post, failure) != ParseOutcome::kPost) {
    state.SkipWithError("the sample line does not parse");
    return;
  }
  measure(state, line.view().size(), 1, [&] {
    ParseOutcome outcome = parser.parse(line.view(), line.capacity(), post, failure);
    benchmark::DoNotOptimize(outcome);
    benchmark::DoNotOptimize(post);
  });
}
BENCHMARK(parse_padded);

// A Kafka payload (the stream processor): copied into the parser's padded
// buffer first, because librdkafka's message buffers carry no padding.
void parse_copy(benchmark::State& state) {
  const std::string line = post_line("1780010891", "public", kHarmlessText);
  PostParser parser;
  Post post;
  ParseFailure failure;
  measure(state, line.size(), 1, [&] {
    ParseOutcome outcome = parser.parse_copy(line, post, failure);
    benchmark::DoNotOptimize(outcome);
    benchmark::DoNotOptimize(post);
  });
}
BENCHMARK(parse_copy);

// A block of consecutive lines through parse_lines (iterate_many), as `scan`
// and `replay` read files: harmless, threat and non-public posts mixed.
void parse_lines_batch(benchmark::State& state) {
  std::string buffer;
  std::vector<std::size_t> offsets;
  constexpr std::string_view kTexts[] = {kHarmlessText, kThreatText, kObfuscatedText};
  for (int i = 0; i < kBatchLines; ++i) {
    offsets.push_back(buffer.size());
    buffer += post_line(std::to_string(1780010000 + i), i % 10 == 9 ? "followers" : "public", kTexts[i % 3]);
    buffer += '\n';
  }
  const std::size_t content_bytes = buffer.size();
  buffer.append(simdjson::SIMDJSON_PADDING, '\0');
  std::vector<Line> lines;
  for (std::size_t i = 0; i < offsets.size(); ++i) {
    const std::size_t end = (i + 1 < offsets.size() ? offsets[i + 1] : content_bytes) - 1;  // without '\n'
    Line line;
    line.number = i + 1;
    line.bytes = std::string_view(buffer).substr(offsets[i], end - offsets[i]);
    line.capacity = buffer.size() - offsets[i];
    line.original_size = line.bytes.size();
    lines.push_back(line);
  }

  PostParser parser;
  std::size_t posts = 0;
  const PostParser::LineSink sink = [&posts](const Line&, ParseOutcome outcome, const Post&, const ParseFailure&) {
    if (outcome == ParseOutcome::kPost) ++posts;
  };
  parser.parse_lines(lines, sink);
  if (posts != lines.size() || parser.lines_parsed_singly() != 0) {
    state.SkipWithError("the sample block does not parse as one batch");
    return;
  }
  measure(state, content_bytes, lines.size(), [&] { parser.parse_lines(lines, sink); });
}
BENCHMARK(parse_lines_batch);

// --- normalise ---------------------------------------------------------------

void normalize(benchmark::State& state, std::string_view text) {
  Normalizer normalizer;
  NormalizedText out;
  measure(state, text.size(), 1, [&] {
    normalizer.normalize(text, out);
    benchmark::DoNotOptimize(out);
  });
}
BENCHMARK_CAPTURE(normalize, ascii, kHarmlessText);
BENCHMARK_CAPTURE(normalize, non_ascii, kObfuscatedText);

// --- scan --------------------------------------------------------------------

// Scans the normalised text, as the processor does.
void scan(benchmark::State& state, std::string_view text, bool expect_threat) {
  const auto& set = shipped_set();
  Normalizer normalizer;
  NormalizedText normalized;
  normalizer.normalize(text, normalized);
  Scanner scanner;
  std::vector<Hit> hits;
  scanner.scan(set, normalized.text, hits);
  const auto patterns = set->patterns();
  bool threat = false;
  for (const Hit& hit : hits) threat = threat || patterns[hit.pattern].kind == PatternKind::kThreat;
  if (threat != expect_threat) {
    state.SkipWithError(expect_threat ? "the threat text has no threat hit" : "the harmless text has a threat hit");
    return;
  }
  state.counters["hits"] = static_cast<double>(hits.size());
  measure(state, normalized.text.size(), 1, [&] {
    bool complete = scanner.scan(set, normalized.text, hits);
    benchmark::DoNotOptimize(complete);
    benchmark::DoNotOptimize(hits);
  });
}
BENCHMARK_CAPTURE(scan, harmless, kHarmlessText, false);
BENCHMARK_CAPTURE(scan, threat, kThreatText, true);

// --- rule evaluation ---------------------------------------------------------

void evaluate(benchmark::State& state, std::string_view text, bool expect_match) {
  const auto& set = shipped_set();
  Normalizer normalizer;
  NormalizedText normalized;
  normalizer.normalize(text, normalized);
  Scanner scanner;
  std::vector<Hit> hits;
  scanner.scan(set, normalized.text, hits);
  RuleEvaluator evaluator;
  RuleEvaluation evaluation;
  evaluator.evaluate(*set, normalized.text, hits, "nl", evaluation);
  if (evaluation.matches.empty() == expect_match) {
    state.SkipWithError(expect_match ? "no rule fires on the threat text" : "a rule fires on the harmless text");
    return;
  }
  state.counters["hits"] = static_cast<double>(hits.size());
  measure(state, normalized.text.size(), 1, [&] {
    evaluator.evaluate(*set, normalized.text, hits, "nl", evaluation);
    benchmark::DoNotOptimize(evaluation);
  });
}
BENCHMARK_CAPTURE(evaluate, harmless, kHarmlessText, false);
BENCHMARK_CAPTURE(evaluate, threat, kThreatText, true);

// --- whole post ----------------------------------------------------------------

// PostProcessor::process on a parsed post: filter, normalise, scan (every
// reading), evaluate, build alerts. Its allocations per post are the figure
// that tests the header's "no heap allocation once warm" for posts without
// an alert.
void process(benchmark::State& state, std::string_view visibility, std::string_view text, bool expect_alert) {
  const auto& set = shipped_set();
  PostParser parser;
  Post post;
  ParseFailure failure;
  if (parser.parse_copy(post_line("1780010891", visibility, text), post, failure) != ParseOutcome::kPost) {
    state.SkipWithError("the sample line does not parse");
    return;
  }
  PostProcessor processor;
  std::vector<Alert> alerts;
  const PostVerdict expected = post.is_public() ? PostVerdict::kScanned : PostVerdict::kDroppedNotPublic;
  if (processor.process(set, post, kDetectedAt, alerts) != expected) {
    state.SkipWithError("the post got the wrong verdict");
    return;
  }
  if (alerts.empty() == expect_alert) {
    state.SkipWithError(expect_alert ? "the threat post raises no alert" : "the post raises an alert");
    return;
  }
  state.counters["alerts"] = static_cast<double>(alerts.size());
  measure(state, post.text.size(), 1, [&] {
    alerts.clear();  // as a worker does per batch: keeps the capacity
    PostVerdict verdict = processor.process(set, post, kDetectedAt, alerts);
    benchmark::DoNotOptimize(verdict);
    benchmark::DoNotOptimize(alerts);
  });
}
BENCHMARK_CAPTURE(process, harmless, "public", kHarmlessText, false);
BENCHMARK_CAPTURE(process, harmless_obfuscated, "public", kObfuscatedText, false);
BENCHMARK_CAPTURE(process, threat, "public", kThreatText, true);
BENCHMARK_CAPTURE(process, not_public, "followers", kThreatText, false);

// --- alert serialisation -------------------------------------------------------

// The alert the threat post raises, written as one JSON line into a reused
// buffer, as the stream processor fills a message.
void alert_json(benchmark::State& state) {
  const auto& set = shipped_set();
  PostParser parser;
  Post post;
  ParseFailure failure;
  std::vector<Alert> alerts;
  PostProcessor processor;
  if (parser.parse_copy(post_line("1780010891", "public", kThreatText), post, failure) != ParseOutcome::kPost) {
    state.SkipWithError("the sample line does not parse");
    return;
  }
  processor.process(set, post, kDetectedAt, alerts);
  if (alerts.empty()) {
    state.SkipWithError("the threat post raises no alert");
    return;
  }
  const Alert& alert = alerts.front();
  std::string out;
  append_alert_json(alert, out);
  measure(state, out.size(), 1, [&] {
    out.clear();
    append_alert_json(alert, out);
    benchmark::DoNotOptimize(out);
  });
}
BENCHMARK(alert_json);

}  // namespace
}  // namespace wachtpost::bench

BENCHMARK_MAIN();
