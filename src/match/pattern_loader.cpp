#include "match/pattern_loader.hpp"

#include <openssl/evp.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <fstream>
#include <future>
#include <map>
#include <set>
#include <sstream>

#include "alert/digest.hpp"
#include "match/scanner.hpp"
#include "normalize/normalizer.hpp"

namespace wachtpost {

namespace fs = std::filesystem;

namespace {

std::string join_problems(const std::vector<std::string>& problems) {
  std::string text = "pattern set refused:";
  for (const auto& p : problems) text += "\n  " + p;
  return text;
}

}  // namespace

PatternSetError::PatternSetError(std::vector<std::string> problems)
    : std::runtime_error(join_problems(problems)), problems_(std::move(problems)) {}

std::vector<RuleSource> LoadedSources::views() const {
  std::vector<RuleSource> out;
  out.reserve(names.size());
  for (std::size_t i = 0; i < names.size(); ++i) out.push_back({names[i], contents[i]});
  return out;
}

std::string utc_today() {
  const auto now = std::chrono::system_clock::now();
  const std::chrono::year_month_day ymd{std::chrono::floor<std::chrono::days>(now)};
  std::array<char, 16> buf{};
  std::snprintf(buf.data(), buf.size(), "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return buf.data();
}

LoadedSources read_rule_directory(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    throw PatternSetError({dir.string() + ": not a directory"});
  }
  std::vector<fs::path> files;
  for (auto it = fs::recursive_directory_iterator(dir); it != fs::recursive_directory_iterator(); ++it) {
    const fs::path rel = fs::relative(it->path(), dir);
    if (it->is_directory() && rel.filename() == "examples") {
      it.disable_recursion_pending();
      continue;
    }
    if (!it->is_regular_file()) continue;
    const auto ext = it->path().extension();
    if (ext != ".yaml" && ext != ".yml") continue;
    if (rel.filename().string().starts_with("protected")) continue;
    files.push_back(rel);
  }
  std::sort(files.begin(), files.end());
  LoadedSources out;
  for (const auto& rel : files) {
    std::ifstream in(dir / rel, std::ios::binary);
    if (!in) throw PatternSetError({(dir / rel).string() + ": cannot be read"});
    std::ostringstream content;
    content << in.rdbuf();
    out.names.push_back(rel.generic_string());
    out.contents.push_back(content.str());
  }
  if (out.names.empty()) throw PatternSetError({dir.string() + ": no rule files (*.yaml) found"});
  return out;
}

namespace {

// Collects problems with their place; building continues after a problem so
// that one run reports them all.
class Diagnostics {
 public:
  explicit Diagnostics(std::vector<std::string>& problems) : problems_(problems) {}
  void add(const SourceLocation& where, const std::string& message) {
    problems_.push_back(where.str() + ": " + message);
  }

