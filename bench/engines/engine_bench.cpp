// wachtpost_engine_bench: wachtpost's scan pipeline beside the raw limit of
// its two stages and beside the regex engines a user would pick instead, on
// the same corpus and the same expressions, in one run, on one thread.
//
//   wachtpost_engine_bench --corpus FILE [--patterns DIR] [--protected FILE]
//                          [--repeat R] [--peer-seconds S] [--json OUT]
//                          [--export-expressions FILE]
//
// bench/README.md ("engines") says what each number means.

#include <hs/hs.h>
#include <re2/re2.h>
#include <re2/set.h>
#include <simdjson.h>
#include <sys/resource.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "alert/alert.hpp"
#include "alert/json_writer.hpp"
#include "ingest/post_parser.hpp"
#include "ingest/rfc3339.hpp"
#include "match/embedded_patterns.hpp"
#include "match/pattern_loader.hpp"
#include "match/scanner.hpp"
#include "runtime/post_processor.hpp"

namespace wachtpost::bench {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// The flags pattern_loader.cpp compiles every expression with (kHsFlags there,
// not exported). The peers get the same semantics: UTF-8, case-sensitive (the
// expressions are written for lower-cased, normalised text), ASCII \w and \b
// (no HS_FLAG_UCP), "." not matching a newline, ^ and $ at the text's ends.
// (The set's second database adds HS_FLAG_SOM_LEFTMOST for the expressions
// of varying width, only to find where their matches start; the peers are
// asked whether an expression matches at all, which needs less.)
constexpr unsigned kSetHsFlags = HS_FLAG_UTF8;

// One expression as every engine is given it: the Hyperscan expression and
// its flags, spelled out for the engines that take options instead of flags.
struct PeerExpression {
  std::string expression;
  std::string kind;  // threat, target, exclusion, threat_part
  bool caseless = false;
  bool dotall = false;
  bool multiline = false;
  bool utf8 = false;
  bool ucp = false;
};

std::string_view kind_name(PatternKind kind) {
  switch (kind) {
    case PatternKind::kThreat: return "threat";
    case PatternKind::kTarget: return "target";
    case PatternKind::kExclusion: return "exclusion";
    case PatternKind::kThreatPart: return "threat_part";
  }
  return "unknown";
}

// What Hyperscan is given: a threat sequence's own entry has no expression
// (its parts are compiled), so it is left out as pattern_loader.cpp does.
std::vector<PeerExpression> peer_expressions(const PatternSet& set, unsigned hs_flags) {
  std::vector<PeerExpression> out;
  for (const auto& pattern : set.patterns()) {
    if (pattern.expression.empty()) continue;
    out.push_back({pattern.expression, std::string(kind_name(pattern.kind)), (hs_flags & HS_FLAG_CASELESS) != 0,
                   (hs_flags & HS_FLAG_DOTALL) != 0, (hs_flags & HS_FLAG_MULTILINE) != 0,
                   (hs_flags & HS_FLAG_UTF8) != 0, (hs_flags & HS_FLAG_UCP) != 0});
  }
  return out;
}

// ------------------------------------------------------------------ corpus

// The whole corpus in one buffer with simdjson's padding behind it, so each
// line can be parsed in place (raw_parse) and nothing is read from disk while
// measuring.
struct Corpus {
  std::string bytes;  // file content + SIMDJSON_PADDING zero bytes
  std::size_t size = 0;
  struct LineSpan {
    std::size_t offset = 0;
    std::size_t length = 0;
  };
  std::vector<LineSpan> lines;
  // Texts of the public posts, extracted once, for the stages that start
  // from the text: raw_scan and the peers. line_bytes[i] is the size of the
  // line text[i] came from, so every stage reports MB/s of the same input.
  std::vector<std::string> texts;
  std::vector<std::size_t> line_bytes;
  std::uint64_t not_public = 0;
  std::uint64_t rejected = 0;

