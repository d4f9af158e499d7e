#include "runtime/post_processor.hpp"

#include <algorithm>
#include <cstdint>

namespace wachtpost {

PostProcessor::PostProcessor(PostProcessorOptions options)
    : options_(std::move(options)), normalizer_(options_.normalizer) {}

PostVerdict PostProcessor::process(const std::shared_ptr<const PatternSet>& set, const Post& post,
                                   std::string_view detected_at, std::vector<Alert>& alerts) {
  // The first and only thing looked at in a non-public post is its visibility.
  if (!post.is_public()) return PostVerdict::kDroppedNotPublic;

  normalizer_.normalize(post.text, normalized_);
  const std::size_t first_alert = alerts.size();
  suppressed_ = 0;
  last_scan_complete_ = true;
  evaluate_reading(set, post, normalized_, detected_at, first_alert, alerts);
  // Stretched letters get further readings, computed only when the text has a
  // squeezed run.
  Normalizer::for_each_further_reading(normalized_, collapsed_, [&](const NormalizedText& reading) {
    evaluate_reading(set, post, reading, detected_at, first_alert, alerts);
  });
  // A learned rule only weighs posts no written rule fired on, in any reading.
  const auto rules = set->rules();
  auto is_learned = [&](const Alert& a) {
    return std::any_of(rules.begin(), rules.end(), [&](const ThreatRule& r) { return r.learned && r.id == a.rule; });
  };
  const auto mine = alerts.begin() + static_cast<std::ptrdiff_t>(first_alert);
  if (std::any_of(mine, alerts.end(), is_learned) &&
      std::any_of(mine, alerts.end(), [&](const Alert& a) { return !is_learned(a); })) {
    alerts.erase(std::remove_if(mine, alerts.end(), is_learned), alerts.end());
  }
  return PostVerdict::kScanned;
}

void PostProcessor::evaluate_reading(const std::shared_ptr<const PatternSet>& set, const Post& post,
                                     const NormalizedText& reading, std::string_view detected_at,
                                     std::size_t first_alert, std::vector<Alert>& alerts) {
  last_scan_complete_ =
      scanner_.scan(set, reading.text, hits_, Scanner::Starts::kOnlyWithATarget) && last_scan_complete_;
  evaluator_.evaluate(*set, reading.text, hits_, post.lang, evaluation_);
  suppressed_ += evaluation_.suppressed;
  for (const auto& match : evaluation_.matches) {
    // A rule alerts once per post, whichever reading of the text it fired on.
    const std::string& rule_id = set->rules()[match.rule].id;
    const bool already = std::any_of(alerts.begin() + static_cast<std::ptrdiff_t>(first_alert), alerts.end(),
                                     [&](const Alert& a) { return a.rule == rule_id; });
    if (!already) alerts.push_back(build_alert(*set, match, post, reading, detected_at));
  }
}

Alert PostProcessor::build_alert(const PatternSet& set, const RuleMatch& match, const Post& post,
                                 const NormalizedText& reading, std::string_view detected_at) {
  const ThreatRule& rule = set.rules()[match.rule];
  Alert alert;
  alert.alert_id = make_alert_id(post.platform, post.id, rule.id, set.hash());
  alert.post_id = post.id;
  alert.platform = post.platform;
  alert.url = post.url;
  alert.created_at = post.created_at;
  alert.detected_at = detected_at;
  alert.lang = post.lang;
  alert.severity = rule.severity;
  alert.category =
      match.category >= 0 ? std::string(kCategories[static_cast<std::size_t>(match.category)]) : rule.category;
  alert.rule = rule.id;
  alert.rule_rev = rule.rev;
  alert.rule_description = rule.description;
  alert.pattern_set = set.hash();

  std::uint32_t evidence_from = UINT32_MAX;
  std::uint32_t evidence_to = 0;
  for (std::uint32_t i = match.begin; i < match.end; ++i) {
    const Hit& hit = evaluation_.hits[evaluation_.hit_indices[i]];
    const PatternEntry& pattern = set.patterns()[hit.pattern];
    const auto source = reading.to_source(hit.from, hit.to);
    const bool duplicate = std::any_of(alert.matches.begin(), alert.matches.end(), [&](const AlertMatch& m) {
      return m.start == source.begin && m.end == source.end;
    });
    if (!duplicate) {
      alert.matches.push_back({rule.id, pattern.kind == PatternKind::kThreat ? "threat" : "target", source.begin,
                               source.end, std::string(post.text.substr(source.begin, source.end - source.begin)),
                               source.steps});
    }
    evidence_from = std::min(evidence_from, source.begin);
    evidence_to = std::max(evidence_to, source.end);
    if (pattern.kind != PatternKind::kTarget) continue;
    const ProtectedTarget& target = set.targets()[pattern.owner];
    const bool known = std::any_of(alert.targets.begin(), alert.targets.end(), [&](const AlertTarget& t) {
      return t.id == target.person_id && t.role == target.role;
    });
    if (!known) alert.targets.push_back({target.person_id, target.name, target.role});
  }
  // A named person already says the role: "rechter Jansen" is one target, not two.
  // (Decided before erasing: remove_if moves elements while it runs.)
  named_roles_.clear();
  for (const auto& t : alert.targets) {
    if (!t.id.empty()) named_roles_.push_back(t.role);
  }
  std::erase_if(alert.targets, [&](const AlertTarget& t) {
    return t.id.empty() && std::find(named_roles_.begin(), named_roles_.end(), t.role) != named_roles_.end();
  });
  // Likewise the role word inside a matched name is not separate evidence.
  inner_targets_.assign(alert.matches.size(), false);
  for (std::size_t i = 0; i < alert.matches.size(); ++i) {
    const AlertMatch& m = alert.matches[i];
    inner_targets_[i] =
        m.kind == "target" && std::any_of(alert.matches.begin(), alert.matches.end(), [&](const AlertMatch& o) {
          return &o != &m && o.kind == "target" && o.start <= m.start && m.end <= o.end &&
                 (o.end - o.start) > (m.end - m.start);
        });
  }
  std::size_t kept = 0;
  for (std::size_t i = 0; i < alert.matches.size(); ++i) {
    if (inner_targets_[i]) continue;
    if (kept != i) alert.matches[kept] = std::move(alert.matches[i]);
    ++kept;
  }
  alert.matches.resize(kept);
  std::sort(alert.matches.begin(), alert.matches.end(), [](const AlertMatch& a, const AlertMatch& b) {
    return a.start != b.start ? a.start < b.start : a.end < b.end;
  });

  const auto excerpt = choose_excerpt(post.text, evidence_from, evidence_to, options_.excerpt_max_bytes);
  alert.excerpt = std::string(post.text.substr(excerpt.start, excerpt.length));
  alert.excerpt_start = excerpt.start;
  if (options_.pseudonymizer) {
    if (auto ref = options_.pseudonymizer->pseudonym(post.platform, post.author_id, post.created_ms)) {
      alert.author_ref = std::move(*ref);
    }
  }
  return alert;
}

}  // namespace wachtpost
