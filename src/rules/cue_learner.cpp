#include "rules/cue_learner.hpp"

#include <simdjson.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <numeric>
#include <random>
#include <stdexcept>
#include <unordered_map>

#include "normalize/normalizer.hpp"
#include "rules/learned_cues.hpp"
#include "rules/rule.hpp"

namespace wachtpost {

LabelledFile read_labelled_file(const std::filesystem::path& path, const std::string& lang) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path.string() + ": cannot read");
  LabelledFile file{path.filename().string(), {}};
  simdjson::dom::parser parser;
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const std::string where = path.string() + ":" + std::to_string(number);
    simdjson::dom::element post;
    if (parser.parse(line).get(post) != simdjson::SUCCESS) throw std::runtime_error(where + ": not JSON");
    std::string_view post_lang;
    std::string_view text;
    std::string_view visibility;
    bool alert = false;
    if (post["lang"].get(post_lang) != simdjson::SUCCESS || post["text"].get(text) != simdjson::SUCCESS ||
        post["visibility"].get(visibility) != simdjson::SUCCESS ||
        post["expect"]["alert"].get(alert) != simdjson::SUCCESS) {
      throw std::runtime_error(where + ": needs lang, text, visibility and expect.alert");
    }
    if (post_lang != lang) continue;
    LabelledPost labelled{std::string(text), visibility == "public", alert, {}};
    std::string_view category;
    if (alert && post["expect"]["category"].get(category) == simdjson::SUCCESS) labelled.category = category;
    file.posts.push_back(std::move(labelled));
  }
  return file;
}

namespace {

// One post as the ids of its distinct cues.
struct Example {
  std::vector<std::uint32_t> cues;
  bool is_public = true;  // public and naming a protected target: the posts the rule weighs
  bool alert = false;
  std::uint8_t category = 0;
  std::size_t file = 0;
};

struct Vocabulary {
  std::unordered_map<std::string, std::uint32_t, StringHash, std::equal_to<>> ids;
  std::vector<std::string> cues;
};

std::vector<Example> featurise(const std::vector<LabelledFile>& files, Vocabulary& vocabulary) {
  Normalizer normalizer;
  NormalizedText normalized;
  std::string pair;
  std::vector<Example> examples;
  for (std::size_t f = 0; f < files.size(); ++f) {
    for (const LabelledPost& post : files[f].posts) {
      Example example;
      example.is_public = post.is_public && post.names_target;
      example.alert = post.alert;
      example.file = f;
      const auto category = std::find(std::begin(kCategories), std::end(kCategories), post.category);
      example.category =
          category == std::end(kCategories) ? 0 : static_cast<std::uint8_t>(category - std::begin(kCategories));
      normalizer.normalize(post.text, normalized);
      for_each_cue(normalized.text, pair, [&](std::string_view cue, std::uint32_t, std::uint32_t) {
        auto it = vocabulary.ids.find(cue);
        if (it == vocabulary.ids.end()) {
          it = vocabulary.ids.emplace(std::string(cue), static_cast<std::uint32_t>(vocabulary.cues.size())).first;
          vocabulary.cues.emplace_back(cue);
        }
        example.cues.push_back(it->second);
      });
      std::sort(example.cues.begin(), example.cues.end());
      example.cues.erase(std::unique(example.cues.begin(), example.cues.end()), example.cues.end());
      examples.push_back(std::move(example));
    }
  }
  return examples;
}

struct Weights {
  std::vector<double> w;
  std::vector<bool> used;  // seen in at least min_posts training posts
  double bias = 0;
  [[nodiscard]] double score(const Example& e) const {
    double z = bias;
    for (const auto c : e.cues) {
      if (used[c]) z += w[c];
    }
    return z;
  }
};

// Trains on the public examples outside file `left_out` (none: SIZE_MAX).
Weights train(const std::vector<Example>& examples, std::size_t vocabulary, std::size_t left_out,
              const CueLearnerOptions& options) {
  std::vector<std::size_t> order;
  std::vector<std::uint32_t> seen(vocabulary, 0);
  for (std::size_t i = 0; i < examples.size(); ++i) {
    if (!examples[i].is_public || examples[i].file == left_out) continue;
    order.push_back(i);
    for (const auto c : examples[i].cues) ++seen[c];
  }
  Weights weights{std::vector<double>(vocabulary, 0.0), std::vector<bool>(vocabulary, false), 0.0};
  for (std::size_t c = 0; c < vocabulary; ++c) weights.used[c] = seen[c] >= options.min_posts;
  for (int epoch = 0; epoch < options.epochs; ++epoch) {
    std::mt19937 random(static_cast<std::mt19937::result_type>(epoch));
    std::shuffle(order.begin(), order.end(), random);
    for (const std::size_t i : order) {
      const Example& e = examples[i];
      const double z = std::clamp(weights.score(e), -30.0, 30.0);
      const double gradient = 1.0 / (1.0 + std::exp(-z)) - (e.alert ? 1.0 : 0.0);
      weights.bias -= options.rate * gradient;
      for (const auto c : e.cues) {
        if (weights.used[c]) weights.w[c] -= options.rate * (gradient + options.l2 * weights.w[c]);
      }
    }
  }
  return weights;
}

}  // namespace