 private:
  std::vector<std::string>& problems_;
};

SourceLocation where_of(std::string_view file, const YAML::Node& node, int fallback_line) {
  const int line = node.Mark().line >= 0 ? node.Mark().line + 1 : fallback_line;
  return {std::string(file), line};
}

// Reads the scalar `key` of a mapping. Missing or wrong shape is reported.
bool read_scalar(const YAML::Node& map, std::string_view key, const SourceLocation& where, Diagnostics& diag,
                 std::string& out, bool required, std::string_view what) {
  const YAML::Node node = map[std::string(key)];
  if (!node) {
    if (required) diag.add(where, std::string(what) + ": missing '" + std::string(key) + "'");
    return false;
  }
  if (!node.IsScalar()) {
    diag.add(where_of(where.file, node, where.line),
             std::string(what) + ": '" + std::string(key) + "' must be a single value");
    return false;
  }
  out = node.Scalar();
  return true;
}

// Reads a list of strings; a single string is accepted as a one-item list.
std::vector<std::pair<std::string, SourceLocation>> read_list(const YAML::Node& map, std::string_view key,
                                                              const SourceLocation& where, Diagnostics& diag,
                                                              std::string_view what) {
  std::vector<std::pair<std::string, SourceLocation>> out;
  const YAML::Node node = map[std::string(key)];
  if (!node) return out;
  if (node.IsScalar()) {
    out.emplace_back(node.Scalar(), where_of(where.file, node, where.line));
    return out;
  }
  if (!node.IsSequence()) {
    diag.add(where_of(where.file, node, where.line), std::string(what) + ": '" + std::string(key) + "' must be a list");
    return out;
  }
  for (const auto& item : node) {
    const SourceLocation item_where = where_of(where.file, item, where.line);
    if (!item.IsScalar()) {
      diag.add(item_where, std::string(what) + ": items of '" + std::string(key) + "' must be strings");
      continue;
    }
    out.emplace_back(item.Scalar(), item_where);
  }
  return out;
}

// Also refuses a key written twice: yaml-cpp keeps both and map["key"] reads
// the first, so a second `threat:` (or `rules:`) would be dropped silently.
void check_keys(const YAML::Node& map, std::initializer_list<std::string_view> allowed, const SourceLocation& where,
                Diagnostics& diag, std::string_view what) {
  std::map<std::string, int, std::less<>> seen;  // key -> line
  for (const auto& kv : map) {
    const std::string key = kv.first.Scalar();
    const SourceLocation at = where_of(where.file, kv.first, where.line);
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      diag.add(at, std::string(what) + ": unknown key '" + key + "'");
    } else if (const auto [first, inserted] = seen.emplace(key, at.line); !inserted) {
      diag.add(at, std::string(what) + ": duplicate key '" + key + "' (first at line " + std::to_string(first->second) +
                       ")");
    }
  }
}

// Escapes a literal term (a name, a handle) for Hyperscan. Whole-word
// matching is the scanner's job (see Scanner::scan), not the expression's.
std::string literal_expression(std::string_view term) {
  std::string out;
  for (const char c : term) {
    if (is_word_byte(c) || c == ' ' || static_cast<unsigned char>(c) >= 0x80) {
      out += c;
    } else {
      out += '\\';
      out += c;
    }
  }
  return out;
}

// "@" and any handle characters around the words of `name`, which may be
// written together or joined by "_" or ".".
std::string handle_expression(std::string_view name) {
  constexpr std::string_view kHandleChars = "[a-z0-9_.]*";
  std::string out = "@" + std::string(kHandleChars);
  for (const char c : name) {
    if (c == ' ') {
      out += "[_.]?";
    } else if (is_word_byte(c) || static_cast<unsigned char>(c) >= 0x80) {
      out += c;
    } else {
      out += '\\';
      out += c;
    }
  }
  return out + std::string(kHandleChars);
}

// Operator-written expressions match whole words or phrases of the normalised
// text. The scanner drops hits that start or end inside a word, which is what
// wrapping every expression in \b...\b did, at half the compile time and
// database size (word boundaries multiply Hyperscan's automata).
std::string word_expression(std::string_view expression) {
  return "(?:" + std::string(expression) + ")";
}

// The normalised text is lower case, so expressions are too; compiling them
// case-insensitive would double the work for nothing. Escapes (\S, \W, \x41)
// keep their capitals.
bool has_capital_letter(std::string_view expression) {
  for (std::size_t i = 0; i < expression.size(); ++i) {
    if (expression[i] == '\\') {
      ++i;
      continue;
    }
    if (expression[i] >= 'A' && expression[i] <= 'Z') return true;
  }
  return false;
}

// The `severity` and `examples` of a rule, written or learned.
void read_severity_and_examples(const YAML::Node& node, std::string_view file, const SourceLocation& where,
                                const std::string& what, ThreatRule& rule, Diagnostics& diag) {
  std::string text;
  if (read_scalar(node, "severity", where, diag, text, true, what)) {
    if (auto severity = parse_severity(text)) {
      rule.severity = *severity;
    } else {
      diag.add(where_of(file, node["severity"], where.line),
               what + ": severity must be critical, high, medium or low, not '" + text + "'");
    }
  }
  if (const auto examples = node["examples"]) {
    if (!examples.IsMap()) {
      diag.add(where_of(file, examples, where.line), what + ": 'examples' must have 'positive' and 'negative' lists");
    } else {
      check_keys(examples, {"positive", "negative"}, where_of(file, examples, where.line), diag, what + " examples");
      for (auto& [t, w] : read_list(examples, "positive", where, diag, what)) rule.positive_examples.push_back({t, w});
      for (auto& [t, w] : read_list(examples, "negative", where, diag, what)) rule.negative_examples.push_back({t, w});
    }
  }
}

struct Builder {
  std::vector<std::string> problems;
  Diagnostics diag{problems};
  std::vector<std::string> notices;
  std::vector<SourceLocation> expired;  // rules skipped as expired
  std::vector<ThreatRule> rules;
  std::vector<ProtectedTarget> targets;
  std::vector<ExclusionContext> exclusions;
  std::vector<PatternEntry> patterns;
  std::vector<LearnedCues> learned;
  std::set<std::string> rule_ids;
  std::set<std::string> exclusion_ids;
  std::set<std::string> person_ids;
  std::map<std::string, std::vector<std::string>> role_terms;  // role -> its term expressions
  struct LexiconEntry {
    std::string expression;
    SourceLocation where;
  };
  // lang -> name -> entry: word lists shared by every file of one language.
  std::map<std::string, std::map<std::string, LexiconEntry, std::less<>>> lexicons;
  std::string today;
  Normalizer normalizer;

  void add_pattern(PatternKind kind, std::size_t owner, std::string expression, SourceLocation where) {
    patterns.push_back({kind, static_cast<std::uint32_t>(owner), std::move(expression), std::move(where)});
  }