  [[nodiscard]] std::string_view line(std::size_t i) const { return {bytes.data() + lines[i].offset, lines[i].length}; }
  [[nodiscard]] std::size_t capacity(std::size_t i) const { return bytes.size() - lines[i].offset; }
};

Corpus load_corpus(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot be read");
  std::ostringstream content;
  content << in.rdbuf();
  Corpus corpus;
  corpus.bytes = std::move(content).str();
  corpus.size = corpus.bytes.size();
  corpus.bytes.append(simdjson::SIMDJSON_PADDING, '\0');
  std::size_t start = 0;
  while (start < corpus.size) {
    std::size_t end = corpus.bytes.find('\n', start);
    if (end == std::string::npos || end > corpus.size) end = corpus.size;
    std::size_t length = end - start;
    if (length > 0 && corpus.bytes[start + length - 1] == '\r') --length;
    if (corpus.bytes.find_first_not_of(" \t", start) < start + length) corpus.lines.push_back({start, length});
    start = end + 1;
  }
  PostParser parser;
  Post post;
  ParseFailure failure;
  for (std::size_t i = 0; i < corpus.lines.size(); ++i) {
    const ParseOutcome outcome = parser.parse_copy(corpus.line(i), post, failure);
    if (outcome != ParseOutcome::kPost) {
      ++corpus.rejected;
    } else if (!post.is_public()) {
      ++corpus.not_public;
    } else {
      corpus.texts.emplace_back(post.text);
      corpus.line_bytes.push_back(corpus.lines[i].length + 1);
    }
  }
  return corpus;
}

// --------------------------------------------------------------- the set

struct LoadedSet {
  std::shared_ptr<const PatternSet> set;
  double build_seconds = 0;
};

// As load_pattern_set (cli/pattern_source.cpp) does, but never from the
// compiled-database cache: the compile time is one of the figures.
LoadedSet load_set(const std::string& patterns_dir, const std::string& protected_file) {
  LoadedSources loaded;
  std::vector<RuleSource> sources;
  if (patterns_dir.empty()) {
    const auto embedded = embedded_pattern_sources();
    sources.assign(embedded.begin(), embedded.end());
  } else {
    loaded = read_rule_directory(patterns_dir);
    sources = loaded.views();
  }
  PatternSetInput input{sources, std::nullopt, utc_today(), nullptr};
  std::string registry;
  if (!protected_file.empty()) {
    std::ifstream in(protected_file, std::ios::binary);
    if (!in) throw PatternSetError({protected_file + ": cannot be read"});
    std::ostringstream content;
    content << in.rdbuf();
    registry = std::move(content).str();
    input.registry = RuleSource{protected_file, registry};
  }
  const auto started = Clock::now();
  LoadedSet out;
  out.set = build_pattern_set(input);
  out.build_seconds = seconds_since(started);
  return out;
}

struct MemoryFigures {
  std::uint64_t rss_bytes = 0;   // VmRSS
  std::uint64_t peak_bytes = 0;  // VmHWM
};

MemoryFigures memory_now() {
  MemoryFigures out;
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    const auto value = [&] { return std::stoull(line.substr(line.find(':') + 1)) * 1024; };  // "...: 1234 kB"
    if (line.starts_with("VmRSS:")) out.rss_bytes = value();
    if (line.starts_with("VmHWM:")) out.peak_bytes = value();
  }
  if (out.peak_bytes == 0) {  // no /proc: getrusage gives the peak in KiB on Linux
    rusage usage{};
    if (getrusage(RUSAGE_SELF, &usage) == 0) out.peak_bytes = static_cast<std::uint64_t>(usage.ru_maxrss) * 1024;
  }
  return out;
}

// ------------------------------------------------------------ measuring

// One measured stage: the best pass of several, over `posts` posts.
struct Figure {
  std::string name;
  double seconds = 0;  // best pass
  std::uint64_t posts = 0;
  std::uint64_t first_post = 0;  // where the measured posts start (after a warm-up)
  std::uint64_t line_bytes = 0;
  std::uint64_t text_bytes = 0;
  std::uint64_t passes = 0;
  std::uint64_t matched = 0;   // posts with a match (alerts for the pipeline)
  std::uint64_t of_posts = 0;  // posts in the corpus: posts < of_posts means part of it was measured
  // Measured posts on which this engine and Hyperscan (raw_scan) disagree on
  // whether any expression matches; -1: not compared.
  std::int64_t disagreements = -1;
  std::string method;  // how the part was chosen, when only a part was measured
  std::string note;

  [[nodiscard]] double posts_per_second() const { return seconds > 0 ? static_cast<double>(posts) / seconds : 0; }
  [[nodiscard]] double mb_per_second() const {
    return seconds > 0 ? static_cast<double>(line_bytes) / seconds / 1e6 : 0;
  }
  [[nodiscard]] bool extrapolated() const { return posts < of_posts; }
};

// Best of `repeat` passes of `pass`, which returns the count it found (used,
// so no work is optimised away, and checked equal between passes).
template <typename Pass>
double best_of(int repeat, Pass&& pass, std::uint64_t& found) {
  double best = 0;
  for (int i = 0; i < repeat; ++i) {
    const auto started = Clock::now();
    const std::uint64_t n = pass();
    const double took = seconds_since(started);
    if (i == 0 || took < best) best = took;
    if (i > 0 && n != found) {
      throw std::logic_error("passes disagree: " + std::to_string(n) + " vs " + std::to_string(found));
    }
    found = n;
  }
  return best;
}

// Per text: did any expression match? Hyperscan's (raw_scan) are the
// reference every other engine is compared with, text by text.
using Verdicts = std::vector<std::uint8_t>;

// Runs `match_one` over texts [first, end) once, stopping early (at least one
// text) when `budget` seconds have gone. Returns where it stopped.
template <typename MatchOne>
std::size_t one_pass(const Corpus& corpus, std::size_t first, std::size_t end, double budget, MatchOne& match_one,
                     Verdicts& verdicts, double& seconds) {
  const auto started = Clock::now();
  std::size_t i = first;
  while (i < end) {
    verdicts[i] = match_one(corpus.texts[i]) ? 1 : 0;
    ++i;
    if ((i & 15U) == 0 && seconds_since(started) > budget) break;
  }
  seconds = seconds_since(started);
  return i;
}