CueModel learn_cues(const std::vector<LabelledFile>& files, const CueLearnerOptions& options) {
  if (std::count_if(files.begin(), files.end(), [](const LabelledFile& f) { return !f.teach_only; }) < 2) {
    throw std::runtime_error("learning needs at least two labelled files (one is left out)");
  }
  Vocabulary vocabulary;
  const std::vector<Example> examples = featurise(files, vocabulary);
  const std::size_t size = vocabulary.cues.size();

  // Left-out scores; a post that is not public never alerts.
  std::vector<double> held_out(examples.size(), -HUGE_VAL);
  for (std::size_t f = 0; f < files.size(); ++f) {
    if (files[f].teach_only) continue;
    const Weights weights = train(examples, size, f, options);
    for (std::size_t i = 0; i < examples.size(); ++i) {
      if (examples[i].file == f && examples[i].is_public) held_out[i] = weights.score(examples[i]);
    }
  }
  auto counted = [&](const Example& e) { return e.is_public && !files[e.file].teach_only; };
  const auto positives = static_cast<double>(
      std::count_if(examples.begin(), examples.end(), [&](const Example& e) { return e.alert && counted(e); }));
  const auto negatives = static_cast<double>(
      std::count_if(examples.begin(), examples.end(), [&](const Example& e) { return !e.alert && counted(e); }));
  if (positives == 0 || negatives == 0) throw std::runtime_error("learning needs both threats and harmless posts");
  CueModel model;
  constexpr double kLowest = -2.0;
  constexpr double kHighest = 6.0;
  constexpr double kStep = 0.05;
  for (double threshold = kLowest; threshold <= kHighest + 1e-9; threshold += kStep) {
    double found = 0;
    double false_alerts = 0;
    for (std::size_t i = 0; i < examples.size(); ++i) {
      if (!counted(examples[i]) || held_out[i] < threshold) continue;
      (examples[i].alert ? found : false_alerts) += 1;
    }
    if (false_alerts / negatives <= options.false_alert_budget) {
      model.threshold = static_cast<float>(std::round(threshold * 100.0) / 100.0);
      model.held_out_recall = found / positives;
      model.held_out_false_alerts = false_alerts / negatives;
      break;
    }
  }

  std::vector<double> threat_scores;
  for (std::size_t i = 0; i < examples.size(); ++i) {
    if (examples[i].alert && counted(examples[i])) threat_scores.push_back(held_out[i]);
  }
  std::sort(threat_scores.begin(), threat_scores.end());
  const auto vetoed =
      static_cast<std::size_t>(std::floor(options.veto_budget * static_cast<double>(threat_scores.size())));
  model.veto = static_cast<float>(std::floor(threat_scores[vetoed] * 100.0) / 100.0);
  model.held_out_vetoed_threats = static_cast<double>(std::lower_bound(threat_scores.begin(), threat_scores.end(),
                                                                       static_cast<double>(model.veto)) -
                                                      threat_scores.begin()) /
                                  static_cast<double>(threat_scores.size());

  const Weights weights = train(examples, size, SIZE_MAX, options);
  model.bias = static_cast<float>(weights.bias);
  // A cue's category: the one it was seen with most among threats.
  // A cue's category: the one it is most typical of among threats (its share
  // of that category's posts), so "mijn" does not make every alert "family".
  std::vector<std::array<double, std::size(kCategories)>> by_category(size);
  std::array<double, std::size(kCategories)> per_category{};
  for (const Example& e : examples) {
    if (!e.alert) continue;
    per_category[e.category] += 1;
    for (const auto c : e.cues) by_category[c][e.category] += 1;
  }
  for (std::size_t c = 0; c < size; ++c) {
    if (!weights.used[c] || std::fabs(weights.w[c]) < options.min_weight) continue;
    auto share = by_category[c];
    for (std::size_t k = 0; k < share.size(); ++k) share[k] = per_category[k] > 0 ? share[k] / per_category[k] : 0;
    const auto category = static_cast<std::size_t>(std::max_element(share.begin(), share.end()) - share.begin());
    model.cues.push_back({vocabulary.cues[c], static_cast<float>(weights.w[c]), std::string(kCategories[category])});
  }
  std::sort(model.cues.begin(), model.cues.end(),
            [](const LearnedCue& a, const LearnedCue& b) { return a.cue < b.cue; });
  model.posts = static_cast<std::size_t>(positives + negatives);
  model.files = files.size();
  return model;
}

}  // namespace wachtpost