  void collect_lexicon(const RuleSource& source);
  void add_threat(std::size_t rule_index, const ThreatRule& rule, const std::string& expression,
                  const SourceLocation& where);
  std::string expand(std::string_view expression, const std::string& lang, const SourceLocation& where, int depth = 0);
  void load_rule_file(const RuleSource& source);
  void load_rule(const YAML::Node& node, std::string_view file, const std::string& file_lang);
  void load_learned(const YAML::Node& node, std::string_view file, const std::string& file_lang);
  void load_targets(const YAML::Node& list, std::string_view file, const std::string& file_lang);
  void load_exclusions(const YAML::Node& list, std::string_view file, const std::string& file_lang);
  void load_registry(const RuleSource& source);
  void add_titled_surname(const ProtectedTarget& person, std::size_t index, const SourceLocation& where,
                          bool surname_alone);
  void check_expressions();
  [[nodiscard]] std::vector<std::size_t> compiled_patterns(bool varying_width_only) const;
  [[nodiscard]] std::string compile_key(unsigned flags, const std::vector<std::size_t>& indices) const;
  HsDatabase compile(unsigned flags, const std::vector<std::size_t>& indices,
                     std::vector<std::string>& compile_problems) const;
  std::future<HsDatabase> database(unsigned flags, std::vector<std::size_t> indices, const DatabaseCache* cache,
                                   std::vector<std::string>& compile_problems, bool parallel) const;
};

bool is_lexicon_name(std::string_view name) {
  if (name.empty() || name.front() < 'A' || name.front() > 'Z') return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'; });
}

// First pass over a file: its `lexicon`, so expressions in any file of the
// language can use the entries whatever order the files load in.
void Builder::collect_lexicon(const RuleSource& source) {
  const std::string file(source.name);
  YAML::Node root;
  try {
    root = YAML::Load(std::string(source.content));
  } catch (const YAML::Exception&) {
    return;  // reported by load_rule_file
  }
  if (!root.IsMap() || !root["lexicon"]) return;
  const YAML::Node lexicon = root["lexicon"];
  const SourceLocation top{file, 1};
  if (!lexicon.IsMap()) {
    diag.add(where_of(file, lexicon, 1), "'lexicon' must map NAMES to expressions");
    return;
  }
  std::string lang;
  if (root["lang"] && root["lang"].IsScalar()) lang = root["lang"].Scalar();
  auto& entries = lexicons[lang];
  for (const auto& kv : lexicon) {
    const SourceLocation where = where_of(file, kv.first, 1);
    const std::string name = kv.first.Scalar();
    if (!is_lexicon_name(name)) {
      diag.add(where, "lexicon entry '" + name + "': names are upper case (A-Z, 0-9, _), starting with a letter");
      continue;
    }
    std::string expression;
    if (kv.second.IsScalar()) {
      expression = kv.second.Scalar();
    } else if (kv.second.IsSequence()) {
      for (const auto& item : kv.second) {
        if (!item.IsScalar()) {
          diag.add(where_of(file, item, where.line), "lexicon entry '" + name + "': items must be strings");
          continue;
        }
        expression += (expression.empty() ? "" : "|") + item.Scalar();
      }
    } else {
      diag.add(where, "lexicon entry '" + name + "': must be an expression or a list of them");
      continue;
    }
    if (expression.empty()) {
      diag.add(where, "lexicon entry '" + name + "': empty");
      continue;
    }
    const auto [it, inserted] = entries.try_emplace(name, LexiconEntry{expression, where});
    if (!inserted) {
      diag.add(where, "lexicon entry '" + name + "' is already defined at " + it->second.where.str());
    }
  }
}

// Replaces every {NAME} by its lexicon entry of `lang`, as a group. Hyperscan
// quantifiers ({2}, {1,30}) start with a digit, so they never look like a name.
std::string Builder::expand(std::string_view expression, const std::string& lang, const SourceLocation& where,
                            int depth) {
  constexpr int kMaxDepth = 8;
  std::string out;
  std::size_t i = 0;
  while (i < expression.size()) {
    const std::size_t open = expression.find('{', i);
    if (open == std::string_view::npos) break;
    const std::size_t close = expression.find('}', open);
    if (close == std::string_view::npos) break;
    const std::string_view name = expression.substr(open + 1, close - open - 1);
    out.append(expression.substr(i, open - i));
    i = close + 1;
    if (!is_lexicon_name(name)) {
      out.append(expression.substr(open, close + 1 - open));
      continue;
    }
    const auto entries = lexicons.find(lang);
    const auto entry = entries == lexicons.end() ? nullptr : [&]() -> const LexiconEntry* {
      const auto found = entries->second.find(name);
      return found == entries->second.end() ? nullptr : &found->second;
    }();
    if (entry == nullptr) {
      diag.add(where, "unknown lexicon entry {" + std::string(name) + "} for language '" + lang + "'");
      continue;
    }
    if (depth >= kMaxDepth) {
      diag.add(where, "lexicon entry {" + std::string(name) + "} nests too deep (a cycle?)");
      continue;
    }
    out += "(?:" + expand(entry->expression, lang, entry->where, depth + 1) + ")";
  }
  out.append(expression.substr(i));
  return out;
}

// " ... " splits a threat into a sequence of parts, each matched on its own
// and joined by the evaluator: reach by words, at no compile cost, where a
// regular-expression gap would have to be bounded in characters. " && " joins
// parts that must all occur near each other in any order, across sentences.
void Builder::add_threat(std::size_t rule_index, const ThreatRule& rule, const std::string& expression,
                         const SourceLocation& where) {
  constexpr std::size_t kMaxParts = 8;
  const bool ordered = expression.find(" ... ") != std::string::npos;
  const bool unordered = expression.find(" && ") != std::string::npos;
  if (ordered && unordered) {
    diag.add(where, "threat '" + expression + "': use either ' ... ' (in order) or ' && ' (in any order), not both");
    return;
  }
  constexpr std::string_view kObject = "<target>";
  if (!ordered && !unordered) {
    std::string_view body = expression;
    ObjectTarget object = ObjectTarget::kNone;
    if (body.starts_with(std::string(kObject) + " ")) {
      object = ObjectTarget::kBefore;
      body.remove_prefix(kObject.size() + 1);
    } else if (body.ends_with(" " + std::string(kObject))) {
      object = ObjectTarget::kAfter;
      body.remove_suffix(kObject.size() + 1);
    }
    if (body.find(kObject) != std::string_view::npos) {
      diag.add(where, "threat '" + expression + "': '<target>' stands only as the first or the last word");
      return;
    }
    add_pattern(PatternKind::kThreat, rule_index, word_expression(std::string(body)), where);
    patterns.back().object = object;
    return;
  }
  if (expression.find(kObject) != std::string::npos) {
    diag.add(where, "threat '" + expression + "': '<target>' is not allowed in a threat sequence");
    return;
  }
  const std::string_view kSeparator = ordered ? " ... " : " && ";
  std::vector<std::string> parts;
  std::size_t from = 0;
  while (true) {
    const std::size_t at = expression.find(kSeparator, from);
    parts.push_back(expression.substr(from, at == std::string::npos ? std::string::npos : at - from));
    if (at == std::string::npos) break;
    from = at + kSeparator.size();
  }
  if (parts.size() > kMaxParts ||
      std::any_of(parts.begin(), parts.end(), [](const std::string& p) { return p.empty(); })) {
    diag.add(where, "threat sequence '" + expression + "': 2 to " + std::to_string(kMaxParts) +
                        " non-empty parts joined by '" + std::string(kSeparator) + "'");
    return;
  }
  const auto sequence = static_cast<std::uint32_t>(patterns.size());
  add_pattern(PatternKind::kThreat, rule_index, std::string(), where);
  patterns.back().parts = static_cast<std::uint8_t>(parts.size());
  patterns.back().gap_words = static_cast<std::uint8_t>(std::min<std::uint32_t>(rule.gap_words, 100));
  patterns.back().ordered = ordered;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    add_pattern(PatternKind::kThreatPart, sequence, word_expression(parts[i]), where);
    patterns.back().part = static_cast<std::uint8_t>(i);
  }
}

