#pragma once
// Learned cues: word and word-pair weights, learned from the labelled corpus
// by `wachtpost patterns learn`, that weigh a post no hand-written rule fired
// on.
//
// Hand-written rules catch the phrasings someone thought of; fresh threats
// keep finding new ones ("his can burn too", "hooivorken en touwen"). A
// learned rule sums the weights of the words and word pairs of a post that
// names a protected target (a logistic regression over the labelled posts)
// and alerts, at its own severity, when the sum reaches its threshold. Its
// alerts explain themselves like any other: the cues that weighed most are
// the highlighted matches. It never looks at the author.

#include <array>
#include <cmath>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "rules/rule.hpp"

namespace wachtpost {

struct CueWeight {
  float weight = 0;
  std::uint8_t category = 0;  // index into kCategories: where the cue was seen most among threats
};

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view text) const { return std::hash<std::string_view>{}(text); }
};

// One learned rule: its weights, for one language.
struct LearnedCues {
  std::uint32_t rule = 0;     // index into PatternSet::rules()
  std::uint32_t pattern = 0;  // the rule's evidence entry in PatternSet::patterns()
  std::string lang;
  float bias = 0;
  float threshold = 0;
  float veto = -HUGE_VALF;  // a written rule's alert on a post scoring below this is taken back
  std::unordered_map<std::string, CueWeight, StringHash, std::equal_to<>> weights;

  [[nodiscard]] const CueWeight* find(std::string_view cue) const {
    const auto it = weights.find(cue);
    return it == weights.end() ? nullptr : &it->second;
  }
};

// The cues of a normalised text, in order: each word ("benzine", "z'n",
// "@handle") or symbol ("🔥", one code point), then each pair of neighbouring
// ones joined by a space ("de benzine"). visit(cue, from, to) gets byte
// offsets into `text`; `pair` is scratch space for the joined pairs.
template <typename Visit>
void for_each_cue(std::string_view text, std::string& pair, Visit&& visit) {
  auto is_word = [](unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '\'' || c == '@';
  };
  std::uint32_t previous_from = 0;
  std::uint32_t previous_to = 0;
  bool has_previous = false;
  auto emit = [&](std::uint32_t from, std::uint32_t to) {
    const std::string_view cue = text.substr(from, to - from);
    visit(cue, from, to);
    if (has_previous) {
      pair.assign(text.substr(previous_from, previous_to - previous_from));
      pair += ' ';
      pair.append(cue);
      visit(std::string_view(pair), previous_from, to);
    }
    previous_from = from;
    previous_to = to;
    has_previous = true;
  };
  const auto size = static_cast<std::uint32_t>(text.size());
  std::uint32_t i = 0;
  while (i < size) {
    const auto c = static_cast<unsigned char>(text[i]);
    std::uint32_t end = i + 1;
    if (is_word(c)) {
      while (end < size && is_word(static_cast<unsigned char>(text[end]))) ++end;
      // Quote marks around a word are not part of it; "'m", "'t", "z'n" are words.
      std::uint32_t word_end = end;
      while (word_end > i && text[word_end - 1] == '\'') --word_end;
      std::uint32_t word_from = i;
      if (text[word_from] == '\'' && word_end - word_from > 3) ++word_from;
      if (word_from < word_end) emit(word_from, word_end);  // apostrophes alone are no word
    } else if (c >= 0x80) {
      const std::uint32_t width = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
      end = std::min(size, i + width);
      // Variation selectors and joiners only shape the symbol before them.
      const std::string_view cp = text.substr(i, end - i);
      if (cp != "\xEF\xB8\x8F" && cp != "\xE2\x80\x8D") emit(i, end);
    }  // else: spaces and ASCII punctuation separate cues
    i = end;
  }
}

}  // namespace wachtpost
