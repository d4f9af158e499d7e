#include "rules/rule_evaluator.hpp"

#include <algorithm>
#include <array>
#include <bit>

namespace wachtpost {

std::uint32_t words_between(std::string_view text, std::uint32_t a_from, std::uint32_t a_to, std::uint32_t b_from,
                            std::uint32_t b_to) {
  std::uint32_t lo = 0;
  std::uint32_t hi = 0;
  if (a_to <= b_from) {
    lo = a_to;
    hi = b_from;
  } else if (b_to <= a_from) {
    lo = b_to;
    hi = a_from;
  } else {
    return 0;  // overlapping
  }
  std::uint32_t words = 0;
  for (std::uint32_t i = lo; i < hi && i < text.size(); ++i) {
    if (text[i] != ' ' && (i == 0 || text[i - 1] == ' ')) ++words;
  }
  return words;
}

void WordIndex::Positions::reset(std::size_t size) {
  bits_.assign(size / 64 + 1, 0);
  counts_.resize(bits_.size());
  total_ = 0;
}

void WordIndex::Positions::count() {
  std::uint32_t total = 0;
  for (std::size_t w = 0; w < bits_.size(); ++w) {
    counts_[w] = total;
    total += static_cast<std::uint32_t>(std::popcount(bits_[w]));
  }
  total_ = total;
}

std::uint32_t WordIndex::Positions::before(std::uint32_t at) const {
  const std::uint64_t below = (std::uint64_t{1} << (at % 64)) - 1;
  return counts_[at / 64] + static_cast<std::uint32_t>(std::popcount(bits_[at / 64] & below));
}

std::uint32_t WordIndex::Positions::nth(std::uint32_t n) const {
  const auto word = static_cast<std::size_t>(std::upper_bound(counts_.begin(), counts_.end(), n) - counts_.begin()) - 1;
  std::uint64_t bits = bits_[word];
  for (std::uint32_t skip = n - counts_[word]; skip > 0; --skip) bits &= bits - 1;
  return static_cast<std::uint32_t>(word * 64) + static_cast<std::uint32_t>(std::countr_zero(bits));
}

void WordIndex::build(std::string_view text) {
  text_ = text;
  const auto size = static_cast<std::uint32_t>(text.size());
  word_starts_.reset(size);
  sentence_marks_.reset(size);
  clause_marks_.reset(size);
  for (std::uint32_t i = 0; i < size; ++i) {
    const char c = text[i];
    if (c != ' ' && (i == 0 || text[i - 1] == ' ')) word_starts_.add(i);
    if (c == '.' || c == '!' || c == '?') {
      sentence_marks_.add(i);
      clause_marks_.add(i);
    } else if (c == ',' || c == ':' || c == ';') {
      clause_marks_.add(i);
    }
  }
  word_starts_.count();
  sentence_marks_.count();
  clause_marks_.count();
}

std::uint32_t WordIndex::in(const Positions& positions, std::uint32_t from, std::uint32_t to, std::uint32_t size) {
  to = std::min(to, size);
  return from >= to ? 0 : positions.before(to) - positions.before(from);
}

std::uint32_t WordIndex::words_in(std::uint32_t from, std::uint32_t to) const {
  return in(word_starts_, from, to, static_cast<std::uint32_t>(text_.size()));
}

std::uint32_t WordIndex::words_between(std::uint32_t a_from, std::uint32_t a_to, std::uint32_t b_from,
                                       std::uint32_t b_to) const {
  if (a_to <= b_from) return words_in(a_to, b_from);
  if (b_to <= a_from) return words_in(b_to, a_from);
  return 0;  // overlapping
}

bool WordIndex::sentence_break_in(std::uint32_t from, std::uint32_t to) const {
  return in(sentence_marks_, from, to, static_cast<std::uint32_t>(text_.size())) > 0;
}

bool WordIndex::clause_break_in(std::uint32_t from, std::uint32_t to) const {
  return in(clause_marks_, from, to, static_cast<std::uint32_t>(text_.size())) > 0;
}

std::pair<std::uint32_t, std::uint32_t> WordIndex::around(std::uint32_t from, std::uint32_t to,
                                                          std::uint32_t words) const {
  // A word before [from, to) with at most `words` word starts between its end
  // and `from` lies in a space-separated token starting at or after the
  // (words + 1)-th start before `from`; one after it, in a token starting at
  // or before the (words + 1)-th start from `to` on, which ends before the
  // start after that.
  const auto size = static_cast<std::uint32_t>(text_.size());
  const std::uint32_t before = word_starts_.before(std::min(from, size));
  const std::uint32_t after = word_starts_.before(std::min(to, size));
  const std::uint32_t begin = before > words ? word_starts_.nth(before - words - 1) : 0;
  const std::uint32_t end =
      std::uint64_t{after} + words + 1 < word_starts_.total() ? word_starts_.nth(after + words + 1) : size;
  return {begin, end};
}

namespace {

// "Mevrouw de minister, ...", "@sannebakker ...", "Geachte Kamerleden.": a
// post that opens by addressing a protected person or role speaks to them
// throughout, so a threat later in it points at them however far it is.
bool addresses_the_post(const WordIndex& index, const Hit& target) {
  constexpr std::uint32_t kMaxWordsBefore = 3;
  if (index.words_between(0, 0, target.from, target.to) > kMaxWordsBefore) return false;
  const std::string_view text = index.text();
  if (target.from < text.size() && text[target.from] == '@') return true;
  const std::size_t after = target.to;
  return after < text.size() && (text[after] == ',' || text[after] == ':' || text[after] == '.' || text[after] == '!');
}

// "shoot <target>": the target follows the threat words with at most
// kObjectWords words between and no punctuation ("shoot, the judge said").
bool is_object(const WordIndex& index, const Hit& threat, const Hit& target, ObjectTarget side) {
  const std::string_view text = index.text();
  const bool after = side == ObjectTarget::kAfter;
  if (after ? target.from < threat.to : target.to > threat.from) return false;
  // "end the mayor's career": the object is the career, not the mayor.
  if (after && target.to < text.size() && text[target.to] == '\'') return false;
  const std::uint32_t from = after ? threat.to : target.to;
  const std::uint32_t to = after ? target.from : threat.from;
  if (index.clause_break_in(from, to)) return false;
  return index.words_between(threat.from, threat.to, target.from, target.to) <= kObjectWords;
}

// "Jansen, je hebt ...", "Van Dam ik ga je ...": a name the post opens with
// and then speaks to (a comma or colon, or straight into "ik", "je", "you")
// is the person the post is for.
bool speaks_to(const WordIndex& index, const Hit& name) {
  constexpr std::uint32_t kMaxWordsBefore = 3;
  if (index.words_between(0, 0, name.from, name.to) > kMaxWordsBefore) return false;
  const std::string_view text = index.text();
  if (name.to < text.size() && (text[name.to] == ',' || text[name.to] == ':')) return true;
  if (name.to + 1 >= text.size() || text[name.to] != ' ') return false;
  std::size_t end = name.to + 1;
  while (end < text.size() && is_word_byte(text[end])) ++end;
  const std::string_view next = text.substr(name.to + 1, end - name.to - 1);
  constexpr std::string_view kSpeaking[] = {"ik", "we",  "wij",  "je",  "jij",  "u",      "ge", "gij",
                                            "i",  "i'm", "i'll", "you", "your", "you're", "ya"};
  return std::find(std::begin(kSpeaking), std::end(kSpeaking), next) != std::end(kSpeaking);
}

// A word that stands for someone the post has already named: "die rechter
// ... rij met de trekker over hem heen", "the mayor ... putting him on the
// floor". `object_only`: only the forms a verb takes as its object.
bool is_back_reference(std::string_view word, bool object_only) {
  constexpr std::string_view kObject[] = {"him", "her", "them", "hem", "haar", "hen", "hun", "'m", "ze", "d'r"};
  constexpr std::string_view kOther[] = {"he",         "his", "she", "hers", "they", "their", "himself", "herself",
                                         "themselves", "hij", "z'n", "zn",   "ie",   "zij",   "zichzelf"};
  if (std::find(std::begin(kObject), std::end(kObject), word) != std::end(kObject)) return true;
  return !object_only && std::find(std::begin(kOther), std::end(kOther), word) != std::end(kOther);
}

// "you", "je": the person the post speaks to, when it opens by addressing them.
bool is_second_person(std::string_view word) {
  constexpr std::string_view kYou[] = {"you", "ya",  "you're", "youre", "you'll", "your", "je",
                                       "jou", "jij", "u",      "ge",    "gij",    "jouw", "uw"};
  return std::find(std::begin(kYou), std::end(kYou), word) != std::end(kYou);
}

bool is_reference_byte(char c) {
  return is_word_byte(c) || c == '\'';
}

// Calls `visit(from, to)` for each word of the normalised text in [begin,
// end) (which start and end at word boundaries), apostrophes kept ("z'n",
// "'m"); stops at the first that returns true.
template <typename Visit>
bool any_word(std::string_view text, std::uint32_t begin, std::uint32_t end_of_range, Visit visit) {
  const auto size = std::min(static_cast<std::uint32_t>(text.size()), end_of_range);
  for (std::uint32_t i = begin; i < size;) {
    if (!is_reference_byte(text[i])) {
      ++i;
      continue;
    }
    std::uint32_t end = i;
    while (end < size && is_reference_byte(text[end])) ++end;
    if (visit(i, end)) return true;
    i = end;
  }
  return false;
}

bool role_allowed(const ThreatRule& rule, const ProtectedTarget& target) {
  if (rule.target_roles.empty()) return true;
  return std::find(rule.target_roles.begin(), rule.target_roles.end(), target.role) != rule.target_roles.end();
}

}  // namespace

void RuleEvaluator::evaluate(const PatternSet& set, std::string_view normalized, std::span<const Hit> hits,
                             std::string_view post_lang, RuleEvaluation& out) {
  out.clear();
  threats_.clear();
  targets_.clear();
  exclusions_.clear();
  parts_.clear();
  const auto patterns = set.patterns();
  for (std::uint32_t i = 0; i < hits.size(); ++i) {
    switch (patterns[hits[i].pattern].kind) {
      case PatternKind::kThreat: threats_.push_back(i); break;
      case PatternKind::kTarget: targets_.push_back(i); break;
      case PatternKind::kExclusion: exclusions_.push_back(i); break;
      case PatternKind::kThreatPart: parts_.push_back(i); break;
    }
  }
  // The common case: no protected target, or nothing that could threaten one.
  if (targets_.empty() || (threats_.empty() && parts_.empty() && set.learned().empty())) return;
  index_.build(normalized);
  drop_unsupported_surnames(set, hits);
  if (targets_.empty()) return;
  out.hits.assign(hits.begin(), hits.end());
  if (!parts_.empty()) join_sequences(set, out);
  if (!threats_.empty()) evaluate_threats(set, post_lang, out);
  if (!out.matches.empty()) {
    veto_written(set, normalized, post_lang, out);
  } else if (!set.learned().empty()) {
    // Only where no written rule fired: a learned rule adds reach, not a second alert.
    weigh_learned(set, normalized, post_lang, out);
  }
}

// A written rule fires on its words alone; the learned weights of the whole
// post are a second opinion. Where they fall below the veto (a score only
// about one threat in a hundred sinks to: "as a junior lawyer ... slowly
// killing me", "afgemaakt in de zittingszaal ... wat een pleidooi"), the
// post reads like the harmless ones and its alerts are taken back.
void RuleEvaluator::veto_written(const PatternSet& set, std::string_view normalized, std::string_view post_lang,
                                 RuleEvaluation& out) {
  if (post_lang.empty()) return;
  for (const LearnedCues& model : set.learned()) {
    if (model.lang != post_lang) continue;
    if (learned_score(model, normalized) < model.veto) {
      out.suppressed += static_cast<std::uint32_t>(out.matches.size());
      out.matches.clear();
    }
    return;
  }
}

void RuleEvaluator::evaluate_threats(const PatternSet& set, std::string_view post_lang, RuleEvaluation& out) {
  const auto patterns = set.patterns();
  find_quotes();
  const std::span<const Hit> hits = out.hits;
  chosen_targets_.clear();
  chosen_.assign(hits.size(), 0);

  // Group threat hits by rule, in text order within a rule.
  std::sort(threats_.begin(), threats_.end(), [&](std::uint32_t a, std::uint32_t b) {
    const auto ra = patterns[hits[a].pattern].owner;
    const auto rb = patterns[hits[b].pattern].owner;
    return ra != rb ? ra < rb : hits[a].from < hits[b].from;
  });

  const auto rules = set.rules();
  const auto all_targets = set.targets();
  const auto all_exclusions = set.exclusions();
  std::size_t run = 0;
  while (run < threats_.size()) {
    const std::uint32_t rule_index = patterns[hits[threats_[run]].pattern].owner;
    const ThreatRule& rule = rules[rule_index];
    const auto begin = static_cast<std::uint32_t>(out.hit_indices.size());
    for (const std::uint32_t t : chosen_targets_) chosen_[t] = 0;
    chosen_targets_.clear();
    std::size_t next = run;
    for (; next < threats_.size() && patterns[hits[threats_[next]].pattern].owner == rule_index; ++next) {
      const Hit& threat = hits[threats_[next]];
      const ObjectTarget object = patterns[threat.pattern].object;
      std::uint32_t referred = kNoTarget;  // a target named earlier, pointed at by a pronoun
      if (object != ObjectTarget::kNone && std::none_of(targets_.begin(), targets_.end(), [&](std::uint32_t t) {
            return role_allowed(rule, all_targets[patterns[hits[t].pattern].owner]) &&
                   is_object(index_, threat, hits[t], object);
          })) {
        referred = referred_target(set, hits, rule, threat, object);
        if (referred == kNoTarget) continue;
      }
      if (inside_quote(threat)) {
        ++out.suppressed;
        continue;
      }
      const bool excluded = std::any_of(exclusions_.begin(), exclusions_.end(), [&](std::uint32_t e) {
        const ExclusionContext& exclusion = all_exclusions[patterns[hits[e].pattern].owner];
        if (exclusion.only_rule >= 0 && static_cast<std::uint32_t>(exclusion.only_rule) != rule_index) return false;
        if (exclusion.scope == ExclusionContext::Scope::kPost) return true;
        // "zegt 'er is geen crisis'": a reporting verb before a quote reaches
        // what is inside that quote, not the writer's own words after it.
        if (const auto* quote = quote_opened_by(hits[e])) {
          return quote->first <= threat.from && threat.to <= quote->second;
        }
        const std::uint32_t reach =
            exclusion.window_words == ExclusionContext::kRuleWindow ? rule.window_words : exclusion.window_words;
        return index_.words_between(threat.from, threat.to, hits[e].from, hits[e].to) <= reach;
      });
      if (excluded) {
        ++out.suppressed;
        continue;
      }
      bool pointed = false;
      for (const std::uint32_t t : targets_) {
        const Hit& target = hits[t];
        if (!role_allowed(rule, all_targets[patterns[target.pattern].owner])) continue;
        if (index_.words_between(threat.from, threat.to, target.from, target.to) > rule.window_words &&
            !(target.to <= threat.from && addresses_the_post(index_, target))) {
          continue;
        }
        pointed = true;
        choose_target(t);
      }
      if (!pointed && referred == kNoTarget) referred = referred_target(set, hits, rule, threat, object);
      if (!pointed && referred != kNoTarget) {
        pointed = true;
        choose_target(referred);
      }
      if (pointed) out.hit_indices.push_back(threats_[next]);
    }
    if (out.hit_indices.size() > begin) {
      add_named_for_roles(set, hits);
      out.hit_indices.insert(out.hit_indices.end(), chosen_targets_.begin(), chosen_targets_.end());
      out.matches.push_back({rule_index, begin, static_cast<std::uint32_t>(out.hit_indices.size())});
    }
    run = next;
  }
  if (out.matches.size() > 1) drop_same_evidence(set, hits, post_lang, out);
}

// "Die rechter ... rij met de trekker over hem heen": past the rule's window,
// a pronoun near the threat (its object, for an object verb) still points at
// the nearest protected target named before it, at most kAntecedentWords
// words earlier; "you" points at a target the post opens by addressing.
std::uint32_t RuleEvaluator::referred_target(const PatternSet& set, std::span<const Hit> hits, const ThreatRule& rule,
                                             const Hit& threat, ObjectTarget object) const {
  constexpr std::uint32_t kAntecedentWords = 25;
  const auto patterns = set.patterns();
  const auto all_targets = set.targets();
  const std::string_view text = index_.text();
  // Only words near the threat can qualify; looking at no others keeps a
  // post of many threats from costing threats x text length.
  const auto [begin, end] =
      index_.around(threat.from, threat.to, object != ObjectTarget::kNone ? kObjectWords : rule.window_words);
  std::uint32_t found = kNoTarget;
  any_word(text, begin, end, [&](std::uint32_t from, std::uint32_t to) {
    const Hit word{threat.pattern, from, to};
    if (object != ObjectTarget::kNone ? !is_object(index_, threat, word, object)
                                      : index_.words_between(threat.from, threat.to, from, to) > rule.window_words) {
      return false;
    }
    const std::string_view w = text.substr(from, to - from);
    const bool you = is_second_person(w);
    if (!you && !is_back_reference(w, object != ObjectTarget::kNone)) return false;
    for (const std::uint32_t t : targets_) {
      const Hit& target = hits[t];
      if (target.to > from || !role_allowed(rule, all_targets[patterns[target.pattern].owner])) continue;
      if (you ? !(addresses_the_post(index_, target) || speaks_to(index_, target))
              : index_.words_between(target.from, target.to, from, to) > kAntecedentWords) {
        continue;
      }
      if (found == kNoTarget || hits[found].from < target.from) found = t;
    }
    return found != kNoTarget;
  });
  return found;
}

float RuleEvaluator::learned_score(const LearnedCues& model, std::string_view normalized) {
  float score = model.bias;
  cues_seen_.clear();
  for_each_cue(normalized, cue_pair_, [&](std::string_view cue, std::uint32_t, std::uint32_t) {
    const CueWeight* weight = model.find(cue);
    if (weight == nullptr || std::find(cues_seen_.begin(), cues_seen_.end(), weight) != cues_seen_.end()) return;
    cues_seen_.push_back(weight);
    score += weight->weight;
  });
  return score;
}

// Sums the learned weights of the post's cues (each once); at or above the
// threshold, the rule fires on every target of the post, with the heaviest
// cues that do not overlap as its evidence. With no language given, the
// language whose weights say most wins.
void RuleEvaluator::weigh_learned(const PatternSet& set, std::string_view normalized, std::string_view post_lang,
                                  RuleEvaluation& out) {
  constexpr std::size_t kEvidenceCues = 5;
  const LearnedCues* best = nullptr;
  float best_score = 0;
  for (const LearnedCues& model : set.learned()) {
    if (!post_lang.empty() && model.lang != post_lang) continue;
    const float score = learned_score(model, normalized);
    if (score >= model.threshold && (best == nullptr || score > best_score)) {
      best = &model;
      best_score = score;
    }
  }
  if (best == nullptr) return;
  std::array<float, std::size(kCategories)> by_category{};
  cues_seen_.clear();
  cues_.clear();
  for_each_cue(normalized, cue_pair_, [&](std::string_view cue, std::uint32_t from, std::uint32_t to) {
    const CueWeight* weight = best->find(cue);
    if (weight == nullptr || weight->weight <= 0 ||
        std::find(cues_seen_.begin(), cues_seen_.end(), weight) != cues_seen_.end()) {
      return;
    }
    cues_seen_.push_back(weight);
    cues_.push_back({from, to, weight->weight, weight->category});
  });
  std::stable_sort(cues_.begin(), cues_.end(),
                   [](const WeighedCue& a, const WeighedCue& b) { return a.weight > b.weight; });
  const auto begin = static_cast<std::uint32_t>(out.hit_indices.size());
  std::size_t shown = 0;
  const auto first_cue = static_cast<std::uint32_t>(out.hits.size());
  for (const WeighedCue& cue : cues_) {
    if (shown == kEvidenceCues) break;
    const bool overlaps = std::any_of(out.hits.begin() + first_cue, out.hits.end(),
                                      [&](const Hit& h) { return cue.from < h.to && h.from < cue.to; });
    if (overlaps) continue;
    out.hit_indices.push_back(static_cast<std::uint32_t>(out.hits.size()));
    out.hits.push_back({best->pattern, cue.from, cue.to});
    // The category is the one the cues shown as evidence point at, not the
    // many light ones ("mijn", "we") that ride along.
    by_category[cue.category] += cue.weight;
    ++shown;
  }
  out.hit_indices.insert(out.hit_indices.end(), targets_.begin(), targets_.end());
  const auto category =
      static_cast<std::int8_t>(std::max_element(by_category.begin(), by_category.end()) - by_category.begin());
  out.matches.push_back({best->rule, begin, static_cast<std::uint32_t>(out.hit_indices.size()), category, best_score});
}

// Quoted speech: a threat someone received, read or heard, passed on
// between quotation marks ("'I will hunt you down' — this is what MPs read
// every morning"). Short spans are scare quotes ("een 'ongelukje'") and a post
// that is all quote is somebody's own words, so both still count.
void RuleEvaluator::find_quotes() {
  const std::string_view text = index_.text();
  constexpr std::uint32_t kMinQuotedWords = 4;
  constexpr std::uint32_t kMinWordsOutside = 3;
  quotes_.clear();
  all_quotes_.clear();
  if (text.find_first_of("\"'\xe2\xc2") == std::string_view::npos) return;
  auto is_alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  const auto size = static_cast<std::uint32_t>(text.size());
  std::uint32_t open = UINT32_MAX;  // first byte inside the open quote
  char kind = 0;                    // '"', '\'' or 'u' for the typographic marks
  for (std::uint32_t i = 0; i < size; ++i) {
    const char c = text[i];
    std::uint32_t width = 1;
    char mark = 0;
    bool opens = false;
    bool closes = false;
    if (c == '"') {
      mark = '"';
      opens = closes = true;
    } else if (c == '\'') {
      mark = '\'';
      const bool before_ok = i == 0 || text[i - 1] == ' ' || text[i - 1] == '(' || text[i - 1] == ':';
      opens = before_ok && i + 1 < size && is_alnum(text[i + 1]);
      closes = i > 0 && text[i - 1] != ' ' && (i + 1 == size || !is_alnum(text[i + 1]));
    } else if (text.substr(i, 3) == "\u201c" || text.substr(i, 3) == "\u201e" || text.substr(i, 2) == "\u00ab") {
      mark = 'u';
      width = c == '\xc2' ? 2 : 3;
      opens = true;
      closes = text.substr(i, 3) == "\u201c";  // „...“ closes with the mark “...” opens with
    } else if (text.substr(i, 3) == "\u201d" || text.substr(i, 2) == "\u00bb") {
      mark = 'u';
      width = c == '\xc2' ? 2 : 3;
      closes = true;
    }
    if (mark == 0) continue;
    if (open != UINT32_MAX && mark == kind && closes) {
      all_quotes_.push_back({open, i});
      if (index_.words_between(open - 1, open, i, i + 1) + 1 >= kMinQuotedWords) quotes_.push_back({open, i});
      open = UINT32_MAX;
    } else if (open == UINT32_MAX && opens) {
      open = i + width;
      kind = mark;
    }
    i += width - 1;
  }
  std::uint32_t quoted = 0;
  for (const auto& [from, to] : quotes_) quoted += index_.words_between(from - 1, from, to, to + 1) + 1;
  const std::uint32_t total = index_.words_between(0, 0, size, size);
  if (total < quoted + kMinWordsOutside) quotes_.clear();
}

// Quotes are found left to right and never overlap, so both lists are sorted
// by their start and only the last quote starting at or before a position
// can hold it: a binary search, not a walk over every quote of the post.
namespace {
const std::pair<std::uint32_t, std::uint32_t>* last_starting_by(
    const std::vector<std::pair<std::uint32_t, std::uint32_t>>& quotes, std::uint32_t at) {
  const auto it = std::upper_bound(quotes.begin(), quotes.end(), at,
                                   [](std::uint32_t position, const auto& quote) { return position < quote.first; });
  return it == quotes.begin() ? nullptr : &*std::prev(it);
}
}  // namespace

const RuleEvaluator::Quote* RuleEvaluator::quote_opened_by(const Hit& hit) const {
  // The exclusion ends with the quote's opening mark, or with words inside
  // the quote: it was written about that quote ("zegt '", "wrote: \"").
  const Quote* quote = last_starting_by(all_quotes_, hit.to);
  return quote != nullptr && hit.from < quote->first && hit.to <= quote->second ? quote : nullptr;
}

bool RuleEvaluator::inside_quote(const Hit& hit) const {
  const Quote* quote = last_starting_by(quotes_, hit.from);
  return quote != nullptr && hit.to <= quote->second;
}

void RuleEvaluator::choose_target(std::uint32_t hit) {
  if (chosen_[hit] != 0) return;
  chosen_[hit] = 1;
  chosen_targets_.push_back(hit);
}

// "Rechter Jansen ... die rechter moet dood": a role word the threat points
// at refers to the person of that role the post names elsewhere, so the
// alert names them too.
void RuleEvaluator::add_named_for_roles(const PatternSet& set, std::span<const Hit> hits) {
  const auto patterns = set.patterns();
  const auto all_targets = set.targets();
  const std::size_t chosen = chosen_targets_.size();
  for (std::size_t c = 0; c < chosen; ++c) {
    const ProtectedTarget& role = all_targets[patterns[hits[chosen_targets_[c]].pattern].owner];
    if (!role.person_id.empty()) continue;
    for (const std::uint32_t t : targets_) {
      const ProtectedTarget& person = all_targets[patterns[hits[t].pattern].owner];
      if (person.person_id.empty() || person.role != role.role) continue;
      choose_target(t);
    }
  }
}

// A bare surname stays a target only when another target hit in the post
// names the same person, or is a role term of that person's role, or the
// post speaks to it, or threat words touch it.
void RuleEvaluator::drop_unsupported_surnames(const PatternSet& set, std::span<const Hit> hits) {
  const auto patterns = set.patterns();
  const auto all_targets = set.targets();
  std::erase_if(targets_, [&](std::uint32_t t) {
    const PatternEntry& entry = patterns[hits[t].pattern];
    if (!entry.bare_surname) return false;
    if (speaks_to(index_, hits[t])) return false;
    // "put Visser in the ground", "Bakker's kids go to that school": the
    // surname is what the threat's own words are about.
    const auto touches = [&](std::uint32_t h) {
      return index_.words_between(hits[h].from, hits[h].to, hits[t].from, hits[t].to) == 0;
    };
    const ProtectedTarget& person = all_targets[entry.owner];
    // ... unless another role's title stands right before it: "rechter Van
    // Dam" is a judge, not the mayor Van Dam.
    const bool other_title = std::any_of(targets_.begin(), targets_.end(), [&](std::uint32_t o) {
      const ProtectedTarget& title = all_targets[patterns[hits[o].pattern].owner];
      return title.person_id.empty() && title.role != person.role && hits[o].to <= hits[t].from &&
             index_.words_between(hits[o].from, hits[o].to, hits[t].from, hits[t].to) == 0;
    });
    if (!other_title && (std::any_of(threats_.begin(), threats_.end(), touches) ||
                         std::any_of(parts_.begin(), parts_.end(), touches))) {
      return false;
    }
    return std::none_of(hits.begin(), hits.end(), [&](const Hit& other) {
      const PatternEntry& other_entry = patterns[other.pattern];
      if (other_entry.kind != PatternKind::kTarget || other_entry.bare_surname) return false;
      const ProtectedTarget& target = all_targets[other_entry.owner];
      return other_entry.owner == entry.owner || (target.person_id.empty() && target.role == person.role);
    });
  });
}

// Finds each threat sequence whose parts occur in order, each part starting
// after the previous one ends, at most gap_words words later and in the same
// sentence; appends one hit per first part that starts such a chain.
void RuleEvaluator::join_sequences(const PatternSet& set, RuleEvaluation& out) {
  const auto patterns = set.patterns();
  std::sort(parts_.begin(), parts_.end(), [&](std::uint32_t a, std::uint32_t b) {
    const PatternEntry& pa = patterns[out.hits[a].pattern];
    const PatternEntry& pb = patterns[out.hits[b].pattern];
    if (pa.owner != pb.owner) return pa.owner < pb.owner;
    if (pa.part != pb.part) return pa.part < pb.part;
    return out.hits[a].from < out.hits[b].from;
  });
  std::size_t run = 0;
  while (run < parts_.size()) {
    const std::uint32_t sequence = patterns[out.hits[parts_[run]].pattern].owner;
    std::size_t next = run;
    while (next < parts_.size() && patterns[out.hits[parts_[next]].pattern].owner == sequence) ++next;
    const PatternEntry& entry = patterns[sequence];
    if (!entry.ordered) {
      join_unordered(set, sequence, run, next, out);
      run = next;
      continue;
    }
    for (std::size_t first = run; first < next && patterns[out.hits[parts_[first]].pattern].part == 0; ++first) {
      std::uint32_t end = out.hits[parts_[first]].to;
      std::uint8_t matched = 1;
      for (std::uint8_t part = 1; part < entry.parts; ++part) {
        bool found = false;
        for (std::size_t k = run; k < next; ++k) {
          const Hit& candidate = out.hits[parts_[k]];
          if (patterns[candidate.pattern].part != part || candidate.from < end) continue;
          if (index_.words_between(end - 1, end, candidate.from, candidate.to) > entry.gap_words ||
              index_.sentence_break_in(end, candidate.from)) {
            continue;
          }
          end = candidate.to;
          found = true;
          break;
        }
        if (!found) break;
        ++matched;
      }
      if (matched == entry.parts) {
        threats_.push_back(static_cast<std::uint32_t>(out.hits.size()));
        out.hits.push_back({sequence, out.hits[parts_[first]].from, end});
      }
    }
    run = next;
  }
}

// Co-occurrence: every part within gap_words words of a first-part hit, in
// any order; one hit spanning all of them per first-part hit that has them.
void RuleEvaluator::join_unordered(const PatternSet& set, std::uint32_t sequence, std::size_t run, std::size_t next,
                                   RuleEvaluation& out) {
  const auto patterns = set.patterns();
  const PatternEntry& entry = patterns[sequence];
  auto part_of = [&](std::size_t k) { return patterns[out.hits[parts_[k]].pattern].part; };
  for (std::size_t first = run; first < next && part_of(first) == 0; ++first) {
    const Hit anchor = out.hits[parts_[first]];
    std::uint32_t from = anchor.from;
    std::uint32_t to = anchor.to;
    std::uint8_t matched = 1;
    for (std::uint8_t part = 1; part < entry.parts; ++part) {
      for (std::size_t k = run; k < next; ++k) {
        const Hit& candidate = out.hits[parts_[k]];
        if (part_of(k) != part ||
            index_.words_between(anchor.from, anchor.to, candidate.from, candidate.to) > entry.gap_words) {
          continue;
        }
        from = std::min(from, candidate.from);
        to = std::max(to, candidate.to);
        ++matched;
        break;
      }
    }
    if (matched == entry.parts) {
      threats_.push_back(static_cast<std::uint32_t>(out.hits.size()));
      out.hits.push_back({sequence, from, to});
    }
  }
}

// Dutch and English rules share words ("molotov", "kill"); when rules of one
// category fire on overlapping threat words, the desk wants one alert: the
// rule in the post's language, else the first.
void RuleEvaluator::drop_same_evidence(const PatternSet& set, std::span<const Hit> hits, std::string_view post_lang,
                                       RuleEvaluation& out) const {
  const auto patterns = set.patterns();
  const auto rules = set.rules();
  auto shares_threat_words = [&](const RuleMatch& a, const RuleMatch& b) {
    for (std::uint32_t i = a.begin; i < a.end; ++i) {
      const Hit& x = hits[out.hit_indices[i]];
      if (patterns[x.pattern].kind == PatternKind::kTarget) continue;
      for (std::uint32_t j = b.begin; j < b.end; ++j) {
        const Hit& y = hits[out.hit_indices[j]];
        if (patterns[y.pattern].kind != PatternKind::kTarget && x.from < y.to && y.from < x.to) return true;
      }
    }
    return false;
  };
  constexpr std::uint32_t kDropped = UINT32_MAX;
  for (std::size_t i = 0; i < out.matches.size(); ++i) {
    for (std::size_t j = i + 1; j < out.matches.size(); ++j) {
      RuleMatch& a = out.matches[i];
      RuleMatch& b = out.matches[j];
      if (a.rule == kDropped || b.rule == kDropped) continue;
      if (rules[a.rule].category != rules[b.rule].category || rules[a.rule].lang == rules[b.rule].lang) continue;
      if (!shares_threat_words(a, b)) continue;
      const bool b_preferred = !post_lang.empty() && rules[b.rule].lang == post_lang && rules[a.rule].lang != post_lang;
      (b_preferred ? a : b).rule = kDropped;
    }
  }
  std::erase_if(out.matches, [](const RuleMatch& m) { return m.rule == kDropped; });
}

}  // namespace wachtpost