void account(Figure& figure, const Corpus& corpus, std::size_t first, std::size_t end, const Verdicts& verdicts,
             const Verdicts* reference) {
  figure.first_post = first;
  figure.posts = end - first;
  figure.of_posts = corpus.texts.size();
  figure.matched = 0;
  if (reference != nullptr) figure.disagreements = 0;
  for (std::size_t i = first; i < end; ++i) {
    figure.line_bytes += corpus.line_bytes[i];
    figure.text_bytes += corpus.texts[i].size();
    figure.matched += verdicts[i];
    if (reference != nullptr && verdicts[i] != (*reference)[i]) ++figure.disagreements;
  }
}

// Engines without memory of earlier texts (Hyperscan, PCRE2): the first pass
// runs until `budget` seconds have gone, the further passes over the same
// texts, and the best pass counts. When the budget cut the first pass short,
// the rate of that prefix stands for the whole corpus: fair only because the
// corpus is uniform (make_corpus.py spreads everything evenly).
template <typename MatchOne>
Figure measure_texts(std::string name, const Corpus& corpus, int repeat, double budget, MatchOne&& match_one,
                     Verdicts& verdicts, const Verdicts* reference) {
  Figure figure;
  figure.name = std::move(name);
  verdicts.assign(corpus.texts.size(), 0);
  double seconds = 0;
  const std::size_t end = one_pass(corpus, 0, corpus.texts.size(), budget, match_one, verdicts, seconds);
  figure.seconds = seconds;
  const Verdicts first_verdicts = verdicts;
  for (int pass = 1; pass < repeat; ++pass) {
    one_pass(corpus, 0, end, 1e300, match_one, verdicts, seconds);
    if (verdicts != first_verdicts) throw std::logic_error(figure.name + ": passes disagree");
    figure.seconds = std::min(figure.seconds, seconds);
  }
  figure.passes = static_cast<std::uint64_t>(repeat);
  account(figure, corpus, 0, end, verdicts, reference);
  if (figure.extrapolated()) figure.method = "the first " + std::to_string(end) + " posts, best of the passes";
  return figure;
}

// RE2 builds its DFA lazily, state by state, and keeps the states for later
// texts: passes over the same texts again would measure that cache, not the
// engine on a stream, where no text comes twice. So it warms up on the first
// texts (until half the corpus or `budget` seconds), then matches the texts
// after those once each, until the corpus ends or `budget` more seconds have
// gone. One pass, and only texts it has not seen.
template <typename MatchOne>
Figure measure_unseen(std::string name, const Corpus& corpus, double budget, MatchOne&& match_one, Verdicts& verdicts,
                      const Verdicts* reference, double& warm_up_rate) {
  Figure figure;
  figure.name = std::move(name);
  verdicts.assign(corpus.texts.size(), 0);
  double seconds = 0;
  const std::size_t warmed = one_pass(corpus, 0, corpus.texts.size() / 2, budget, match_one, verdicts, seconds);
  warm_up_rate = seconds > 0 ? static_cast<double>(warmed) / seconds : 0;
  const std::size_t end = one_pass(corpus, warmed, corpus.texts.size(), budget, match_one, verdicts, seconds);
  figure.seconds = seconds;
  figure.passes = 1;
  account(figure, corpus, warmed, end, verdicts, reference);
  figure.method = "one pass over posts " + std::to_string(warmed + 1) + "-" + std::to_string(end) +
                  ", unseen, after a warm-up on the " + std::to_string(warmed) + " before them";
  return figure;
}

// pipeline: what the stream does per Kafka message (StreamProcessor::
// process_batch): parse_copy (a message is not a padded buffer), the public
// filter, normalise, scan and evaluate (PostProcessor::process), and the
// alert JSON of every alert. Kafka itself is left out.
Figure measure_pipeline(const Corpus& corpus, const std::shared_ptr<const PatternSet>& set, int repeat) {
  PostParser parser;
  PostProcessor processor;
  Post post;
  ParseFailure failure;
  std::vector<Alert> alerts;
  std::string json;
  Figure figure;
  figure.name = "pipeline";
  figure.passes = static_cast<std::uint64_t>(repeat);
  figure.seconds = best_of(
      repeat,
      [&] {
        // Stamped once per pass, as the stream stamps once per batch.
        const std::string detected_at = format_rfc3339_ms(
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
                .count());
        std::uint64_t alert_count = 0;
        for (std::size_t i = 0; i < corpus.lines.size(); ++i) {
          if (parser.parse_copy(corpus.line(i), post, failure) != ParseOutcome::kPost) continue;
          alerts.clear();
          if (processor.process(set, post, detected_at, alerts) == PostVerdict::kDroppedNotPublic) continue;
          for (const Alert& alert : alerts) {
            json.clear();
            append_alert_json(alert, json);
            ++alert_count;
          }
        }
        return alert_count;
      },
      figure.matched);
  figure.posts = figure.of_posts = corpus.lines.size();
  for (const auto& line : corpus.lines) figure.line_bytes += line.length + 1;
  for (const auto& text : corpus.texts) figure.text_bytes += text.size();
  figure.note = std::to_string(figure.matched) + " alerts a pass";
  return figure;
}