void Builder::load_rule_file(const RuleSource& source) {
  const std::string file(source.name);
  YAML::Node root;
  try {
    root = YAML::Load(std::string(source.content));
  } catch (const YAML::Exception& e) {
    diag.add({file, e.mark.line + 1}, "invalid YAML: " + e.msg);
    return;
  }
  const SourceLocation top{file, 1};
  if (!root.IsMap()) {
    diag.add(top, "a rule file must be a mapping with 'rules', 'targets' or 'exclusions'");
    return;
  }
  check_keys(root, {"lang", "description", "lexicon", "rules", "targets", "exclusions", "learned"}, top, diag, "file");
  std::string file_lang;
  read_scalar(root, "lang", top, diag, file_lang, false, "file");
  if (const auto list = root["rules"]) {
    if (!list.IsSequence()) {
      diag.add(where_of(file, list, 1), "'rules' must be a list");
    } else {
      for (const auto& node : list) load_rule(node, file, file_lang);
    }
  }
  if (const auto list = root["targets"]) load_targets(list, file, file_lang);
  if (const auto list = root["exclusions"]) load_exclusions(list, file, file_lang);
  if (const auto node = root["learned"]) load_learned(node, file, file_lang);
}

// A learned rule (see rules/learned_cues.hpp), as `wachtpost patterns learn`
// writes it: the rule's metadata, bias, threshold and `cues:` mapping each
// word or word pair to [weight, category].
void Builder::load_learned(const YAML::Node& node, std::string_view file, const std::string& file_lang) {
  const SourceLocation where = where_of(file, node, 1);
  if (!node.IsMap()) {
    diag.add(where, "'learned' must be a mapping");
    return;
  }
  ThreatRule rule;
  rule.where = where;
  rule.learned = true;
  const std::size_t problems_before = problems.size();
  read_scalar(node, "id", where, diag, rule.id, true, "learned rule");
  const std::string what = rule.id.empty() ? std::string("learned rule") : "learned rule '" + rule.id + "'";
  check_keys(
      node,
      {"id", "rev", "description", "author", "severity", "bias", "threshold", "veto", "trained_on", "examples", "cues"},
      where, diag, what);
  if (!rule.id.empty() && !rule_ids.insert(rule.id).second) {
    diag.add(where, what + ": duplicate id (ids must be unique across the set)");
  }
  if (file_lang.empty()) diag.add(where, what + ": the file needs a 'lang'");
  rule.lang = file_lang;
  std::string text;
  auto read_number = [&](std::string_view key, auto& out, bool integer) {
    if (!read_scalar(node, key, where, diag, text, true, what)) return;
    try {
      std::size_t used = 0;
      if (integer) {
        out = static_cast<std::remove_reference_t<decltype(out)>>(std::stoi(text, &used));
      } else {
        out = static_cast<std::remove_reference_t<decltype(out)>>(std::stof(text, &used));
      }
      if (used != text.size()) throw std::invalid_argument(std::string(key));
    } catch (const std::exception&) {
      diag.add(where_of(file, node[std::string(key)], where.line),
               what + ": '" + std::string(key) + "' must be a number");
    }
  };
  read_number("rev", rule.rev, true);
  if (rule.rev < 1) diag.add(where, what + ": 'rev' must be a positive integer");
  LearnedCues cues;
  cues.lang = file_lang;
  read_number("bias", cues.bias, false);
  read_number("threshold", cues.threshold, false);
  if (node["veto"]) read_number("veto", cues.veto, false);
  read_scalar(node, "description", where, diag, rule.description, true, what);
  read_scalar(node, "author", where, diag, rule.author, true, what);
  read_severity_and_examples(node, file, where, what, rule, diag);
  const YAML::Node list = node["cues"];
  if (!list || !list.IsMap() || list.size() == 0) {
    diag.add(where, what + ": 'cues' must map words or word pairs to [weight, category]");
  } else {
    cues.weights.reserve(list.size());
    for (const auto& kv : list) {
      const SourceLocation cue_where = where_of(file, kv.first, where.line);
      const std::string cue = kv.first.Scalar();
      const YAML::Node value = kv.second;
      const auto category = value.IsSequence() && value.size() == 2 && value[1].IsScalar()
                                ? std::find(std::begin(kCategories), std::end(kCategories), value[1].Scalar())
                                : std::end(kCategories);
      float weight = 0;
      bool ok = category != std::end(kCategories) && value[0].IsScalar();
      if (ok) {
        try {
          std::size_t used = 0;
          weight = std::stof(value[0].Scalar(), &used);
          ok = used == value[0].Scalar().size();
        } catch (const std::exception&) {
          ok = false;
        }
      }
      if (!ok || cue.empty()) {
        diag.add(cue_where, what + ": cue '" + cue + "' must map to [weight, category] with a known category");
        continue;
      }
      const auto index = static_cast<std::uint8_t>(category - std::begin(kCategories));
      if (!cues.weights.try_emplace(cue, CueWeight{weight, index}).second) {
        diag.add(cue_where, what + ": cue '" + cue + "' is listed twice");
      }
    }
  }
  if (problems.size() != problems_before) return;
  cues.rule = static_cast<std::uint32_t>(rules.size());
  cues.pattern = static_cast<std::uint32_t>(patterns.size());
  // Evidence entry: never compiled; the evaluator points the cues it shows at it.
  add_pattern(PatternKind::kThreat, rules.size(), std::string(), where);
  rule.category = kCategories[0];  // a learned alert takes the category its cues point at
  rules.push_back(std::move(rule));
  learned.push_back(std::move(cues));
}

