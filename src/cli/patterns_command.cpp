#include "cli/patterns_command.hpp"

#include <algorithm>
#include <ostream>

#include "cli/cli.hpp"
#include "normalize/normalizer.hpp"
#include "rules/rule_evaluator.hpp"
#include "runtime/post_processor.hpp"

namespace wachtpost {

namespace {

constexpr std::size_t kMinExamples = 2;

std::shared_ptr<const PatternSet> load_or_report(const PatternSetLocation& location, std::ostream& err) {
  try {
    return load_pattern_set(location);
  } catch (const PatternSetError& e) {
    for (const auto& problem : e.problems()) err << problem << '\n';
    err << e.problems().size() << " problem(s); the pattern set is refused\n";
  }
  return nullptr;
}

// Runs `text` as a public post and says whether `rule_index` fired.
bool rule_fires(PostProcessor& processor, const std::shared_ptr<const PatternSet>& set, std::size_t rule_index,
                std::string_view text, std::vector<Alert>& alerts) {
  Post post;
  post.id = "example";
  post.platform = "example";
  post.url = "https://example.invalid/";
  post.created_at = "2000-01-01T00:00:00Z";
  post.visibility = "public";
  post.text = text;
  // Examples are written in their rule's language; say so, as a platform would.
  post.lang = set->rules()[rule_index].lang;
  alerts.clear();
  processor.process(set, post, "2000-01-01T00:00:00.000Z", alerts);
  const std::string& id = set->rules()[rule_index].id;
  return std::any_of(alerts.begin(), alerts.end(), [&](const Alert& a) { return a.rule == id; });
}

}  // namespace

int run_patterns_lint(const PatternSetLocation& location, std::ostream& out, std::ostream& err) {
  const auto set = load_or_report(location, err);
  if (!set) return kExitConfigError;
  std::size_t problems = 0;
  for (const auto& rule : set->rules()) {
    if (rule.positive_examples.size() < kMinExamples) {
      err << rule.where.str() << ": rule '" << rule.id << "': needs at least " << kMinExamples
          << " positive examples, has " << rule.positive_examples.size() << '\n';
      ++problems;
    }
    if (rule.negative_examples.size() < kMinExamples) {
      err << rule.where.str() << ": rule '" << rule.id << "': needs at least " << kMinExamples
          << " negative examples, has " << rule.negative_examples.size() << '\n';
      ++problems;
    }
  }
  for (const auto& notice : set->notices()) err << "note: " << notice << '\n';
  if (problems > 0) {
    err << problems << " problem(s)\n";
    return kExitConfigError;
  }
  out << "lint ok: " << describe(*set) << '\n';
  return kExitOk;
}

int run_patterns_test(const PatternSetLocation& location, std::ostream& out, std::ostream& err) {
  const auto set = load_or_report(location, err);
  if (!set) return kExitConfigError;
  PostProcessor processor;
  std::vector<Alert> alerts;
  std::size_t passed = 0;
  std::size_t failed = 0;
  for (std::size_t i = 0; i < set->rules().size(); ++i) {
    const ThreatRule& rule = set->rules()[i];
    for (const auto& example : rule.positive_examples) {
      if (rule_fires(processor, set, i, example.text, alerts)) {
        ++passed;
      } else {
        ++failed;
        err << example.where.str() << ": rule '" << rule.id << "': positive example raised no alert: \"" << example.text
            << "\"\n";
      }
    }
    for (const auto& example : rule.negative_examples) {
      if (!rule_fires(processor, set, i, example.text, alerts)) {
        ++passed;
      } else {
        ++failed;
        err << example.where.str() << ": rule '" << rule.id << "': negative example raised an alert: \"" << example.text
            << "\"\n";
      }
    }
  }
  out << "patterns test: " << passed << " passed, " << failed << " failed (" << set->rules().size() << " rules, "
      << set->hash() << ")\n";
  return failed == 0 ? kExitOk : kExitRejectedInput;
}

namespace {

std::string_view kind_name(PatternKind kind) {
  switch (kind) {
    case PatternKind::kThreat: return "threat";
    case PatternKind::kTarget: return "target";
    case PatternKind::kExclusion: return "exclusion";
    case PatternKind::kThreatPart: return "threat-part";
  }
  return "?";
}

std::string owner_name(const PatternSet& set, const PatternEntry& pattern) {
  switch (pattern.kind) {
    case PatternKind::kThreat: return set.rules()[pattern.owner].id;
    case PatternKind::kTarget: {
      const ProtectedTarget& target = set.targets()[pattern.owner];
      return target.person_id.empty() ? "role:" + target.role : "person:" + target.person_id;
    }
    case PatternKind::kExclusion: return set.exclusions()[pattern.owner].id;
    case PatternKind::kThreatPart:
      return set.rules()[set.patterns()[pattern.owner].owner].id + " part " + std::to_string(pattern.part + 1);
  }
  return {};
}

}  // namespace

int run_patterns_explain(const PatternSetLocation& location, std::string_view text, std::string_view lang,
                         std::ostream& out, std::ostream& err) {
  const auto set = load_or_report(location, err);
  if (!set) return kExitConfigError;
  Normalizer normalizer;
  NormalizedText normalized;
  normalizer.normalize(text, normalized);
  // The same readings the processor scans: as normalised, then stretched letters collapsed.
  std::vector<NormalizedText> readings{normalized};
  NormalizedText collapsed;
  Normalizer::for_each_further_reading(normalized, collapsed,
                                       [&](const NormalizedText& reading) { readings.push_back(reading); });
  Scanner scanner;
  RuleEvaluator evaluator;
  RuleEvaluation evaluation;
  std::vector<Hit> hits;
  for (const auto& reading : readings) {
    out << "normalised: \"" << reading.text << "\"\n";
    scanner.scan(set, reading.text, hits);
    for (const auto& hit : hits) {
      const PatternEntry& pattern = set->patterns()[hit.pattern];
      out << "  " << kind_name(pattern.kind) << ' ' << owner_name(*set, pattern) << " \""
          << std::string_view(reading.text).substr(hit.from, hit.to - hit.from) << "\" (" << pattern.where.str()
          << ")\n";
    }
    evaluator.evaluate(*set, reading.text, hits, lang, evaluation);
    for (std::size_t i = hits.size(); i < evaluation.hits.size(); ++i) {
      const Hit& hit = evaluation.hits[i];
      const PatternEntry& pattern = set->patterns()[hit.pattern];
      out << "  threat " << owner_name(*set, pattern) << " \""
          << std::string_view(reading.text).substr(hit.from, hit.to - hit.from) << "\" (sequence, "
          << pattern.where.str() << ")\n";
    }
    for (const auto& match : evaluation.matches) {
      const ThreatRule& rule = set->rules()[match.rule];
      out << "  ALERT " << rule.id << " rev " << rule.rev << " (" << rule.category << ", " << rule.where.str() << ")\n";
    }
    if (evaluation.matches.empty()) {
      out << "  no alert"
          << (evaluation.suppressed > 0
                  ? " (" + std::to_string(evaluation.suppressed) + " threat match(es) silenced by an exclusion)"
                  : std::string())
          << '\n';
    }
  }
  return kExitOk;
}

}  // namespace wachtpost