// raw_parse: simdjson On-Demand over each line in place, reading only what
// the public filter and the scan need (visibility and text): the most a
// parser can do less than PostParser, which checks every field.
Figure measure_raw_parse(const Corpus& corpus, int repeat) {
  simdjson::ondemand::parser parser;
  Figure figure;
  figure.name = "raw_parse";
  figure.passes = static_cast<std::uint64_t>(repeat);
  figure.seconds = best_of(
      repeat,
      [&] {
        std::uint64_t public_texts = 0;
        for (std::size_t i = 0; i < corpus.lines.size(); ++i) {
          const std::string_view line = corpus.line(i);
          simdjson::ondemand::document doc;
          if (parser.iterate(line.data(), line.size(), corpus.capacity(i)).get(doc) != simdjson::SUCCESS) continue;
          std::string_view visibility;
          std::string_view text;
          if (doc["visibility"].get_string().get(visibility) != simdjson::SUCCESS || visibility != "public") continue;
          if (doc["text"].get_string().get(text) != simdjson::SUCCESS) continue;
          public_texts += text.empty() ? 0 : 1;
        }
        return public_texts;
      },
      figure.matched);
  figure.posts = figure.of_posts = corpus.lines.size();
  for (const auto& line : corpus.lines) figure.line_bytes += line.length + 1;
  for (const auto& text : corpus.texts) figure.text_bytes += text.size();
  figure.note = "visibility and text of each line";
  return figure;
}

struct CountingContext {
  std::uint64_t matches = 0;
};

int count_match(unsigned int /*id*/, unsigned long long /*from*/, unsigned long long /*to*/, unsigned int /*flags*/,
                void* context) {
  ++static_cast<CountingContext*>(context)->matches;
  return 0;  // keep scanning: the pipeline needs every match too
}

// raw_scan: hs_scan alone with the set's first database (every expression,
// without start tracking: the least any exact scan has to do), over the texts
// as they come (not normalised), with a callback that only counts.
Figure measure_raw_scan(const Corpus& corpus, const PatternSet& set, int repeat, Verdicts& verdicts) {
  hs_scratch_t* raw = nullptr;
  if (hs_alloc_scratch(set.database(), &raw) != HS_SUCCESS) throw std::runtime_error("hs_alloc_scratch failed");
  const HsScratch scratch(raw);
  std::uint64_t total_matches = 0;
  const auto scan_one = [&](const std::string& text) {
    CountingContext context;
    if (hs_scan(set.database(), text.data(), static_cast<unsigned int>(text.size()), 0, scratch.get(), count_match,
                &context) != HS_SUCCESS) {
      throw std::runtime_error("hs_scan failed");
    }
    total_matches += context.matches;
    return context.matches > 0;
  };
  Figure figure = measure_texts("raw_scan", corpus, repeat, 1e300, scan_one, verdicts, nullptr);
  figure.note = std::to_string(total_matches / figure.passes) + " matches a pass";
  return figure;
}

// scan: wachtpost's Scanner (match/scanner.hpp) alone over the same texts:
// the first database, whole-word checks and the start of every match.
Figure measure_scanner(const Corpus& corpus, const std::shared_ptr<const PatternSet>& set, int repeat) {
  Scanner scanner;
  std::vector<Hit> hits;
  std::uint64_t total_hits = 0;
  Verdicts verdicts;
  Figure figure = measure_texts(
      "scan", corpus, repeat, 1e300,
      [&](const std::string& text) {
        scanner.scan(set, text, hits);
        total_hits += hits.size();
        return !hits.empty();
      },
      verdicts, nullptr);  // whole words only: fewer texts may match than in raw_scan
  figure.note = std::to_string(total_hits / figure.passes) + " whole-word matches with their starts a pass";
  return figure;
}

// raw_scan_som: the same expressions in one database compiled with
// HS_FLAG_SOM_LEFTMOST, over the same texts: what finding every start in one
// scan costs (wachtpost did that before the two-step Scanner).
Figure measure_raw_scan_with_som(const Corpus& corpus, const std::vector<PeerExpression>& expressions,
                                 unsigned hs_flags, int repeat, const Verdicts& reference, double& compile_seconds) {
  std::vector<const char*> pointers;
  std::vector<unsigned> flags;
  std::vector<unsigned> ids;
  for (std::size_t i = 0; i < expressions.size(); ++i) {
    pointers.push_back(expressions[i].expression.c_str());
    flags.push_back(hs_flags | HS_FLAG_SOM_LEFTMOST);
    ids.push_back(static_cast<unsigned>(i));
  }
  const auto started = Clock::now();
  hs_database_t* raw_db = nullptr;
  hs_compile_error_t* raw_error = nullptr;
  if (hs_compile_multi(pointers.data(), flags.data(), ids.data(), static_cast<unsigned>(pointers.size()), HS_MODE_BLOCK,
                       nullptr, &raw_db, &raw_error) != HS_SUCCESS) {
    const std::string message = raw_error != nullptr ? raw_error->message : "unknown error";
    hs_free_compile_error(raw_error);
    throw std::runtime_error("Hyperscan compile with SOM failed: " + message);
  }
  const HsDatabase database(raw_db);
  compile_seconds = seconds_since(started);
  hs_scratch_t* raw = nullptr;
  if (hs_alloc_scratch(database.get(), &raw) != HS_SUCCESS) throw std::runtime_error("hs_alloc_scratch failed");
  const HsScratch scratch(raw);
  Verdicts verdicts;
  Figure figure = measure_texts(
      "raw_scan_som", corpus, repeat, 1e300,
      [&](const std::string& text) {
        CountingContext context;
        if (hs_scan(database.get(), text.data(), static_cast<unsigned int>(text.size()), 0, scratch.get(), count_match,
                    &context) != HS_SUCCESS) {
          throw std::runtime_error("hs_scan failed");
        }
        return context.matches > 0;
      },
      verdicts, &reference);
  figure.note = "not wachtpost's: every expression with HS_FLAG_SOM_LEFTMOST in one database";
  return figure;
}