void Builder::load_rule(const YAML::Node& node, std::string_view file, const std::string& file_lang) {
  const SourceLocation where = where_of(file, node, 1);
  if (!node.IsMap()) {
    diag.add(where, "a rule must be a mapping");
    return;
  }
  ThreatRule rule;
  rule.where = where;
  const std::size_t problems_before = problems.size();
  read_scalar(node, "id", where, diag, rule.id, true, "rule");
  const std::string what = rule.id.empty() ? std::string("rule") : "rule '" + rule.id + "'";
  check_keys(node,
             {"id", "rev", "description", "author", "category", "severity", "lang", "expires", "targets", "window",
              "threat", "exclude", "exclude_window", "gap", "examples"},
             where, diag, what);
  if (!rule.id.empty() && !rule_ids.insert(rule.id).second) {
    diag.add(where, what + ": duplicate id (ids must be unique across the set)");
  }
  std::string text;
  if (read_scalar(node, "rev", where, diag, text, true, what)) {
    try {
      std::size_t used = 0;
      rule.rev = std::stoi(text, &used);
      if (used != text.size() || rule.rev < 1) throw std::invalid_argument("rev");
    } catch (const std::exception&) {
      diag.add(where_of(file, node["rev"], where.line), what + ": 'rev' must be a positive integer");
    }
  }
  read_scalar(node, "description", where, diag, rule.description, true, what);
  read_scalar(node, "author", where, diag, rule.author, true, what);
  if (read_scalar(node, "category", where, diag, rule.category, true, what) && !is_known_category(rule.category)) {
    diag.add(where_of(file, node["category"], where.line), what + ": unknown category '" + rule.category + "'");
  }
  read_severity_and_examples(node, file, where, what, rule, diag);
  rule.lang = file_lang;
  read_scalar(node, "lang", where, diag, rule.lang, file_lang.empty(), what);
  if (read_scalar(node, "expires", where, diag, rule.expires, false, what)) {
    const bool shape_ok = rule.expires.size() == 10 && rule.expires[4] == '-' && rule.expires[7] == '-';
    if (!shape_ok) diag.add(where_of(file, node["expires"], where.line), what + ": 'expires' must be YYYY-MM-DD");
  }
  for (const auto& [key, field] : {std::pair<const char*, std::uint32_t*>{"window", &rule.window_words},
                                   std::pair<const char*, std::uint32_t*>{"exclude_window", &rule.exclude_window},
                                   std::pair<const char*, std::uint32_t*>{"gap", &rule.gap_words}}) {
    if (!read_scalar(node, key, where, diag, text, false, what)) continue;
    try {
      std::size_t used = 0;
      const int words = std::stoi(text, &used);
      if (used != text.size() || words < 0 || words > 100) throw std::invalid_argument(key);
      *field = static_cast<std::uint32_t>(words);
    } catch (const std::exception&) {
      diag.add(where_of(file, node[key], where.line), what + ": '" + key + "' must be a word count from 0 to 100");
    }
  }
  for (auto& [role, role_where] : read_list(node, "targets", where, diag, what)) {
    if (role == "any") continue;
    if (!is_known_role(role)) {
      diag.add(role_where, what + ": unknown target role '" + role + "'");
      continue;
    }
    rule.target_roles.push_back(role);
  }
  const auto threats = read_list(node, "threat", where, diag, what);
  if (threats.empty()) diag.add(where, what + ": missing 'threat' (one or more expressions)");
  const auto excludes = read_list(node, "exclude", where, diag, what);
  if (problems.size() != problems_before) return;

  if (!rule.expires.empty() && !today.empty() && rule.expires < today) {
    notices.push_back(where.str() + ": rule '" + rule.id + "' expired on " + rule.expires + ", skipped");
    expired.push_back(where);
    return;
  }
  const std::size_t index = rules.size();
  for (const auto& [expression, expression_where] : threats) {
    add_threat(index, rule, expand(expression, rule.lang, expression_where), expression_where);
  }
  if (!excludes.empty()) {
    ExclusionContext own;
    own.id = rule.id + "/exclude";
    own.description = "exclusions of rule " + rule.id;
    own.lang = rule.lang;
    own.only_rule = static_cast<std::int32_t>(index);
    own.window_words = rule.exclude_window;
    own.where = where;
    for (const auto& [expression, expression_where] : excludes) {
      add_pattern(PatternKind::kExclusion, exclusions.size(),
                  word_expression(expand(expression, rule.lang, expression_where)), expression_where);
    }
    exclusions.push_back(std::move(own));
  }
  rules.push_back(std::move(rule));
}

