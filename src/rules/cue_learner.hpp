#pragma once
// Learns the weights of a learned rule (rules/learned_cues.hpp) from labelled
// posts (tests/data/labelled/README.md): a logistic regression over the cues
// of each post, trained by stochastic gradient descent in a fixed order, so
// the same corpus gives the same weights.
//
// The threshold is not tuned on the posts the weights were fitted to: every
// labelled file is left out once, weighed by a model trained on the others,
// and the threshold is the lowest at which those left-out negatives stay
// within the false-alert budget. The left-out figures are reported, and they
// are what the rule does on a file nobody tuned it on.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace wachtpost {

struct LabelledPost {
  std::string text;
  bool is_public = true;
  bool alert = false;
  std::string category;  // for alert posts
  // Whether the post names a protected target. A learned rule weighs only
  // such posts, so only they are learned from and counted.
  bool names_target = true;
};

struct LabelledFile {
  std::string name;
  std::vector<LabelledPost> posts;
  // Learned from in every round but never left out or counted: examples
  // written to teach, not drawn like the posts the rule will weigh.
  bool teach_only = false;
};

// Reads one labelled NDJSON file, keeping posts of language `lang`.
// Throws std::runtime_error naming file:line on a line it cannot read.
LabelledFile read_labelled_file(const std::filesystem::path& path, const std::string& lang);

struct CueLearnerOptions {
  // Share of left-out threats a veto may silence (see CueModel::veto).
  double veto_budget = 0.002;
  std::uint32_t min_posts = 3;  // a cue seen in fewer training posts is left out
  double l2 = 1e-2;             // weight decay
  double rate = 0.1;            // step size
  int epochs = 15;
  double false_alert_budget = 0.02;  // on left-out negatives
  float min_weight = 0.01F;          // lighter cues are not written
};

struct LearnedCue {
  std::string cue;
  float weight = 0;
  std::string category;
};

struct CueModel {
  float bias = 0;
  float threshold = 0;
  // Below this score a written rule's alert is taken back: the words around
  // it are those of harmless posts ("as a junior lawyer ... killing me").
  // Set where at most `veto_budget` of the left-out threats score lower.
  float veto = 0;
  std::vector<LearnedCue> cues;  // sorted by cue
  // Leave-one-file-out figures at `threshold`, over the posts that name a
  // protected target (the others never reach the rule).
  double held_out_recall = 0;
  double held_out_false_alerts = 0;
  double held_out_vetoed_threats = 0;  // share of left-out threats scoring below `veto`
  std::size_t posts = 0;
  std::size_t files = 0;
};

// Needs at least two files (one is left out at a time).
CueModel learn_cues(const std::vector<LabelledFile>& files, const CueLearnerOptions& options = {});

}  // namespace wachtpost