// ------------------------------------------------------------------ RE2

struct Re2Peer {
  std::unique_ptr<RE2::Set> set;
  std::size_t used = 0;
  std::size_t skipped = 0;
  std::string first_refusal;
  double compile_seconds = 0;
};

// RE2 has no flag word: each expression's flags become an inline group.
std::string re2_expression(const PeerExpression& e) {
  std::string flags;
  if (e.caseless) flags += 'i';
  if (e.dotall) flags += 's';
  if (e.multiline) flags += 'm';
  return flags.empty() ? e.expression : "(?" + flags + ")(?:" + e.expression + ")";
}

Re2Peer build_re2(const std::vector<PeerExpression>& expressions, std::int64_t max_mem) {
  RE2::Options options;
  options.set_encoding(RE2::Options::EncodingUTF8);
  options.set_log_errors(false);
  // RE2's default budget (8 MiB) makes a set of thousands of expressions fall
  // back from the DFA over and over; a user of a large set raises it.
  options.set_max_mem(max_mem);
  Re2Peer peer;
  const auto started = Clock::now();
  peer.set = std::make_unique<RE2::Set>(options, RE2::UNANCHORED);
  for (const auto& e : expressions) {
    if (e.ucp) {  // RE2's \w and \b are ASCII only: it cannot say the same thing
      ++peer.skipped;
      continue;
    }
    std::string error;
    if (peer.set->Add(re2_expression(e), &error) < 0) {
      if (peer.first_refusal.empty()) peer.first_refusal = e.expression + ": " + error;
      ++peer.skipped;
      continue;
    }
    ++peer.used;
  }
  if (!peer.set->Compile()) throw std::runtime_error("RE2::Set::Compile ran out of memory");
  peer.compile_seconds = seconds_since(started);
  return peer;
}

// ----------------------------------------------------------------- PCRE2

struct Pcre2CodeDeleter {
  void operator()(pcre2_code* code) const { pcre2_code_free(code); }
};
struct Pcre2MatchDataDeleter {
  void operator()(pcre2_match_data* data) const { pcre2_match_data_free(data); }
};
struct Pcre2MatchContextDeleter {
  void operator()(pcre2_match_context* context) const { pcre2_match_context_free(context); }
};
struct Pcre2JitStackDeleter {
  void operator()(pcre2_jit_stack* stack) const { pcre2_jit_stack_free(stack); }
};
using Pcre2Code = std::unique_ptr<pcre2_code, Pcre2CodeDeleter>;
using Pcre2MatchData = std::unique_ptr<pcre2_match_data, Pcre2MatchDataDeleter>;
using Pcre2MatchContext = std::unique_ptr<pcre2_match_context, Pcre2MatchContextDeleter>;
using Pcre2JitStack = std::unique_ptr<pcre2_jit_stack, Pcre2JitStackDeleter>;

struct Pcre2Peer {
  std::vector<Pcre2Code> codes;
  Pcre2MatchData match_data;
  Pcre2MatchContext match_context;
  Pcre2JitStack jit_stack;
  std::size_t skipped = 0;
  std::string first_refusal;
  double compile_seconds = 0;
  std::uint64_t match_errors = 0;  // neither a match nor "no match" (JIT stack or match limit)
};

std::string pcre2_message(int code) {
  std::string text(256, '\0');
  const int length = pcre2_get_error_message(code, reinterpret_cast<PCRE2_UCHAR*>(text.data()), text.size());
  text.resize(length > 0 ? static_cast<std::size_t>(length) : 0);
  return text;
}