void Builder::load_targets(const YAML::Node& list, std::string_view file, const std::string& file_lang) {
  if (!list.IsSequence()) {
    diag.add(where_of(file, list, 1), "'targets' must be a list");
    return;
  }
  for (const auto& node : list) {
    const SourceLocation where = where_of(file, node, 1);
    if (!node.IsMap()) {
      diag.add(where, "a target must be a mapping with 'role' and 'terms'");
      continue;
    }
    check_keys(node, {"role", "terms", "references", "description"}, where, diag, "target");
    ProtectedTarget target;
    if (!read_scalar(node, "role", where, diag, target.role, true, "target")) continue;
    if (!is_known_role(target.role)) {
      diag.add(where, "target: unknown role '" + target.role + "'");
      continue;
    }
    const auto terms = read_list(node, "terms", where, diag, "target '" + target.role + "'");
    if (terms.empty()) diag.add(where, "target '" + target.role + "': missing 'terms'");
    const std::size_t index = targets.size();
    for (const auto& [written, expression_where] : terms) {
      std::string expression = expand(written, file_lang, expression_where);
      add_pattern(PatternKind::kTarget, index, word_expression(expression), expression_where);
      role_terms[target.role].push_back(std::move(expression));
    }
    // Descriptions that point at someone of the role without being a title
    // ("gave my brother 14 years" is the judge): targets, but never put
    // before a surname to name a person.
    for (const auto& [written, expression_where] : read_list(node, "references", where, diag, "target")) {
      add_pattern(PatternKind::kTarget, index, word_expression(expand(written, file_lang, expression_where)),
                  expression_where);
    }
    targets.push_back(std::move(target));
  }
}

void Builder::load_exclusions(const YAML::Node& list, std::string_view file, const std::string& file_lang) {
  if (!list.IsSequence()) {
    diag.add(where_of(file, list, 1), "'exclusions' must be a list");
    return;
  }
  for (const auto& node : list) {
    const SourceLocation where = where_of(file, node, 1);
    if (!node.IsMap()) {
      diag.add(where, "an exclusion must be a mapping");
      continue;
    }
    ExclusionContext exclusion;
    exclusion.where = where;
    exclusion.lang = file_lang;
    read_scalar(node, "id", where, diag, exclusion.id, true, "exclusion");
    const std::string what = "exclusion '" + exclusion.id + "'";
    check_keys(node, {"id", "description", "scope", "lang", "patterns"}, where, diag, what);
    if (!exclusion.id.empty() && !exclusion_ids.insert(exclusion.id).second) {
      diag.add(where, what + ": duplicate id");
    }
    read_scalar(node, "description", where, diag, exclusion.description, true, what);
    read_scalar(node, "lang", where, diag, exclusion.lang, false, what);
    std::string scope = "window";
    read_scalar(node, "scope", where, diag, scope, false, what);
    if (scope == "post") {
      exclusion.scope = ExclusionContext::Scope::kPost;
    } else if (scope != "window") {
      diag.add(where, what + ": scope must be 'window' or 'post'");
    }
    const auto expressions = read_list(node, "patterns", where, diag, what);
    if (expressions.empty()) diag.add(where, what + ": missing 'patterns'");
    const std::size_t index = exclusions.size();
    for (const auto& [expression, expression_where] : expressions) {
      add_pattern(PatternKind::kExclusion, index, word_expression(expand(expression, exclusion.lang, expression_where)),
                  expression_where);
    }
    exclusions.push_back(std::move(exclusion));
  }
}

// People are named by their title and surname ("officier Visser", "prosecutor
// Visser", "burgemeester Van Dam", "rechter P. Jansen", "Visser, officier van
// justitie") far more often than a registry lists. Any term of the person's
// role in the pattern set, before the surname (the name without its first
// word; up to two initials between) or after it and a comma, names the person.
// The bare surname is added too; unless the registry says it names the person
// alone, the evaluator keeps it only where the post names the person
// otherwise, mentions their role or opens by speaking to them.
void Builder::add_titled_surname(const ProtectedTarget& person, std::size_t index, const SourceLocation& where,
                                 bool surname_alone) {
  const auto first_space = person.name.find(' ');
  const auto terms = role_terms.find(person.role);
  if (first_space == std::string::npos || terms == role_terms.end()) return;
  const std::string surname = normalizer.normalize_term(std::string_view(person.name).substr(first_space + 1));
  if (surname.empty()) return;
  // One expression per title: a single alternation of every term of a role
  // outgrows Hyperscan's limit on one pattern's size.
  const std::string name = literal_expression(surname);
  for (const std::string& term : terms->second) {
    const std::string title = "(?:" + term + ")";
    add_pattern(PatternKind::kTarget, index, title + " (?:[a-z]\\.? ?){0,2}" + name, where);
    add_pattern(PatternKind::kTarget, index, name + ", (?:de |het |die |dat |onze |the |a |that |our )?" + title,
                where);
  }
  add_pattern(PatternKind::kTarget, index, name, where);
  patterns.back().bare_surname = !surname_alone;
  // Handles are made up around the name ("@fatimaelamrani_", "@ovj_mvisser",
  // "@anna.de.wit"). One holding the full name names the person; one holding
  // only the surname is as good as the bare surname ("@f_elamrani_journo"
  // names a journalist whose surname names her alone).
  const std::string full = normalizer.normalize_term(person.name);
  add_pattern(PatternKind::kTarget, index, handle_expression(full), where);
  add_pattern(PatternKind::kTarget, index, handle_expression(surname), where);
  patterns.back().bare_surname = !surname_alone;
}

