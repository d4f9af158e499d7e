#include "runtime/example_check.hpp"

#include <algorithm>

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

}  // namespace wachtpost
