#include "cli/patterns_command.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <ostream>
#include <sstream>

#include "cli/cli.hpp"
#include "normalize/normalizer.hpp"
#include "rules/cue_learner.hpp"
#include "rules/rule_evaluator.hpp"
#include "runtime/example_check.hpp"
#include "runtime/post_processor.hpp"

namespace wachtpost {

namespace {

constexpr std::size_t kMinExamples = 2;

std::string number(double value, int decimals) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
  return buffer;
}

std::shared_ptr<const PatternSet> load_or_report(const PatternSetLocation& location, std::ostream& err) {
  try {
    return load_pattern_set(location);
  } catch (const PatternSetError& e) {
    for (const auto& problem : e.problems()) err << problem << '\n';
    err << e.problems().size() << " problem(s); the pattern set is refused\n";
  }
  return nullptr;
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

int run_patterns_test(const PatternSetLocation& location, const PatternsTestOptions& options, std::ostream& out,
                      std::ostream& err) {
  const auto set = load_or_report(location, err);
  if (!set) return kExitConfigError;
  const ExampleCheck check = check_examples(set);
  for (const auto& failure : check.failures) err << failure << '\n';
  out << "patterns test: " << check.passed << " passed, " << check.failures.size() << " failed (" << set->rules().size()
      << " rules, " << set->hash() << ")\n";
  bool corpus_passed = true;
  if (!options.corpus.empty()) {
    const CorpusCheck corpus = check_corpus(set, options.corpus, options.min_recall, options.max_false_alerts);
    for (const auto& failure : corpus.failures) err << failure << '\n';
    char line[200];
    std::snprintf(line, sizeof line,
                  "labelled corpus: recall %.3f (%llu of %llu threats, bar %.2f), false alerts %.3f (%llu of %llu "
                  "harmless posts, bar %.2f)\n",
                  corpus.recall(), static_cast<unsigned long long>(corpus.found),
                  static_cast<unsigned long long>(corpus.threats), options.min_recall, corpus.false_alert_share(),
                  static_cast<unsigned long long>(corpus.false_alerts),
                  static_cast<unsigned long long>(corpus.harmless), options.max_false_alerts);
    out << line;
    corpus_passed = corpus.failures.empty();
  }
  return check.failures.empty() && corpus_passed ? kExitOk : kExitRejectedInput;
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
    for (const auto& learned : set->learned()) {
      if (!lang.empty() && learned.lang != lang) continue;
      const ThreatRule& rule = set->rules()[learned.rule];
      out << "  learned " << rule.id << " score " << number(evaluator.learned_score(learned, reading.text), 2)
          << " (alerts at " << number(learned.threshold, 2) << " where no written rule fired; below "
          << number(learned.veto, 2) << " takes back the written rules' alerts)\n";
    }
    for (const auto& match : evaluation.matches) {
      const ThreatRule& rule = set->rules()[match.rule];
      const std::string_view category =
          match.category >= 0 ? kCategories[static_cast<std::size_t>(match.category)] : rule.category;
      out << "  ALERT " << rule.id << " rev " << rule.rev << " (" << category << ", " << rule.where.str() << ")\n";
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

namespace {

// YAML single-quoted scalar: any text but a line break, quotes doubled.
std::string yaml_quoted(std::string_view text) {
  std::string out = "'";
  for (const char c : text) {
    out += c;
    if (c == '\'') out += '\'';
  }
  return out + "'";
}

}  // namespace

int run_patterns_learn(const LearnOptions& options, std::ostream& out, std::ostream& err) {
  // What an operator wrote stays: id, description, severity, examples; rev
  // goes up when the learned part changes.
  std::string id = options.lang + ".learned.cues";
  std::string description =
      "Learned cues: words and word pairs that weigh towards a threat, in a post that names a protected target and "
      "that no written rule fired on; for review";
  std::string severity = "low";
  int rev = 1;
  std::string examples;
  std::string previous_body;
  if (std::ifstream existing(options.out); existing) {
    std::stringstream text;
    text << existing.rdbuf();
    const std::string content = text.str();
    try {
      const YAML::Node learned = YAML::Load(content)["learned"];
      if (learned) {
        if (learned["id"]) id = learned["id"].Scalar();
        if (learned["description"]) description = learned["description"].Scalar();
        if (learned["severity"]) severity = learned["severity"].Scalar();
        if (learned["rev"]) rev = learned["rev"].as<int>();
      }
    } catch (const YAML::Exception& e) {
      err << options.out << ":" << e.mark.line + 1 << ": " << e.msg << '\n';
      return kExitConfigError;
    }
    // Examples are copied as written, comments and all.
    const auto begin = content.find("\n  examples:\n");
    const auto end = content.find("\n  cues:\n");
    if (begin != std::string::npos && end != std::string::npos && begin < end) {
      examples = content.substr(begin + 1, end - begin);
    }
    const auto body = content.find("\n  bias:");
    if (body != std::string::npos) previous_body = content.substr(body);
  }

  const auto set = load_or_report(options.patterns, err);
  if (!set) return kExitConfigError;
  Normalizer normalizer;
  NormalizedText normalized;
  Scanner scanner;
  std::vector<Hit> hits;
  // The learned rule weighs only posts that name a protected target.
  auto mark_targets = [&](LabelledFile& file) {
    for (auto& post : file.posts) {
      normalizer.normalize(post.text, normalized);
      scanner.scan(set, normalized.text, hits);
      post.names_target = std::any_of(hits.begin(), hits.end(), [&](const Hit& hit) {
        const PatternEntry& entry = set->patterns()[hit.pattern];
        return entry.kind == PatternKind::kTarget && !entry.bare_surname;
      });
    }
  };
  std::vector<LabelledFile> files;
  try {
    for (const auto& path : options.corpus) {
      auto file = read_labelled_file(path, options.lang);
      mark_targets(file);
      if (!file.posts.empty()) files.push_back(std::move(file));
    }
    // The written rules' examples teach too, many of them the hard harmless
    // look-alikes operators wrote on purpose ("kill the bill"); written to
    // teach, they are learned from but never left out to set the threshold.
    // The learned rule's own examples stay out: they check it.
    LabelledFile examples_file{"rule examples", {}, true};
    for (const ThreatRule& rule : set->rules()) {
      if (rule.learned || rule.lang != options.lang) continue;
      for (const auto& example : rule.positive_examples) {
        examples_file.posts.push_back({example.text, true, true, rule.category, true});
      }
      for (const auto& example : rule.negative_examples) {
        examples_file.posts.push_back({example.text, true, false, {}, true});
      }
    }
    mark_targets(examples_file);
    if (!examples_file.posts.empty()) files.push_back(std::move(examples_file));
    CueLearnerOptions learner;
    learner.false_alert_budget = options.false_alert_budget;
    const CueModel model = learn_cues(files, learner);

    std::string body =
        "\n  bias: " + number(model.bias, 4) + "\n  threshold: " + number(model.threshold, 2) +
        "\n  veto: " + number(model.veto, 2) + "\n  trained_on: " +
        yaml_quoted(std::to_string(model.posts) + " labelled posts naming a protected target, in " +
                    std::to_string(model.files) + " files; each file left out once: recall " +
                    number(model.held_out_recall, 3) + ", false alerts " + number(model.held_out_false_alerts, 3) +
                    " at this threshold; " + number(model.held_out_vetoed_threats, 3) + " of threats below the veto") +
        "\n";
    std::string cues = "  cues:\n";
    for (const auto& cue : model.cues) {
      cues += "    " + yaml_quoted(cue.cue) + ": [" + number(cue.weight, 4) + ", " + cue.category + "]\n";
    }
    if (!previous_body.empty() && previous_body != body + examples + cues) ++rev;
    std::ofstream file(options.out);
    file << "# Written by `wachtpost patterns learn` from the labelled corpus: rerun it, do not edit the cues by\n"
         << "# hand. The id, description, severity and examples are kept across runs.\n"
         << "lang: " << options.lang << "\n"
         << "learned:\n"
         << "  id: " << id << "\n"
         << "  rev: " << rev << "\n"
         << "  description: " << yaml_quoted(description) << "\n"
         << "  author: wachtpost patterns learn\n"
         << "  severity: " << severity << body << examples << cues;
    if (!file) {
      err << options.out << ": cannot write\n";
      return kExitConfigError;
    }
    out << options.out << ": " << model.cues.size() << " cues from " << model.posts << " posts naming a target, in "
        << model.files << " files; threshold " << number(model.threshold, 2) << ", left-out recall "
        << number(model.held_out_recall, 3) << ", false alerts " << number(model.held_out_false_alerts, 3) << '\n';
  } catch (const std::exception& e) {
    err << e.what() << '\n';
    return kExitConfigError;
  }
  return kExitOk;
}

}  // namespace wachtpost