void Builder::load_registry(const RuleSource& source) {
  const std::string file(source.name);
  YAML::Node root;
  try {
    root = YAML::Load(std::string(source.content));
  } catch (const YAML::Exception& e) {
    diag.add({file, e.mark.line + 1}, "invalid YAML: " + e.msg);
    return;
  }
  const SourceLocation top{file, 1};
  if (!root.IsMap() || !root["persons"] || !root["persons"].IsSequence()) {
    diag.add(top, "a protected-person registry must be a mapping with a 'persons' list");
    return;
  }
  check_keys(root, {"persons", "description"}, top, diag, "registry");
  for (const auto& node : root["persons"]) {
    const SourceLocation where = where_of(file, node, 1);
    if (!node.IsMap()) {
      diag.add(where, "a person must be a mapping with id, name, role, aliases");
      continue;
    }
    ProtectedTarget person;
    read_scalar(node, "id", where, diag, person.person_id, true, "person");
    const std::string what = "person '" + person.person_id + "'";
    check_keys(node, {"id", "name", "role", "aliases", "surname_alone"}, where, diag, what);
    if (!person.person_id.empty() && !person_ids.insert(person.person_id).second) {
      diag.add(where, what + ": duplicate id");
    }
    read_scalar(node, "name", where, diag, person.name, true, what);
    if (read_scalar(node, "role", where, diag, person.role, true, what) && !is_known_role(person.role)) {
      diag.add(where, what + ": unknown role '" + person.role + "'");
    }
    std::vector<std::pair<std::string, SourceLocation>> terms;
    if (!person.name.empty()) terms.emplace_back(person.name, where);
    for (auto& alias : read_list(node, "aliases", where, diag, what)) terms.push_back(std::move(alias));
    const std::size_t index = targets.size();
    std::set<std::string> seen;
    for (const auto& [term, term_where] : terms) {
      std::string normalized = normalizer.normalize_term(term);
      if (normalized.empty()) {
        diag.add(term_where, what + ": alias '" + term + "' is empty after normalisation");
        continue;
      }
      if (!seen.insert(normalized).second) continue;
      add_pattern(PatternKind::kTarget, index, literal_expression(normalized), term_where);
    }
    // Ministers and other public figures are often called by their surname
    // alone ("De Wit moet weg"); the operator says whose surname is rare
    // enough to name them without support.
    std::string surname_alone;
    read_scalar(node, "surname_alone", where, diag, surname_alone, false, what);
    if (!surname_alone.empty() && surname_alone != "true" && surname_alone != "false") {
      diag.add(where, what + ": 'surname_alone' must be true or false");
    }
    add_titled_surname(person, index, where, surname_alone == "true");
    targets.push_back(std::move(person));
  }
}

// Every expression goes into the first database without start-of-match
// tracking: HS_FLAG_SOM_LEFTMOST makes Hyperscan scan 2 to 17 times slower and
// compile 3 times slower (bench/README.md). Only expressions of varying width
// go, with it, into the second database, which runs only over the stretch of
// text where their matches can start (match/scanner.hpp).
constexpr unsigned kHsFlags = HS_FLAG_UTF8;
constexpr unsigned kHsStartFlags = HS_FLAG_UTF8 | HS_FLAG_SOM_LEFTMOST;
constexpr unsigned kHsMode = HS_MODE_BLOCK;

struct HsCompileErrorDeleter {
  void operator()(hs_compile_error_t* e) const { hs_free_compile_error(e); }
};
using HsCompileError = std::unique_ptr<hs_compile_error_t, HsCompileErrorDeleter>;

// Checks each expression on its own, so every bad one is reported with its
// place, not just the first that hs_compile_multi trips on; and records the
// width of its matches, which decides the database(s) it goes into. Runs on
// every build (a cached database still needs the widths): it only parses.
void Builder::check_expressions() {
  for (auto& pattern : patterns) {
    if (pattern.expression.empty()) continue;  // a threat sequence: its parts are checked
    if (has_capital_letter(pattern.expression)) {
      diag.add(pattern.where, "expression '" + pattern.expression +
                                  "' has a capital letter; the text it matches is normalised to lower case");
      continue;
    }
    hs_expr_info_t* info = nullptr;
    hs_compile_error_t* raw_error = nullptr;
    if (hs_expression_info(pattern.expression.c_str(), kHsFlags, &info, &raw_error) != HS_SUCCESS) {
      HsCompileError error(raw_error);
      diag.add(pattern.where, "expression '" + pattern.expression +
                                  "' does not compile: " + (error ? error->message : "unknown error"));
      continue;
    }
    if (info != nullptr) {
      if (info->min_width == 0) diag.add(pattern.where, "expression '" + pattern.expression + "' can match empty text");
      pattern.min_width = info->min_width;
      pattern.max_width = info->max_width;
    }
    std::free(info);  // NOLINT(cppcoreguidelines-no-malloc): allocated by Hyperscan with malloc
  }
}

std::vector<std::size_t> Builder::compiled_patterns(bool varying_width_only) const {
  std::vector<std::size_t> indices;
  for (std::size_t i = 0; i < patterns.size(); ++i) {
    if (patterns[i].expression.empty()) continue;  // a threat sequence, joined by the evaluator
    if (varying_width_only && patterns[i].fixed_width()) continue;
    indices.push_back(i);
  }
  return indices;
}

// Digest of exactly what compile() hands to Hyperscan, plus its version.
std::string Builder::compile_key(unsigned flags, const std::vector<std::size_t>& indices) const {
  std::vector<std::string_view> parts;
  const std::string header =
      std::string(hs_version()) + "|flags=" + std::to_string(flags) + "|mode=" + std::to_string(kHsMode);
  parts.emplace_back(header);
  std::string ids;
  for (const std::size_t i : indices) {
    ids += std::to_string(i);
    ids += ',';
  }
  parts.emplace_back(ids);
  for (const std::size_t i : indices) parts.emplace_back(patterns[i].expression);
  return sha256_hex(parts, 32);
}