Pcre2Peer build_pcre2(const std::vector<PeerExpression>& expressions) {
  Pcre2Peer peer;
  const auto started = Clock::now();
  for (const auto& e : expressions) {
    std::uint32_t options = 0;
    if (e.utf8) options |= PCRE2_UTF;
    if (e.ucp) options |= PCRE2_UCP;
    if (e.caseless) options |= PCRE2_CASELESS;
    if (e.dotall) options |= PCRE2_DOTALL;
    if (e.multiline) options |= PCRE2_MULTILINE;
    int error = 0;
    PCRE2_SIZE offset = 0;
    Pcre2Code code(pcre2_compile(reinterpret_cast<PCRE2_SPTR>(e.expression.data()), e.expression.size(), options,
                                 &error, &offset, nullptr));
    if (!code) {
      if (peer.first_refusal.empty()) peer.first_refusal = e.expression + ": " + pcre2_message(error);
      ++peer.skipped;
      continue;
    }
    // pcre2_jit_match runs JIT code only; an expression the JIT refuses is
    // skipped rather than matched by the interpreter, so the figure is JIT's.
    if (const int rc = pcre2_jit_compile(code.get(), PCRE2_JIT_COMPLETE); rc != 0) {
      if (peer.first_refusal.empty()) peer.first_refusal = e.expression + ": JIT: " + pcre2_message(rc);
      ++peer.skipped;
      continue;
    }
    peer.codes.push_back(std::move(code));
  }
  peer.compile_seconds = seconds_since(started);
  // Only "does it match" is asked: one pair of offsets is enough.
  peer.match_data.reset(pcre2_match_data_create(1, nullptr));
  peer.match_context.reset(pcre2_match_context_create(nullptr));
  // The default 32 KiB JIT stack does for short posts, but backtracking
  // through the optional word gaps of the shipped expressions
  // ("([a-z0-9',@_ -]{1,42} )?") in a long post can exhaust it, which would
  // count as an error rather than an answer (errors are still counted).
  constexpr PCRE2_SIZE kJitStackFirst = PCRE2_SIZE{32} * 1024;
  constexpr PCRE2_SIZE kJitStackMost = PCRE2_SIZE{1024} * 1024;
  peer.jit_stack.reset(pcre2_jit_stack_create(kJitStackFirst, kJitStackMost, nullptr));
  if (!peer.match_data || !peer.match_context || !peer.jit_stack) throw std::runtime_error("PCRE2: out of memory");
  pcre2_jit_stack_assign(peer.match_context.get(), nullptr, peer.jit_stack.get());
  return peer;
}

// ------------------------------------------------------------------ output

std::string fixed(double value, int digits) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", digits, value);
  return buffer;
}

void export_expressions(const std::string& path, const std::vector<PeerExpression>& expressions) {
  std::string out;
  JsonWriter json(out);
  json.begin_array();
  for (const auto& e : expressions) {
    json.begin_object();
    json.field("expression", e.expression);
    json.field("kind", e.kind);
    json.key("caseless").boolean(e.caseless);
    json.key("dotall").boolean(e.dotall);
    json.key("multiline").boolean(e.multiline);
    json.key("utf8").boolean(e.utf8);
    json.key("ucp").boolean(e.ucp);
    json.end_object();
  }
  json.end_array();
  out += '\n';
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file.write(out.data(), static_cast<std::streamsize>(out.size()));
  if (!file) throw std::runtime_error(path + ": cannot be written");
}

void write_figure(JsonWriter& json, const Figure& f) {
  json.key(f.name).begin_object();
  json.key("posts_per_s").decimal(f.posts_per_second(), 1);
  json.key("mb_per_s").decimal(f.mb_per_second(), 3);
  json.key("best_seconds").decimal(f.seconds, 6);
  json.key("passes").number(static_cast<std::int64_t>(f.passes));
  json.key("posts_measured").number(static_cast<std::int64_t>(f.posts));
  json.key("line_bytes_measured").number(static_cast<std::int64_t>(f.line_bytes));
  json.key("text_bytes_measured").number(static_cast<std::int64_t>(f.text_bytes));
  if (f.passes > 0) {  // raw_limit is computed, not run
    json.key(f.name == "pipeline" ? "alerts" : "posts_matched").number(static_cast<std::int64_t>(f.matched));
  }
  json.key("extrapolated").boolean(f.extrapolated());
  if (f.extrapolated()) {
    json.field("extrapolation", "measured on " + std::to_string(f.posts) + " of " + std::to_string(f.of_posts) +
                                    " posts (" + f.method +
                                    "); the rate stands for the whole corpus, which is uniform");
  }
  if (f.disagreements >= 0) json.key("disagreements_with_hyperscan").number(f.disagreements);
  if (!f.note.empty()) json.field("note", f.note);
  json.end_object();
}

struct Options {
  std::string corpus;
  std::string patterns;
  std::string protected_file;
  std::string json_out;
  std::string export_file;
  int repeat = 3;
  double peer_seconds = 5;
  std::int64_t re2_max_mem_mib = 1024;
  bool pipeline_only = false;
};

