#include "runtime/example_check.hpp"

#include <simdjson.h>

#include <algorithm>
#include <cstdio>
#include <fstream>

#include "ingest/post_parser.hpp"
#include "runtime/post_processor.hpp"

namespace wachtpost {

namespace {

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

ExampleCheck check_examples(const std::shared_ptr<const PatternSet>& set) {
  PostProcessor processor;
  std::vector<Alert> alerts;
  ExampleCheck check;
  for (std::size_t i = 0; i < set->rules().size(); ++i) {
    const ThreatRule& rule = set->rules()[i];
    for (const auto& example : rule.positive_examples) {
      if (rule_fires(processor, set, i, example.text, alerts)) {
        ++check.passed;
      } else {
        check.failures.push_back(example.where.str() + ": rule '" + rule.id +
                                 "': positive example raised no alert: \"" + example.text + "\"");
      }
    }
    for (const auto& example : rule.negative_examples) {
      if (!rule_fires(processor, set, i, example.text, alerts)) {
        ++check.passed;
      } else {
        check.failures.push_back(example.where.str() + ": rule '" + rule.id +
                                 "': negative example raised an alert: \"" + example.text + "\"");
      }
    }
  }
  return check;
}

CorpusCheck check_corpus(const std::shared_ptr<const PatternSet>& set, const std::vector<std::string>& files,
                         double min_recall, double max_false_alerts) {
  CorpusCheck check;
  PostParser parser;
  PostProcessor processor;
  Post post;
  ParseFailure failure;
  std::vector<Alert> alerts;
  simdjson::ondemand::parser labels;
  for (const auto& file : files) {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
      check.failures.push_back(file + ": cannot read the labelled corpus");
      continue;
    }
    std::string line;
    for (std::size_t number = 1; std::getline(in, line); ++number) {
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      const std::string where = file + ":" + std::to_string(number) + ": ";
      if (parser.parse_copy(line, post, failure) != ParseOutcome::kPost) {
        check.failures.push_back(where + "not a post (" + std::string(reject_reason_name(failure.reason)) +
                                 "): " + failure.detail);
        continue;
      }
      const simdjson::padded_string padded(line);
      simdjson::ondemand::document document;
      bool expected = false;
      if (labels.iterate(padded).get(document) != simdjson::SUCCESS ||
          document["expect"]["alert"].get(expected) != simdjson::SUCCESS) {
        check.failures.push_back(where + "no \"expect\": {\"alert\": true|false} label");
        continue;
      }
      alerts.clear();
      processor.process(set, post, "2000-01-01T00:00:00.000Z", alerts);
      if (expected) {
        ++check.threats;
        if (!alerts.empty()) ++check.found;
      } else {
        ++check.harmless;
        if (!alerts.empty()) ++check.false_alerts;
      }
    }
  }
  char figures[160];
  if (check.recall() < min_recall) {
    std::snprintf(figures, sizeof figures, "recall %.3f on the labelled corpus (%llu of %llu threats) is below %.3f",
                  check.recall(), static_cast<unsigned long long>(check.found),
                  static_cast<unsigned long long>(check.threats), min_recall);
    check.failures.emplace_back(figures);
  }
  if (check.false_alert_share() > max_false_alerts) {
    std::snprintf(figures, sizeof figures,
                  "false alerts %.3f on the labelled corpus (%llu of %llu harmless posts) are above %.3f",
                  check.false_alert_share(), static_cast<unsigned long long>(check.false_alerts),
                  static_cast<unsigned long long>(check.harmless), max_false_alerts);
    check.failures.emplace_back(figures);
  }
  return check;
}

}  // namespace wachtpost
