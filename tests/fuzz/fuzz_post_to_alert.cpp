// The whole path from a post line to alert JSON: parse, public-only filter,
// normalise, scan, evaluate, build and write alerts.
//
// Two readings of each input: as a post line (reaches the parser's refusals
// and odd-but-valid posts), and as the "text" of an otherwise valid post, so
// most inputs get past the JSON parser to the normaliser, scanner and rules.
//
// The rule set is compiled once: tests/fuzz/rules (small, compiles in well
// under a second) by default; WACHTPOST_FUZZ_PATTERNS=DIR takes a rule folder
// and WACHTPOST_FUZZ_PATTERNS=embedded the shipped set (about 30 s to compile
// uncached; the database cache of WACHTPOST_CACHE_DIR makes later runs quick).

#include <utf8proc.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "alert/alert.hpp"
#include "alert/json_writer.hpp"
#include "alert_check.hpp"
#include "fuzz_check.hpp"
#include "ingest/post_parser.hpp"
#include "match/pattern_loader.hpp"
#include "runtime/post_processor.hpp"

using namespace wachtpost;

namespace {

std::shared_ptr<const PatternSet> g_set;
std::unique_ptr<PostProcessor> g_processor;
std::unique_ptr<PostParser> g_parser;
constexpr std::string_view kDetectedAt = "2026-11-28T16:01:20.659Z";

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "fuzz_post_to_alert: cannot read %s\n", path.c_str());
    std::exit(2);
  }
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

std::shared_ptr<const PatternSet> load_set() {
  const char* chosen = std::getenv("WACHTPOST_FUZZ_PATTERNS");
  const std::string choice = chosen != nullptr ? chosen : "";
  const std::string registry_content = read_file(WACHTPOST_FUZZ_RULES_DIR "/protected.yaml");
  PatternSetInput input;
  input.registry = RuleSource{"protected.yaml", registry_content};
  const DatabaseCache cache = DatabaseCache::from_environment();
  if (choice == "embedded") {
    input.rule_sources = embedded_pattern_sources();
    input.cache = &cache;
    return build_pattern_set(input);
  }
  const LoadedSources sources = read_rule_directory(choice.empty() ? WACHTPOST_FUZZ_RULES_DIR : choice);
  const std::vector<RuleSource> views = sources.views();
  input.rule_sources = views;
  if (!choice.empty()) input.cache = &cache;
  return build_pattern_set(input);
}

void process(const Post& post) {
  static std::vector<Alert> alerts;
  static std::vector<Alert> again;
  alerts.clear();
  const PostVerdict verdict = g_processor->process(g_set, post, kDetectedAt, alerts);
  if (!post.is_public()) {
    WACHTPOST_FUZZ_CHECK(verdict == PostVerdict::kDroppedNotPublic && alerts.empty());
    return;
  }
  WACHTPOST_FUZZ_CHECK(verdict == PostVerdict::kScanned);
  fuzz::check_alerts(*g_set, post, alerts, kExcerptMaxBytes);
  // The processor reuses its buffers; the same post must give the same alerts.
  again.clear();
  g_processor->process(g_set, post, kDetectedAt, again);
  WACHTPOST_FUZZ_CHECK(again.size() == alerts.size());
  for (std::size_t i = 0; i < alerts.size(); ++i) {
    std::string first;
    std::string second;
    append_alert_json(alerts[i], first);
    append_alert_json(again[i], second);
    WACHTPOST_FUZZ_CHECK(first == second);
  }
}

// Bytes that are not UTF-8 become U+FFFD, as a producer's encoder would make
// them; otherwise most mutations would only reach the parser's UTF-8 check.
std::string as_utf8(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  const auto* data = reinterpret_cast<const utf8proc_uint8_t*>(bytes.data());
  std::size_t i = 0;
  while (i < bytes.size()) {
    utf8proc_int32_t cp = 0;
    const utf8proc_ssize_t length = utf8proc_iterate(data + i, static_cast<utf8proc_ssize_t>(bytes.size() - i), &cp);
    if (length <= 0) {
      out += "\xEF\xBF\xBD";
      ++i;
      continue;
    }
    out.append(bytes.substr(i, static_cast<std::size_t>(length)));
    i += static_cast<std::size_t>(length);
  }
  return out;
}

void process_as_text(std::string_view bytes) {
  const std::string text = as_utf8(bytes);
  if (!simdjson::validate_utf8(text.data(), text.size())) return;  // utf8proc is laxer than simdjson
  // The language decides which rules and learned weights apply; vary it.
  static constexpr std::string_view kLangs[] = {"nl", "en", ""};
  const std::string_view lang = kLangs[bytes.size() % 3];
  std::string line =
      R"({"id":"f-1","platform":"x","url":"https://x.example/i/web/status/1","created_at":"2026-11-20T10:00:00Z",)";
  if (!lang.empty()) line += R"("lang":")" + std::string(lang) + "\",";
  line += R"("visibility":"public","author":{"id":"u-1","handle":"h"},"text":)";
  append_json_string(line, text);
  line += '}';
  Post post;
  ParseFailure failure;
  // Whatever the text, a string the alert writer escaped must parse back to it.
  WACHTPOST_FUZZ_CHECK(g_parser->parse_copy(line, post, failure) == ParseOutcome::kPost);
  WACHTPOST_FUZZ_CHECK(post.text == text);
  process(post);
}

void process_as_line(std::string_view bytes) {
  Post post;
  ParseFailure failure;
  if (g_parser->parse_copy(bytes, post, failure) != ParseOutcome::kPost) return;
  process(post);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  try {
    g_set = load_set();
  } catch (const PatternSetError& e) {
    std::fprintf(stderr, "fuzz_post_to_alert: %s\n", e.what());
    std::exit(2);
  }
  PostProcessorOptions options;
  options.pseudonymizer = std::make_shared<const AuthorPseudonymizer>("fuzz-key-0123456789abcdef", 24);
  g_processor = std::make_unique<PostProcessor>(options);
  g_parser = std::make_unique<PostParser>();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  process_as_line(bytes);
  process_as_text(bytes);
  return 0;
}
