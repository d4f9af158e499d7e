// The YAML rule loader on arbitrary file content, once as a rule file beside
// a fixed targets file and once as the protected-person registry beside a
// fixed rule. build_pattern_set must either return a set or throw
// PatternSetError whose every problem names a file and line (the CLI and the
// reload gate catch nothing else). A set that builds is then run the way the
// reload gate runs it: its own examples, and the input itself as a post.

#include <simdjson.h>
#include <stdlib.h>  // mkdtemp

#include <cctype>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "alert_check.hpp"
#include "fuzz_check.hpp"
#include "match/pattern_loader.hpp"
#include "runtime/example_check.hpp"
#include "runtime/post_processor.hpp"

using namespace wachtpost;

namespace {

constexpr std::string_view kTargets =
    "lang: nl\n"
    "lexicon:\n"
    "  OBJ: 'hem|haar|die'\n"
    "targets:\n"
    "  - role: judge\n"
    "    terms: ['rechters?', 'judges?']\n"
    "    references: ['die rechtbank']\n"
    "  - role: minister\n"
    "    terms: ['ministers?']\n";

constexpr std::string_view kRule =
    "lang: nl\n"
    "rules:\n"
    "  - id: t.kill\n"
    "    rev: 1\n"
    "    description: kill\n"
    "    author: fuzz\n"
    "    category: death_threat\n"
    "    severity: critical\n"
    "    threat: ['afmaken', 'maak {OBJ} af']\n";

// Most mutations leave the expressions as they were (a description, an
// example, a number changed), so a database cache makes most builds skip
// Hyperscan's compile, the bulk of the time, and fuzzes the cache's loading.
std::unique_ptr<DatabaseCache> g_cache;

bool names_a_place(const std::string& problem) {
  for (const std::string_view file : {"fuzz.yaml:", "targets.yaml:", "rules.yaml:", "people.yaml:", "<pattern set>:"}) {
    if (!problem.starts_with(file)) continue;
    std::size_t i = file.size();
    const std::size_t digits = i;
    while (i < problem.size() && std::isdigit(static_cast<unsigned char>(problem[i])) != 0) ++i;
    return i > digits && problem.compare(i, 2, ": ") == 0;
  }
  return false;
}

void run_set(const std::shared_ptr<const PatternSet>& set, std::string_view input) {
  const ExampleCheck examples = check_examples(set);
  (void)examples;
  if (!simdjson::validate_utf8(input.data(), input.size())) return;
  static PostProcessor processor;
  std::vector<Alert> alerts;
  Post post;
  post.id = "f-1";
  post.platform = "x";
  post.url = "https://x.example/1";
  post.created_at = "2026-11-20T10:00:00Z";
  post.visibility = "public";
  post.text = input;
  for (const std::string_view lang : {"nl", ""}) {
    post.lang = lang;
    alerts.clear();
    processor.process(set, post, "2026-11-28T16:01:20.659Z", alerts);
    fuzz::check_alerts(*set, post, alerts, kExcerptMaxBytes);
  }
}

void build(std::vector<RuleSource> sources, std::optional<RuleSource> registry, std::string_view input) {
  std::shared_ptr<const PatternSet> set;
  try {
    set = build_pattern_set({sources, registry, "2026-11-28", g_cache.get()});
  } catch (const PatternSetError& e) {
    WACHTPOST_FUZZ_CHECK(!e.problems().empty());
    for (const auto& problem : e.problems()) {
      if (!names_a_place(problem)) std::fprintf(stderr, "problem without a place: %s\n", problem.c_str());
      WACHTPOST_FUZZ_CHECK(names_a_place(problem));
    }
    return;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "build_pattern_set threw something other than PatternSetError: %s\n", e.what());
    WACHTPOST_FUZZ_CHECK(false);
  }
  WACHTPOST_FUZZ_CHECK(set != nullptr && !set->rules().empty());
  run_set(set, input);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  std::string dir = (std::filesystem::temp_directory_path() / "wachtpost-fuzz-cache-XXXXXX").string();
  if (::mkdtemp(dir.data()) != nullptr) {
    g_cache = std::make_unique<DatabaseCache>(dir);
    static const std::string cleanup = dir;
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(cleanup, ec);
    });
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  build({{"fuzz.yaml", input}, {"targets.yaml", kTargets}}, std::nullopt, input);
  build({{"targets.yaml", kTargets}, {"rules.yaml", kRule}}, RuleSource{"people.yaml", input}, input);
  return 0;
}
