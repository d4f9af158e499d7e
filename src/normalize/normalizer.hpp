#pragma once
// Text normalisation before matching.
//
// Posts evade naive matching with capitals, diacritics, compatibility forms
// (fullwidth letters, ligatures), invisible characters, leetspeak, letter
// spacing, stretched letters and look-alike letters from other scripts. The
// Normalizer rewrites a post's text into a canonical lowercase form that the
// pattern set is written against, and keeps for every output byte the range of
// original bytes it came from, so that a match in the normalised text can be
// highlighted in the original post.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace wachtpost {

// The decoding steps a stretch of normalised text needed. An alert lists them
// per match so an officer sees why an odd-looking post matched.
enum DecodeStep : std::uint8_t {
  kDecodeNone = 0,
  kDecodeUnicode = 1U << 0,    // NFKC / case fold beyond ASCII / diacritics stripped
  kDecodeInvisible = 1U << 1,  // zero-width or other invisible characters removed
  kDecodeLeet = 1U << 2,       // 3->e, 0->o, 4->a, @->a, $->s, ...
  kDecodeSpacing = 1U << 3,    // letter-spaced word joined ("d o o d")
  kDecodeRepeat = 1U << 4,     // stretched letters squeezed ("doooood")
  kDecodeHomoglyph = 1U << 5,  // Cyrillic/Greek look-alike mapped to Latin
};

// Names of the steps set in `mask`, in a fixed order ("unicode", "invisible",
// "leet", "spacing", "repeat", "homoglyph").
std::vector<std::string_view> decode_step_names(std::uint8_t mask);

// A normalised text and its mapping back to the original bytes. Reused across
// posts: clear() keeps the capacity so a warm Normalizer does not allocate.
struct NormalizedText {
  std::string text;
  // For normalised byte i: the original byte range [source_begin[i], source_end[i]).
  std::vector<std::uint32_t> source_begin;
  std::vector<std::uint32_t> source_end;
  // For normalised byte i: the DecodeStep bits that produced it.
  std::vector<std::uint8_t> steps;
  // Stretched letters were squeezed (kDecodeRepeat is set somewhere), so
  // further readings may differ; most texts have none and skip looking.
  bool squeezed = false;

  void clear() {
    text.clear();
    source_begin.clear();
    source_end.clear();
    steps.clear();
    squeezed = false;
  }

  // Maps the normalised byte range [from, to) (to > from) back to the original.
  struct SourceSpan {
    std::uint32_t begin;
    std::uint32_t end;
    std::uint8_t steps;
  };
  [[nodiscard]] SourceSpan to_source(std::uint32_t from, std::uint32_t to) const;
};

struct NormalizerOptions {
  bool leet = true;
  bool spacing = true;
  bool squeeze_repeats = true;
  bool homoglyphs = true;
};

class Normalizer {
 public:
  explicit Normalizer(NormalizerOptions options = {}) : options_(options) {}

  // `original` must be valid UTF-8 (the parser guarantees it). The result is
  // lowercase, ASCII wherever the input was Latin-script, with runs of
  // whitespace collapsed to one space.
  void normalize(std::string_view original, NormalizedText& out);

  // Which squeezed pairs a further reading of a stretched text collapses.
  enum class Stretch : std::uint8_t {
    kAll,         // every squeezed pair to one letter
    kConsonants,  // consonant pairs to one, vowel pairs stay two
    kVowels,      // vowel pairs to one, consonant pairs stay two
  };
  // Kinds of squeezed pairs in a normalised text (bit flags).
  static constexpr std::uint8_t kStretchedVowel = 1U << 0;
  static constexpr std::uint8_t kStretchedConsonant = 1U << 1;

  // Further readings of a text with stretched letters. The normaliser squeezes
  // "doooood" to "dood" (Dutch and English spell with doubles), which leaves
  // "afmaaaken" as "afmaaken". Stretch::kAll collapses every pair that came
  // from such a squeeze to one letter ("afmaken", "dod"), so a caller that scans
  // both readings catches stretching of single and double letters alike. A word
  // can stretch a double vowel and a single consonant at once ("woooont",
  // "wetennnn", "slaaaaaan"): Stretch::kConsonants reads those, and
  // Stretch::kVowels the mirror ("kiiiilll" -> "kill"). Both differ from the
  // first two readings only when the text has stretched vowels and consonants
  // (stretched_kinds() says which).
  // Returns false (and leaves `out` cleared) when `in` had no pair to collapse.
  static bool collapse_stretched(const NormalizedText& in, NormalizedText& out, Stretch which = Stretch::kAll);
  static std::uint8_t stretched_kinds(const NormalizedText& in);

  // Calls visit(reading) for every further reading of `in` that differs from
  // it: every stretched pair to one letter, and when both stretched vowels and
  // consonants occur, each kind to one letter while the other stays two
  // ("woooont wetennnn" -> "woont weten"). `scratch` holds each reading in turn.
  template <typename Visit>
  static void for_each_further_reading(const NormalizedText& in, NormalizedText& scratch, Visit&& visit) {
    if (!collapse_stretched(in, scratch)) return;
    visit(static_cast<const NormalizedText&>(scratch));
    if (stretched_kinds(in) != (kStretchedVowel | kStretchedConsonant)) return;
    for (const auto which : {Stretch::kConsonants, Stretch::kVowels}) {
      if (collapse_stretched(in, scratch, which)) visit(static_cast<const NormalizedText&>(scratch));
    }
  }

  // Normalises a pattern-side term (a protected person's name, an alias) the
  // same way, so terms and texts meet in the same form.
  std::string normalize_term(std::string_view term);

 private:
  NormalizerOptions options_;
  NormalizedText scratch_;
};

}  // namespace wachtpost