// Compiles the expressions `indices` names (ids are their pattern indices).
// Reports problems into `compile_problems`, not through diag: the two
// databases compile at once on two threads, each with its own list.
HsDatabase Builder::compile(unsigned flags, const std::vector<std::size_t>& indices,
                            std::vector<std::string>& compile_problems) const {
  std::vector<const char*> expressions;
  std::vector<unsigned> all_flags(indices.size(), flags);
  std::vector<unsigned> ids;
  expressions.reserve(indices.size());
  for (const std::size_t i : indices) {
    expressions.push_back(patterns[i].expression.c_str());
    ids.push_back(static_cast<unsigned>(i));
  }
  hs_database_t* raw_db = nullptr;
  hs_compile_error_t* raw_error = nullptr;
  if (hs_compile_multi(expressions.data(), all_flags.data(), ids.data(), static_cast<unsigned>(expressions.size()),
                       kHsMode, nullptr, &raw_db, &raw_error) != HS_SUCCESS) {
    HsCompileError error(raw_error);
    const std::string message = error ? error->message : "unknown error";
    Diagnostics local{compile_problems};
    if (error && error->expression >= 0 && static_cast<std::size_t>(error->expression) < ids.size()) {
      local.add(patterns[ids[static_cast<std::size_t>(error->expression)]].where, "does not compile: " + message);
    } else {
      local.add({"<pattern set>", 0}, "Hyperscan compile failed: " + message);
    }
    return nullptr;
  }
  return HsDatabase(raw_db);
}

// The database of `indices` from the cache, or compiled (on its own thread
// when `parallel`) and then stored.
std::future<HsDatabase> Builder::database(unsigned flags, std::vector<std::size_t> indices, const DatabaseCache* cache,
                                          std::vector<std::string>& compile_problems, bool parallel) const {
  const std::string key = compile_key(flags, indices);
  if (cache != nullptr) {
    if (HsDatabase cached = cache->load(key)) {
      std::promise<HsDatabase> ready;
      ready.set_value(std::move(cached));
      return ready.get_future();
    }
  }
  auto work = [this, flags, indices = std::move(indices), cache, key, &compile_problems]() {
    HsDatabase compiled = compile(flags, indices, compile_problems);
    if (compiled && cache != nullptr) cache->store(key, compiled.get());
    return compiled;
  };
  return std::async(parallel ? std::launch::async : std::launch::deferred, std::move(work));
}

std::string content_hash(const PatternSetInput& input) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr);
  auto feed = [&](std::string_view label, const RuleSource& source) {
    const std::string header =
        std::string(label) + std::string(source.name) + '\0' + std::to_string(source.content.size()) + '\0';
    EVP_DigestUpdate(ctx.get(), header.data(), header.size());
    EVP_DigestUpdate(ctx.get(), source.content.data(), source.content.size());
  };
  std::vector<RuleSource> sorted(input.rule_sources.begin(), input.rule_sources.end());
  std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  for (const auto& source : sorted) feed("rules:", source);
  // The registry's file name is left out: the same people under another path
  // are the same set.
  if (input.registry) feed("registry:", {"", input.registry->content});
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  EVP_DigestFinal_ex(ctx.get(), digest.data(), &length);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "sha256:";
  for (unsigned i = 0; i < 8; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 0xF];
  }
  return out;
}

}  // namespace

std::shared_ptr<const PatternSet> build_pattern_set(const PatternSetInput& input) {
  Builder builder;
  builder.today = input.today;
  for (const auto& source : input.rule_sources) builder.collect_lexicon(source);
  for (const auto& source : input.rule_sources) builder.load_rule_file(source);
  if (input.registry) builder.load_registry(*input.registry);

  std::set<std::string> roles_with_terms;
  for (const auto& target : builder.targets) {
    if (target.person_id.empty()) roles_with_terms.insert(target.role);
  }
  for (const auto& rule : builder.rules) {
    for (const auto& role : rule.target_roles) {
      if (!roles_with_terms.contains(role)) {
        builder.diag.add(rule.where, "rule '" + rule.id + "': no target terms define role '" + role + "'");
      }
    }
  }
  if (builder.problems.empty() && builder.rules.empty()) {
    // A set that can never alert. Name a place: the first expired rule, else
    // the first file (line 1), with the files that were read.
    if (!builder.expired.empty()) {
      builder.diag.add(builder.expired.front(), "no rules: every rule of the set has expired (" +
                                                    std::to_string(builder.expired.size()) + " skipped)");
    } else {
      std::string files;
      for (const auto& source : input.rule_sources) {
        if (files.size() > 200) {
          files += ", ...";
          break;
        }
        files += (files.empty() ? "" : ", ") + std::string(source.name);
      }
      const std::string first = input.rule_sources.empty() ? "<pattern set>" : std::string(input.rule_sources[0].name);
      builder.diag.add({first, 1}, "no rules: none of the " + std::to_string(input.rule_sources.size()) +
                                       " rule file(s) (" + files + ") defines one under 'rules:' or 'learned:'");
    }
  }
  if (!builder.problems.empty()) throw PatternSetError(std::move(builder.problems));
  builder.check_expressions();
  if (!builder.problems.empty()) throw PatternSetError(std::move(builder.problems));
  std::vector<std::size_t> varying = builder.compiled_patterns(true);
  std::vector<std::string> start_problems;
  // The start database is the slower compile: it runs beside the first.
  auto start_database = varying.empty()
                            ? std::future<HsDatabase>{}
                            : builder.database(kHsStartFlags, std::move(varying), input.cache, start_problems, true);
  HsDatabase database =
      builder.database(kHsFlags, builder.compiled_patterns(false), input.cache, builder.problems, false).get();
  HsDatabase start = start_database.valid() ? start_database.get() : nullptr;
  builder.problems.insert(builder.problems.end(), start_problems.begin(), start_problems.end());
  if (!builder.problems.empty() || !database) throw PatternSetError(std::move(builder.problems));
  return std::make_shared<const PatternSet>(std::move(builder.rules), std::move(builder.targets),
                                            std::move(builder.exclusions), std::move(builder.patterns),
                                            std::move(builder.learned), std::move(database), std::move(start),
                                            content_hash(input), std::move(builder.notices));
}

}  // namespace wachtpost