int run(const Options& options) {
  const LoadedSet loaded = load_set(options.patterns, options.protected_file);
  const PatternSet& set = *loaded.set;
  const MemoryFigures after_load = memory_now();
  const std::vector<PeerExpression> expressions = peer_expressions(set, kSetHsFlags);
  if (!options.export_file.empty()) {
    export_expressions(options.export_file, expressions);
    std::cerr << "wachtpost_engine_bench: " << expressions.size() << " expressions written to " << options.export_file
              << '\n';
    if (options.corpus.empty()) return 0;
  }

  const Corpus corpus = load_corpus(options.corpus);
  if (corpus.texts.empty()) throw std::runtime_error(options.corpus + ": no public posts");
  std::uint64_t text_bytes = 0;
  for (const auto& text : corpus.texts) text_bytes += text.size();

  std::vector<Figure> figures;
  figures.push_back(measure_pipeline(corpus, loaded.set, options.repeat));
  if (options.pipeline_only) {  // for a profiler: nothing else in the samples
    std::cout << "pipeline " << fixed(figures[0].posts_per_second(), 0) << " posts/s\n";
    return 0;
  }
  figures.push_back(measure_raw_parse(corpus, options.repeat));
  Verdicts hyperscan_verdicts;
  figures.push_back(measure_raw_scan(corpus, set, options.repeat, hyperscan_verdicts));
  const Figure parse = figures[1];
  const Figure scan = figures[2];
  // Parse, then scan, one after the other on one core: their times per post add.
  Figure limit;
  limit.name = "raw_limit";
  limit.posts = limit.of_posts = parse.posts;
  limit.line_bytes = parse.line_bytes;
  limit.text_bytes = parse.text_bytes;
  limit.seconds = parse.seconds + scan.seconds;  // raw_scan always covers every public text
  limit.note = "1 / (1/raw_parse + 1/raw_scan)";
  figures.push_back(limit);
  figures.push_back(measure_scanner(corpus, loaded.set, options.repeat));
  double som_compile_seconds = 0;
  figures.push_back(measure_raw_scan_with_som(corpus, expressions, kSetHsFlags, options.repeat, hyperscan_verdicts,
                                              som_compile_seconds));

  const Re2Peer re2 = build_re2(expressions, options.re2_max_mem_mib * 1024 * 1024);
  std::vector<int> re2_hits;
  std::uint64_t re2_out_of_memory = 0;
  Verdicts peer_verdicts;
  double re2_warm_up_rate = 0;
  Figure re2_figure = measure_unseen(
      "re2_set", corpus, options.peer_seconds,
      [&](const std::string& t) {
        RE2::Set::ErrorInfo error{RE2::Set::kNoError};
        const bool matched = re2.set->Match(t, &re2_hits, &error);
        if (!matched && error.kind != RE2::Set::kNoError) ++re2_out_of_memory;
        return matched;
      },
      peer_verdicts, &hyperscan_verdicts, re2_warm_up_rate);
  re2_figure.note = std::to_string(re2.used) + " of " + std::to_string(expressions.size()) +
                    " expressions used; warm-up " + fixed(re2_warm_up_rate, 0) + " posts/s";
  if (re2_out_of_memory > 0) re2_figure.note += "; DFA out of memory " + std::to_string(re2_out_of_memory) + " times";
  figures.push_back(re2_figure);

  Pcre2Peer pcre2 = build_pcre2(expressions);
  Figure pcre2_figure = measure_texts(
      "pcre2_jit", corpus, options.repeat, options.peer_seconds,
      [&](const std::string& t) {
        bool any = false;
        for (const auto& code : pcre2.codes) {
          const int rc = pcre2_jit_match(code.get(), reinterpret_cast<PCRE2_SPTR>(t.data()), t.size(), 0, 0,
                                         pcre2.match_data.get(), pcre2.match_context.get());
          if (rc >= 0) {
            any = true;  // every expression is still tried: the caller wants all that match, as from a set
          } else if (rc != PCRE2_ERROR_NOMATCH) {
            ++pcre2.match_errors;
          }
        }
        return any;
      },
      peer_verdicts, &hyperscan_verdicts);
  pcre2_figure.note =
      std::to_string(pcre2.codes.size()) + " of " + std::to_string(expressions.size()) + " expressions used";
  if (pcre2.match_errors > 0) pcre2_figure.note += "; " + std::to_string(pcre2.match_errors) + " match errors";
  figures.push_back(pcre2_figure);
  const MemoryFigures at_end = memory_now();

  const Figure& pipeline = figures[0];
  const double ratio = pipeline.posts_per_second() / limit.posts_per_second();

  // The human table.
  std::ostringstream table;
  table << "corpus " << options.corpus << ": " << corpus.lines.size() << " posts, "
        << fixed(static_cast<double>(corpus.size) / 1e6, 2) << " MB (" << corpus.texts.size() << " public, texts "
        << fixed(static_cast<double>(text_bytes) / 1e6, 2) << " MB)\n";
  table << "set " << set.hash() << ": " << set.rules().size() << " rules, " << expressions.size()
        << " expressions, built in " << fixed(loaded.build_seconds, 2) << " s (no cache), database "
        << fixed(static_cast<double>(set.database_bytes()) / 1e6, 2) << " MB, RSS after loading "
        << fixed(static_cast<double>(after_load.rss_bytes) / 1e6, 1) << " MB (peak "
        << fixed(static_cast<double>(after_load.peak_bytes) / 1e6, 1) << " MB)\n";
  table << "one thread, best of " << options.repeat << " passes\n\n";
  char row[512];
  std::snprintf(row, sizeof row, "%-16s %12s %10s %10s  %s\n", "stage", "posts/s", "MB/s", "vs limit", "notes");
  table << row;
  for (const auto& f : figures) {
    std::string note = f.note;
    if (f.extrapolated()) note += "; " + f.method;
    if (f.disagreements > 0) note += "; differs from Hyperscan on " + std::to_string(f.disagreements) + " posts";
    std::snprintf(row, sizeof row, "%-16s %12.0f %10.2f %9.3fx  %s\n", f.name.c_str(), f.posts_per_second(),
                  f.mb_per_second(), f.posts_per_second() / limit.posts_per_second(), note.c_str());
    table << row;
  }
  table << "\npipeline / raw_limit = " << fixed(ratio, 3) << '\n';
  if (!re2.first_refusal.empty()) table << "RE2 refused first: " << re2.first_refusal << '\n';
  if (!pcre2.first_refusal.empty()) table << "PCRE2 refused first: " << pcre2.first_refusal << '\n';
  std::cout << table.str();

  if (!options.json_out.empty()) {
    std::string out;
    JsonWriter json(out);
    json.begin_object();
    json.key("corpus").begin_object();
    json.field("file", options.corpus);
    json.key("posts").number(static_cast<std::int64_t>(corpus.lines.size()));
    json.key("public_posts").number(static_cast<std::int64_t>(corpus.texts.size()));
    json.key("not_public").number(static_cast<std::int64_t>(corpus.not_public));
    json.key("rejected").number(static_cast<std::int64_t>(corpus.rejected));
    json.key("bytes").number(static_cast<std::int64_t>(corpus.size));
    json.key("text_bytes").number(static_cast<std::int64_t>(text_bytes));
    json.end_object();
    json.key("set").begin_object();
    json.field("patterns", options.patterns.empty() ? std::string("<embedded>") : options.patterns);
    json.field("protected", options.protected_file);
    json.field("hash", set.hash());
    json.key("rules").number(static_cast<std::int64_t>(set.rules().size()));
    json.key("expressions").number(static_cast<std::int64_t>(expressions.size()));
    json.key("build_seconds").decimal(loaded.build_seconds, 3);
    json.key("database_bytes").number(static_cast<std::int64_t>(set.database_bytes()));
    json.key("hs_compile_with_som_seconds").decimal(som_compile_seconds, 3);
    json.key("rss_after_load_bytes").number(static_cast<std::int64_t>(after_load.rss_bytes));
    json.key("peak_rss_after_load_bytes").number(static_cast<std::int64_t>(after_load.peak_bytes));
    json.key("peak_rss_at_end_bytes").number(static_cast<std::int64_t>(at_end.peak_bytes));
    json.end_object();
    json.key("repeat").number(options.repeat);
    json.key("threads").number(1);
    json.key("results").begin_object();
    for (const auto& f : figures) write_figure(json, f);
    json.end_object();
    json.key("ratio_pipeline_to_raw_limit").decimal(ratio, 4);
    json.key("re2").begin_object();
    json.key("expressions_used").number(static_cast<std::int64_t>(re2.used));
    json.key("expressions_skipped").number(static_cast<std::int64_t>(re2.skipped));
    json.field("first_refusal", re2.first_refusal);
    json.key("compile_seconds").decimal(re2.compile_seconds, 3);
    json.key("max_mem_bytes").number(options.re2_max_mem_mib * 1024 * 1024);
    json.key("dfa_out_of_memory").number(static_cast<std::int64_t>(re2_out_of_memory));
    json.end_object();
    json.key("pcre2").begin_object();
    json.key("expressions_used").number(static_cast<std::int64_t>(pcre2.codes.size()));
    json.key("expressions_skipped").number(static_cast<std::int64_t>(pcre2.skipped));
    json.field("first_refusal", pcre2.first_refusal);
    json.key("compile_seconds").decimal(pcre2.compile_seconds, 3);
    json.key("match_errors").number(static_cast<std::int64_t>(pcre2.match_errors));
    json.end_object();
    json.end_object();
    out += '\n';
    std::ofstream file(options.json_out, std::ios::binary | std::ios::trunc);
    file.write(out.data(), static_cast<std::streamsize>(out.size()));
    if (!file) throw std::runtime_error(options.json_out + ": cannot be written");
  }
  return 0;
}

int parse_and_run(int argc, char** argv) {
  Options options;
  CLI::App app{"wachtpost's scan pipeline beside the raw parse and scan limit and the RE2 and PCRE2 peers"};
  app.add_option("--corpus", options.corpus, "newline-delimited posts (bench/tools/make_corpus.py)");
  app.add_option("--patterns", options.patterns, "rule folder; default: the set embedded at build time");
  app.add_option("--protected", options.protected_file, "protected-person registry");
  app.add_option("--repeat", options.repeat, "passes per stage; the best counts")->check(CLI::Range(1, 1000));
  app.add_option("--peer-seconds", options.peer_seconds,
                 "time a slow peer gets for its first pass; it is then measured on the posts it got through")
      ->check(CLI::PositiveNumber);
  app.add_option("--re2-max-mem", options.re2_max_mem_mib, "RE2::Set memory budget in MiB")
      ->check(CLI::Range(1, 1 << 20));
  app.add_option("--json", options.json_out, "write all figures as one JSON object to this file");
  app.add_option("--export-expressions", options.export_file,
                 "write the set's expressions and flags as a JSON list (for bench/peers/python_re.py)");
  app.add_flag("--pipeline-only", options.pipeline_only, "measure the pipeline alone (to profile it)");
  CLI11_PARSE(app, argc, argv);
  if (options.corpus.empty() && options.export_file.empty()) {
    std::cerr << "wachtpost_engine_bench: --corpus is required (unless only --export-expressions)\n";
    return 2;
  }
  return run(options);
}

}  // namespace
}  // namespace wachtpost::bench

int main(int argc, char** argv) {
  try {
    return wachtpost::bench::parse_and_run(argc, argv);
  } catch (const wachtpost::PatternSetError& e) {
    for (const auto& problem : e.problems()) std::cerr << "wachtpost_engine_bench: " << problem << '\n';
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "wachtpost_engine_bench: " << e.what() << '\n';
    return 1;
  }
}
