#include "normalize/normalizer.hpp"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <utf8proc.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <numeric>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

// The pipeline runs in two stages over the same output buffers:
//
//  1. Code-point stage (decode_code_points / copy_plain_ascii): every input code
//     point is either dropped (invisible), turned into whitespace, or rewritten
//     (NFKC, case fold, marks stripped, homoglyphs mapped). Whitespace runs
//     collapse to one space. Every output byte gets the source range of the
//     code point it came from.
//  2. Token stage (apply_leet, join_spaced_letters, squeeze_repeats): rewrites
//     of the lowercase text that look at neighbouring bytes. Each pass edits the
//     buffers in place; the ones that drop bytes compact with a write index that
//     never overtakes the read index, so they need no second buffer.
//
// Both stages only append to or shrink `out`, so a warm NormalizedText never
// allocates.

namespace wachtpost {

std::vector<std::string_view> decode_step_names(std::uint8_t mask) {
  static constexpr std::array<std::pair<DecodeStep, std::string_view>, 6> kNames{{
      {kDecodeUnicode, "unicode"},
      {kDecodeInvisible, "invisible"},
      {kDecodeLeet, "leet"},
      {kDecodeSpacing, "spacing"},
      {kDecodeRepeat, "repeat"},
      {kDecodeHomoglyph, "homoglyph"},
  }};
  std::vector<std::string_view> names;
  for (const auto& [step, name] : kNames) {
    if ((mask & step) != 0) names.push_back(name);
  }
  return names;
}

NormalizedText::SourceSpan NormalizedText::to_source(std::uint32_t from, std::uint32_t to) const {
  const auto size = static_cast<std::uint32_t>(text.size());
  // Out-of-range requests get an empty span rather than UB: callers compute
  // offsets from match positions and a bad one must not take the process down.
  if (size == 0) return {0, 0, kDecodeNone};
  if (from >= size) return {source_end[size - 1], source_end[size - 1], kDecodeNone};
  to = std::min(to, size);
  if (to <= from) return {source_begin[from], source_begin[from], kDecodeNone};
  SourceSpan span{source_begin[from], source_end[from], steps[from]};
  for (std::uint32_t i = from + 1; i < to; ++i) {
    span.end = std::max(span.end, source_end[i]);
    span.steps = static_cast<std::uint8_t>(span.steps | steps[i]);
  }
  return span;
}

namespace {

using Offset = std::uint32_t;
using CodePoint = utf8proc_int32_t;

constexpr std::uint8_t with(std::uint8_t steps, std::uint8_t more) {
  return static_cast<std::uint8_t>(steps | more);
}

constexpr bool is_lower(char c) {
  return c >= 'a' && c <= 'z';
}
constexpr bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
// Word characters for the spacing step. Non-ASCII bytes (emoji, other scripts
// left after folding) count as boundaries so "d o o d🔥" still joins.
constexpr bool is_alnum(char c) {
  return is_lower(c) || is_digit(c);
}
constexpr bool is_ascii_space(char c) {
  return c == ' ' || (c >= '\t' && c <= '\r');
}
constexpr bool is_ascii_control(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u < 0x20 || u == 0x7F;
}
constexpr char ascii_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

// ---------------------------------------------------------------------------
// Leetspeak.
//
//   0 -> o   1 -> i   3 -> e   4 -> a   5 -> s   7 -> t   8 -> b   $ -> s
//       anywhere in a token (maximal run of non-spaces) that has a letter, so
//       "2024" and "100" stay numbers but "R3CHT3R" reads "rechter".
//   @ -> a   only after a letter: a leading '@' is a mention ("@annadewit"),
//            and reading it as 'a' would glue an 'a' onto every mentioned name.
//   ! -> i   only between letters: "k!ll" is "kill", "kill!" keeps its '!'.
//   | -> l   after a letter and before a letter or the token end ("ki||").
// 2, 6 and 9 have no common letter reading and are left alone.
// ---------------------------------------------------------------------------
constexpr char leet_letter(char c) {
  switch (c) {
    case '0': return 'o';
    case '1': return 'i';
    case '3': return 'e';
    case '4': return 'a';
    case '5': return 's';
    case '7': return 't';
    case '8': return 'b';
    case '$': return 's';
    default: return '\0';
  }
}
constexpr bool is_leet_digit(char c) {
  return is_digit(c) && leet_letter(c) != '\0';
}

// ---------------------------------------------------------------------------
// Homoglyphs: letters from other scripts (and Latin IPA / small capitals) that
// render like a Latin letter. Looked up both on the original code point and on
// each code point after case folding. The original lookup exists for capitals
// whose lowercase looks different: Greek 'Η' reads as "h" but 'η' as "n".
// ---------------------------------------------------------------------------
constexpr char homoglyph_latin(CodePoint cp) {
  if (cp < 0x0131) return '\0';
  switch (cp) {
    // Cyrillic capitals.
    case 0x0410: return 'a';  // А
    case 0x0412: return 'b';  // В
    case 0x0415: return 'e';  // Е
    case 0x041A: return 'k';  // К
    case 0x041C: return 'm';  // М
    case 0x041D: return 'h';  // Н
    case 0x041E: return 'o';  // О
    case 0x0420: return 'p';  // Р
    case 0x0421: return 'c';  // С
    case 0x0422: return 't';  // Т
    case 0x0423: return 'y';  // У
    case 0x0425: return 'x';  // Х
    case 0x0405: return 's';  // Ѕ
    case 0x0406: return 'i';  // І
    case 0x0408: return 'j';  // Ј
    case 0x0474: return 'v';  // Ѵ
    case 0x04AE: return 'y';  // Ү
    case 0x04C0: return 'i';  // Ӏ palochka, drawn like a capital I
    case 0x0500: return 'd';  // Ԁ
    case 0x051A: return 'q';  // Ԛ
    case 0x051C:
      return 'w';  // Ԝ
    // Cyrillic lowercase.
    case 0x0430: return 'a';  // а
    case 0x0432: return 'b';  // в
    case 0x0435: return 'e';  // е
    case 0x043A: return 'k';  // к
    case 0x043C: return 'm';  // м
    case 0x043D: return 'h';  // н
    case 0x043E: return 'o';  // о
    case 0x043F: return 'n';  // п
    case 0x0440: return 'p';  // р
    case 0x0441: return 'c';  // с
    case 0x0442: return 't';  // т
    case 0x0443: return 'y';  // у
    case 0x0445: return 'x';  // х
    case 0x0455: return 's';  // ѕ
    case 0x0456: return 'i';  // і
    case 0x0458: return 'j';  // ј
    case 0x0475: return 'v';  // ѵ
    case 0x04AF: return 'y';  // ү
    case 0x04BB: return 'h';  // һ
    case 0x04CF: return 'l';  // ӏ
    case 0x0501: return 'd';  // ԁ
    case 0x051B: return 'q';  // ԛ
    case 0x051D:
      return 'w';  // ԝ
    // Greek capitals.
    case 0x0391: return 'a';  // Α
    case 0x0392: return 'b';  // Β
    case 0x0395: return 'e';  // Ε
    case 0x0396: return 'z';  // Ζ
    case 0x0397: return 'h';  // Η
    case 0x0399: return 'i';  // Ι
    case 0x039A: return 'k';  // Κ
    case 0x039C: return 'm';  // Μ
    case 0x039D: return 'n';  // Ν
    case 0x039F: return 'o';  // Ο
    case 0x03A1: return 'p';  // Ρ
    case 0x03A4: return 't';  // Τ
    case 0x03A5: return 'y';  // Υ
    case 0x03A7: return 'x';  // Χ
    case 0x037F: return 'j';  // Ϳ
    case 0x03F9:
      return 'c';  // Ϲ lunate sigma
    // Greek lowercase.
    case 0x03B1: return 'a';  // α
    case 0x03B2: return 'b';  // β
    case 0x03B3: return 'y';  // γ
    case 0x03B5: return 'e';  // ε
    case 0x03B7: return 'n';  // η
    case 0x03B9: return 'i';  // ι
    case 0x03BA: return 'k';  // κ
    case 0x03BC: return 'u';  // μ
    case 0x03BD: return 'v';  // ν
    case 0x03BF: return 'o';  // ο
    case 0x03C1: return 'p';  // ρ
    case 0x03C4: return 't';  // τ
    case 0x03C5: return 'u';  // υ
    case 0x03C7: return 'x';  // χ
    case 0x03C9: return 'w';  // ω
    case 0x03F2: return 'c';  // ϲ
    case 0x03F3:
      return 'j';  // ϳ
    // Latin letters outside ASCII that NFKC leaves alone ("fancy text" generators).
    case 0x0131: return 'i';  // ı dotless i
    case 0x01C0: return 'l';  // ǀ
    case 0x0251: return 'a';  // ɑ
    case 0x0261: return 'g';  // ɡ
    case 0x0269: return 'i';  // ɩ
    case 0x1D00: return 'a';  // ᴀ small capitals from here on
    case 0x0299: return 'b';  // ʙ
    case 0x1D04: return 'c';  // ᴄ
    case 0x1D05: return 'd';  // ᴅ
    case 0x1D07: return 'e';  // ᴇ
    case 0xA730: return 'f';  // ꜰ
    case 0x0262: return 'g';  // ɢ
    case 0x029C: return 'h';  // ʜ
    case 0x026A: return 'i';  // ɪ
    case 0x1D0A: return 'j';  // ᴊ
    case 0x1D0B: return 'k';  // ᴋ
    case 0x029F: return 'l';  // ʟ
    case 0x1D0D: return 'm';  // ᴍ
    case 0x0274: return 'n';  // ɴ
    case 0x1D0F: return 'o';  // ᴏ
    case 0x1D18: return 'p';  // ᴘ
    case 0x0280: return 'r';  // ʀ
    case 0xA731: return 's';  // ꜱ
    case 0x1D1B: return 't';  // ᴛ
    case 0x1D1C: return 'u';  // ᴜ
    case 0x1D20: return 'v';  // ᴠ
    case 0x1D21: return 'w';  // ᴡ
    case 0x028F: return 'y';  // ʏ
    case 0x1D22: return 'z';  // ᴢ
    default: return '\0';
  }
}

// ---------------------------------------------------------------------------
// Code-point classification.
// ---------------------------------------------------------------------------

bool is_unicode_space(CodePoint cp, const utf8proc_property_t& prop) {
  return prop.category == UTF8PROC_CATEGORY_ZS || prop.category == UTF8PROC_CATEGORY_ZL ||
         prop.category == UTF8PROC_CATEGORY_ZP || cp == 0x85;  // NEL is a Cc line break
}

// Default-ignorable code points (zero-width characters, variation selectors,
// Hangul fillers, tag characters) and every format or control character: none
// of them render as a letter, so inside a word they only serve to break it up.
bool is_invisible(const utf8proc_property_t& prop) {
  return prop.ignorable != 0 || prop.category == UTF8PROC_CATEGORY_CF || prop.category == UTF8PROC_CATEGORY_CC;
}

// NFKC-style compatibility decomposition with case folding and marks stripped.
// LUMP also folds typographic quotes and dashes to ASCII ("don’t" -> "don't").
constexpr auto kDecomposeOptions = static_cast<utf8proc_option_t>(
    UTF8PROC_COMPAT | UTF8PROC_CASEFOLD | UTF8PROC_DECOMPOSE | UTF8PROC_STRIPMARK | UTF8PROC_LUMP);
// The longest compatibility decomposition (U+FDFA) is 18 code points.
constexpr std::size_t kMaxDecomposition = 32;

std::size_t encode_utf8(CodePoint cp, char* dst) {
  const auto u = static_cast<std::uint32_t>(cp);
  if (u < 0x80) {
    dst[0] = static_cast<char>(u);
    return 1;
  }
  if (u < 0x800) {
    dst[0] = static_cast<char>(0xC0 | (u >> 6));
    dst[1] = static_cast<char>(0x80 | (u & 0x3F));
    return 2;
  }
  if (u < 0x10000) {
    dst[0] = static_cast<char>(0xE0 | (u >> 12));
    dst[1] = static_cast<char>(0x80 | ((u >> 6) & 0x3F));
    dst[2] = static_cast<char>(0x80 | (u & 0x3F));
    return 3;
  }
  dst[0] = static_cast<char>(0xF0 | (u >> 18));
  dst[1] = static_cast<char>(0x80 | ((u >> 12) & 0x3F));
  dst[2] = static_cast<char>(0x80 | ((u >> 6) & 0x3F));
  dst[3] = static_cast<char>(0x80 | (u & 0x3F));
  return 4;
}

// ---------------------------------------------------------------------------
// Stage 1 writer.
//
// Appends the output of one source code point at a time (a "cluster") and
// keeps the bookkeeping that needs context: pending whitespace is only written
// once another word follows (which drops leading and trailing whitespace), and
// code points that produce nothing (invisible characters, stripped marks) are
// folded into the neighbouring cluster so a highlight still covers them.
// ---------------------------------------------------------------------------
class Builder {
 public:
  explicit Builder(NormalizedText& out) : out_(out) {}

  void space(Offset begin, Offset end) {
    close_word();
    if (!space_pending_) {
      space_pending_ = true;
      space_begin_ = begin;
    }
    space_end_ = end;
  }

  // A code point that produced no output; `step` says why.
  void removed(Offset begin, Offset end, std::uint8_t step) {
    if (in_word_) {
      for (std::size_t i = cluster_start_; i < out_.text.size(); ++i) {
        out_.source_end[i] = std::max(out_.source_end[i], end);
      }
      if (step == kDecodeInvisible) {
        // The letter after the gap is the one that was split off; it carries
        // the mark (close_word falls back to this cluster at a word end).
        carry_ = with(carry_, step);
      } else {
        mark_cluster(step);
      }
      return;
    }
    // Nothing of this word written yet: the word's first cluster absorbs the
    // range. If whitespace follows instead, space() forgets it.
    if (!lead_pending_) {
      lead_pending_ = true;
      lead_begin_ = begin;
    }
    carry_ = with(carry_, step);
  }

  // Appends the (non-whitespace) bytes a code point at [begin, end) became.
  void emit(std::string_view bytes, Offset begin, Offset end, std::uint8_t steps) {
    if (space_pending_) {
      if (!out_.text.empty()) push(' ', space_begin_, space_end_, kDecodeNone);
      space_pending_ = false;
    }
    if (lead_pending_) {
      begin = lead_begin_;
      lead_pending_ = false;
    }
    steps = with(steps, carry_);
    carry_ = kDecodeNone;
    cluster_start_ = out_.text.size();
    in_word_ = true;
    for (const char c : bytes) push(c, begin, end, steps);
  }

  // emit() for each byte of a run of printable, non-space ASCII starting at
  // `at`: after the first, each is one cluster with nothing pending, so the
  // run is lowercased and mapped in bulk.
  void emit_ascii_run(std::string_view run, Offset at) {
    const char first = ascii_lower(run[0]);
    emit(std::string_view(&first, 1), at, at + 1, kDecodeNone);
    const std::size_t old_size = out_.text.size();
    const std::size_t count = run.size() - 1;
    if (count == 0) return;
    out_.text.resize(old_size + count);
    out_.source_begin.resize(old_size + count);
    out_.source_end.resize(old_size + count);
    out_.steps.resize(old_size + count, kDecodeNone);
    for (std::size_t k = 0; k < count; ++k) {
      out_.text[old_size + k] = ascii_lower(run[k + 1]);
      out_.source_begin[old_size + k] = at + 1 + static_cast<Offset>(k);
      out_.source_end[old_size + k] = at + 2 + static_cast<Offset>(k);
    }
    cluster_start_ = old_size + count - 1;
  }

  void finish() { close_word(); }

 private:
  void push(char c, Offset begin, Offset end, std::uint8_t steps) {
    out_.text.push_back(c);
    out_.source_begin.push_back(begin);
    out_.source_end.push_back(end);
    out_.steps.push_back(steps);
  }

  void mark_cluster(std::uint8_t step) {
    for (std::size_t i = cluster_start_; i < out_.text.size(); ++i) {
      out_.steps[i] = with(out_.steps[i], step);
    }
  }

  void close_word() {
    if (in_word_ && carry_ != kDecodeNone) mark_cluster(carry_);
    carry_ = kDecodeNone;
    lead_pending_ = false;
    in_word_ = false;
  }

  NormalizedText& out_;
  bool space_pending_ = false;
  Offset space_begin_ = 0;
  Offset space_end_ = 0;
  bool in_word_ = false;
  std::size_t cluster_start_ = 0;
  std::uint8_t carry_ = kDecodeNone;  // steps owed to the next cluster of the word
  bool lead_pending_ = false;         // removed code points before the word's first cluster
  Offset lead_begin_ = 0;
};

// One non-ASCII code point through invisible removal, NFKC/case fold/mark
// stripping and homoglyph mapping.
void decode_code_point(CodePoint cp, Offset begin, Offset end, const NormalizerOptions& options, Builder& builder) {
  const utf8proc_property_t& prop = *utf8proc_get_property(cp);
  if (is_unicode_space(cp, prop)) {
    builder.space(begin, end);
    return;
  }
  if (is_invisible(prop)) {
    builder.removed(begin, end, kDecodeInvisible);
    return;
  }
  if (options.homoglyphs) {
    if (const char latin = homoglyph_latin(cp); latin != '\0') {
      builder.emit(std::string_view(&latin, 1), begin, end, kDecodeHomoglyph);
      return;
    }
  }

  std::array<CodePoint, kMaxDecomposition> decomposed{};
  int boundclass = 0;
  utf8proc_ssize_t count = utf8proc_decompose_char(
      cp, decomposed.data(), static_cast<utf8proc_ssize_t>(decomposed.size()), kDecomposeOptions, &boundclass);
  if (count < 0 || count > static_cast<utf8proc_ssize_t>(decomposed.size())) {
    decomposed[0] = cp;  // cannot happen for assigned code points; keep the text as it was
    count = 1;
  }
  if (count == 0) {  // a combining mark, stripped
    builder.removed(begin, end, kDecodeUnicode);
    return;
  }
  const auto first = decomposed.begin();
  const auto last = first + count;
  // Only Hangul (and a few scripts with spacing vowel signs) decompose into
  // pieces that compose again; recompose so syllables stay one code point.
  if (count > 1 && std::any_of(first, last, [](CodePoint c) { return c >= 0x80; })) {
    const utf8proc_ssize_t composed = utf8proc_normalize_utf32(decomposed.data(), count, UTF8PROC_COMPOSE);
    if (composed > 0) count = composed;
  }

  const std::uint8_t unicode = (count == 1 && decomposed[0] == cp) ? kDecodeNone : kDecodeUnicode;
  std::array<char, kMaxDecomposition * 4> chunk{};
  std::size_t used = 0;
  std::uint8_t chunk_steps = unicode;
  const auto flush = [&] {
    if (used == 0) return;
    builder.emit(std::string_view(chunk.data(), used), begin, end, chunk_steps);
    used = 0;
    chunk_steps = unicode;
  };
  for (utf8proc_ssize_t i = 0; i < count; ++i) {
    const CodePoint out_cp = decomposed[static_cast<std::size_t>(i)];
    // Compatibility forms such as U+00A8 decompose to a space plus a mark.
    if (out_cp == ' ') {
      flush();
      builder.space(begin, end);
      continue;
    }
    if (options.homoglyphs) {
      if (const char latin = homoglyph_latin(out_cp); latin != '\0') {
        chunk[used++] = latin;
        chunk_steps = with(chunk_steps, kDecodeHomoglyph);
        continue;
      }
    }
    used += encode_utf8(out_cp, chunk.data() + used);
  }
  flush();
}

void decode_code_points(std::string_view original, const NormalizerOptions& options, NormalizedText& out) {
  out.text.reserve(original.size());
  out.source_begin.reserve(original.size());
  out.source_end.reserve(original.size());
  out.steps.reserve(original.size());
  Builder builder(out);
  const auto* bytes = reinterpret_cast<const utf8proc_uint8_t*>(original.data());
  const std::size_t size = original.size();
  std::size_t i = 0;
  while (i < size) {
    const auto begin = static_cast<Offset>(i);
    const char c = original[i];
    // ASCII never needs utf8proc: its only folding is lowercasing.
    if (static_cast<unsigned char>(c) < 0x80) {
      if (is_ascii_space(c)) {
        builder.space(begin, begin + 1);
      } else if (is_ascii_control(c)) {
        builder.removed(begin, begin + 1, kDecodeInvisible);
      } else {
        std::size_t run_end = i + 1;
        while (run_end < size && static_cast<unsigned char>(original[run_end]) - 0x21U < 0x5EU) ++run_end;
        builder.emit_ascii_run(original.substr(i, run_end - i), begin);
        i = run_end;
        continue;
      }
      ++i;
      continue;
    }
    CodePoint cp = 0;
    const utf8proc_ssize_t length = utf8proc_iterate(bytes + i, static_cast<utf8proc_ssize_t>(size - i), &cp);
    if (length <= 0) {
      // Invalid UTF-8 is the parser's job to reject; never crash on it here.
      builder.emit("\xEF\xBF\xBD", begin, begin + 1, kDecodeUnicode);
      ++i;
      continue;
    }
    decode_code_point(cp, begin, static_cast<Offset>(i + static_cast<std::size_t>(length)), options, builder);
    i += static_cast<std::size_t>(length);
  }
  builder.finish();
}

// Printable ASCII with single inner spaces needs no stage-1 work beyond
// lowercasing, and every output byte maps to the same input byte.
bool is_plain_ascii(std::string_view text) {
  if (text.empty() || text.front() == ' ' || text.back() == ' ') return false;
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t size = text.size();
  if (s[0] < 0x20 || s[0] > 0x7E) return false;
  std::size_t i = 1;
#if defined(__SSE2__)
  for (; i + 16 <= size; i += 16) {
    const __m128i here = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i));
    const __m128i before = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i - 1));
    const __m128i space = _mm_set1_epi8(' ');
    // Signed: bytes from 0x80 are negative, so "< 0x20" also catches non-ASCII.
    const __m128i bad =
        _mm_or_si128(_mm_or_si128(_mm_cmplt_epi8(here, space), _mm_cmpeq_epi8(here, _mm_set1_epi8(0x7F))),
                     _mm_and_si128(_mm_cmpeq_epi8(here, space), _mm_cmpeq_epi8(before, space)));
    if (_mm_movemask_epi8(bad) != 0) return false;
  }
#endif
  for (; i < size; ++i) {
    if (s[i] < 0x20 || s[i] > 0x7E || (s[i] == ' ' && s[i - 1] == ' ')) return false;
  }
  return true;
}

void copy_plain_ascii(std::string_view text, NormalizedText& out) {
  const std::size_t size = text.size();
  out.text.resize(size);
  std::transform(text.begin(), text.end(), out.text.begin(), ascii_lower);
  out.source_begin.resize(size);
  std::iota(out.source_begin.begin(), out.source_begin.end(), Offset{0});
  out.source_end.resize(size);
  std::iota(out.source_end.begin(), out.source_end.end(), Offset{1});
  out.steps.assign(size, kDecodeNone);
}

// ---------------------------------------------------------------------------
// Stage 2: token-level passes.
// ---------------------------------------------------------------------------

// Copies normalised byte `from` to position `to` (to <= from) in all arrays.
void move_byte(NormalizedText& t, std::size_t from, std::size_t to) {
  if (from == to) return;
  t.text[to] = t.text[from];
  t.source_begin[to] = t.source_begin[from];
  t.source_end[to] = t.source_end[from];
  t.steps[to] = t.steps[from];
}

void truncate(NormalizedText& t, std::size_t size) {
  t.text.resize(size);
  t.source_begin.resize(size);
  t.source_end.resize(size);
  t.steps.resize(size);
}

void set_leet(NormalizedText& t, std::size_t i, char letter) {
  t.text[i] = letter;
  t.steps[i] = with(t.steps[i], kDecodeLeet);
}

constexpr bool is_leet_candidate(char c) {
  return leet_letter(c) != '\0' || c == '@' || c == '!' || c == '|';
}

// Applies the leet table (see leet_letter) to the token [begin, end), which
// has a letter and a leet candidate.
void decode_leet_token(NormalizedText& t, std::size_t begin, std::size_t end) {
  const std::string& s = t.text;
  for (std::size_t i = begin; i < end; ++i) {
    if (const char letter = leet_letter(s[i]); letter != '\0') set_leet(t, i, letter);
  }
  // Context-dependent symbols, left to right so "h@@r" sees the first '@' as 'a'.
  for (std::size_t i = begin; i < end; ++i) {
    const bool after_letter = i > begin && is_lower(s[i - 1]);
    if (s[i] == '@') {
      if (after_letter) set_leet(t, i, 'a');
    } else if (s[i] == '!') {
      if (after_letter && i + 1 < end && is_lower(s[i + 1])) set_leet(t, i, 'i');
    } else if (s[i] == '|') {
      std::size_t run_end = i;
      while (run_end < end && s[run_end] == '|') ++run_end;
      if (after_letter && (run_end == end || is_lower(s[run_end]))) {
        for (std::size_t k = i; k < run_end; ++k) set_leet(t, k, 'l');
      }
      i = run_end - 1;
    }
  }
}

#if defined(__SSE2__)
// is_leet_candidate, is_alnum and is_spacing_separator on 16 bytes at once
// (SSE2 is part of x86-64): each lane is 0xFF where the test holds.
using Lane = std::uint8_t;
using Lanes = __m128i;
Lanes load(const Lane* at) {
  return _mm_loadu_si128(reinterpret_cast<const __m128i*>(at));
}
Lanes is(Lanes v, char value) {
  return _mm_cmpeq_epi8(v, _mm_set1_epi8(value));
}
Lanes in_range(Lanes v, char low, char high) {
  const Lanes shifted = _mm_sub_epi8(v, _mm_set1_epi8(low));
  return _mm_cmpeq_epi8(_mm_min_epu8(shifted, _mm_set1_epi8(static_cast<char>(high - low))), shifted);
}
Lanes leet_candidate(Lanes v) {
  const Lanes digit = _mm_andnot_si128(_mm_or_si128(is(v, '2'), is(v, '6')), in_range(v, '0', '8'));
  return _mm_or_si128(_mm_or_si128(digit, is(v, '$')), _mm_or_si128(_mm_or_si128(is(v, '@'), is(v, '!')), is(v, '|')));
}
Lanes joinable(Lanes v) {
  return _mm_or_si128(in_range(v, 'a', 'z'), in_range(v, '0', '9'));
}
Lanes apart(Lanes v) {
  return _mm_xor_si128(_mm_or_si128(joinable(v), is(v, '\'')), _mm_set1_epi8(-1));
}
Lanes separator(Lanes v) {
  return _mm_or_si128(_mm_or_si128(_mm_or_si128(is(v, ' '), is(v, '.')), _mm_or_si128(is(v, '-'), is(v, '_'))),
                      is(v, '*'));
}
bool any_lane(Lanes v) {
  return _mm_movemask_epi8(v) != 0;
}
#endif

// Prechecks: most texts give a stage-2 pass nothing to do. Each check is a
// superset of what its pass looks for, run 16 bytes at a time where SSE2 is
// there, so a text costs a fraction of an instruction a byte here instead of
// several in the pass's own byte-by-byte scan.
bool may_have_leet(std::string_view text) {
  const std::size_t size = text.size();
  std::size_t i = 0;
#if defined(__SSE2__)
  const auto* s = reinterpret_cast<const Lane*>(text.data());
  for (; i + 16 <= size; i += 16) {
    if (any_lane(leet_candidate(load(s + i)))) return true;
  }
#endif
  for (; i < size; ++i) {
    if (is_leet_candidate(text[i])) return true;
  }
  return false;
}

void apply_leet(NormalizedText& t) {
  const std::string& s = t.text;
  const std::size_t size = s.size();
  if (!may_have_leet(s)) return;
  std::size_t token_begin = 0;
  bool has_letter = false;     // numbers and symbols without letters stay
  bool has_candidate = false;  // most tokens have nothing to decode
  for (std::size_t i = 0; i <= size; ++i) {
    const char c = i < size ? s[i] : ' ';
    if (c == ' ') {
      if (has_letter && has_candidate) decode_leet_token(t, token_begin, i);
      token_begin = i + 1;
      has_letter = false;
      has_candidate = false;
    } else if (is_lower(c)) {
      has_letter = true;
    } else if (is_leet_candidate(c)) {
      has_candidate = true;
    }
  }
}

constexpr bool is_spacing_separator(char c) {
  return c == ' ' || c == '.' || c == '-' || c == '_' || c == '*';
}

// How wide the whitespace was that normalised space byte `i` stands for: the
// number of whitespace code points it collapsed, a line break counting two.
// Other separators ('.', '-', ...) are one byte of the original and count one.
std::uint32_t separator_width(const NormalizedText& t, std::string_view original, std::size_t i) {
  if (t.text[i] != ' ') return 1;
  const std::uint32_t begin = t.source_begin[i];
  const std::uint32_t end = std::min<std::uint32_t>(t.source_end[i], static_cast<std::uint32_t>(original.size()));
  if (end <= begin + 1 && end > begin && original[begin] != '\n' && original[begin] != '\r') {
    return 1;  // one ASCII space or tab (the common case)
  }
  std::uint32_t width = 0;
  const auto* bytes = reinterpret_cast<const utf8proc_uint8_t*>(original.data());
  for (std::uint32_t k = begin; k < end;) {
    const char c = original[k];
    if (static_cast<unsigned char>(c) < 0x80) {
      if (c == '\n' || c == '\r') {
        width += 2;
      } else if (is_ascii_space(c)) {
        width += 1;
      }
      ++k;
      continue;
    }
    CodePoint cp = 0;
    const utf8proc_ssize_t length = utf8proc_iterate(bytes + k, static_cast<utf8proc_ssize_t>(end - k), &cp);
    if (length <= 0) {
      ++k;
      continue;
    }
    if (cp == 0x85 || cp == 0x2028 || cp == 0x2029) {
      width += 2;
    } else if (is_unicode_space(cp, *utf8proc_get_property(cp))) {
      width += 1;
    }
    k += static_cast<std::uint32_t>(length);
  }
  return std::max<std::uint32_t>(width, 1);
}

// A single letter or digit, a separator, and another: "a b", "k.i", "d 0".
bool may_have_spaced_letters(std::string_view text) {
  const std::size_t size = text.size();
  if (size < 3) return false;
  const auto is_apart = [](char c) { return !is_alnum(c) && c != '\''; };
  // A single character at i, its neighbours at i - 1 and i + 3; both ends of
  // the text count as apart.
  const auto chain_at = [&](std::size_t i) {
    return (i == 0 || is_apart(text[i - 1])) && is_alnum(text[i]) && is_spacing_separator(text[i + 1]) &&
           is_alnum(text[i + 2]) && (i + 3 == size || is_apart(text[i + 3]));
  };
  if (chain_at(0)) return true;
  std::size_t i = 1;
#if defined(__SSE2__)
  const auto* s = reinterpret_cast<const Lane*>(text.data());
  for (; i + 19 <= size; i += 16) {
    const Lanes chain = _mm_and_si128(
        _mm_and_si128(_mm_and_si128(apart(load(s + i - 1)), joinable(load(s + i))), separator(load(s + i + 1))),
        _mm_and_si128(joinable(load(s + i + 2)), apart(load(s + i + 3))));
    if (any_lane(chain)) return true;
  }
#endif
  for (; i + 2 < size; ++i) {
    if (chain_at(i)) return true;
  }
  return false;
}

// Joins letter-spaced words: "d o o d", "K.I.L.L" -> "dood", "kill".
//
// A chain is a maximal sequence of single characters (no letter or digit on
// either side) separated by one separator character each, the same one
// throughout, so "d-o-o-d k-i-l-l" stays two words. Leet digits may sit inside a
// chain ("d 0 0 d") because a lone digit token was not leet-decoded; the
// chain is trimmed to start and end with a letter, and at least half of it must
// be letters, so "1 2 3" or "stap 3 a b" do not turn into words. Only single
// characters join, so "I am a judge" stays as it is.
//
// Whitespace in the original can be wider between words than between letters
// ("w e  w e t e n  w a a r", a line break between words): when a space chain
// has separators of different widths, the wider ones stay as word breaks
// ("we weten waar").
void join_spaced_letters(NormalizedText& t, std::string_view original, bool leet) {
  const std::string& s = t.text;
  const std::size_t size = s.size();
  if (!may_have_spaced_letters(s)) return;
  const auto joinable = [&](char c) { return is_lower(c) || (leet && is_leet_digit(c)); };
  // A letter beside an apostrophe belongs to a word ("d'r", "z'n", "'t").
  const auto is_single = [&](std::size_t i) {
    return joinable(s[i]) && (i == 0 || (!is_alnum(s[i - 1]) && s[i - 1] != '\'')) &&
           (i + 1 == size || (!is_alnum(s[i + 1]) && s[i + 1] != '\''));
  };

  // Most texts have no chain at all; find the first one before touching anything.
  std::size_t start = 0;
  while (start + 2 < size && !(is_spacing_separator(s[start + 1]) && is_single(start) && is_single(start + 2))) {
    ++start;
  }
  if (start + 2 >= size) return;

  std::size_t write = start;
  std::size_t read = start;
  while (read < size) {
    if (!is_single(read)) {
      move_byte(t, read++, write++);
      continue;
    }
    std::size_t chain_end = read;  // position of the chain's last character
    const char separator = read + 1 < size ? s[read + 1] : '\0';
    while (chain_end + 2 < size && is_spacing_separator(separator) && s[chain_end + 1] == separator &&
           is_single(chain_end + 2)) {
      chain_end += 2;
    }
    std::size_t first = read;
    std::size_t last = chain_end;
    while (first < last && !is_lower(s[first])) first += 2;
    while (last > first && !is_lower(s[last])) last -= 2;
    const std::size_t count = (last - first) / 2 + 1;
    std::size_t letters = 0;
    for (std::size_t k = first; k <= last; k += 2) letters += is_lower(s[k]) ? 1 : 0;

    if (count < 3 || !is_lower(s[first]) || letters * 2 < count) {
      while (read <= chain_end) move_byte(t, read++, write++);
      continue;
    }
    // Word breaks: separators wider than the narrowest one of the chain.
    std::uint32_t narrowest = UINT32_MAX;
    std::uint32_t widest = 0;
    if (separator == ' ') {
      for (std::size_t k = first + 1; k < last; k += 2) {
        const std::uint32_t width = separator_width(t, original, k);
        narrowest = std::min(narrowest, width);
        widest = std::max(widest, width);
      }
    }
    const bool has_breaks = separator == ' ' && widest > narrowest;
    while (read < first) move_byte(t, read++, write++);
    for (std::size_t k = first; k <= last; k += 2) {
      // Each letter also owns the separator after it, so any part of the joined
      // word highlights the original stretch without gaps; a letter before a
      // word break owns nothing and the break becomes a space of its own.
      const bool breaks = has_breaks && k < last && separator_width(t, original, k + 1) > narrowest;
      const std::size_t owned_end = (k < last && !breaks) ? k + 1 : k;
      Offset end = t.source_end[k];
      std::uint8_t steps = with(t.steps[k], kDecodeSpacing);
      for (std::size_t j = k + 1; j <= owned_end; ++j) {
        end = std::max(end, t.source_end[j]);
        steps = with(steps, t.steps[j]);
      }
      char c = s[k];
      if (is_digit(c)) {
        c = leet_letter(c);
        steps = with(steps, kDecodeLeet);
      }
      const Offset begin = t.source_begin[k];
      // Read the break's source before the letter's write can reach it.
      const Offset break_begin = breaks ? t.source_begin[k + 1] : 0;
      const Offset break_end = breaks ? t.source_end[k + 1] : 0;
      t.text[write] = c;
      t.source_begin[write] = begin;
      t.source_end[write] = end;
      t.steps[write] = steps;
      ++write;
      if (breaks) {
        t.text[write] = ' ';
        t.source_begin[write] = break_begin;
        t.source_end[write] = break_end;
        t.steps[write] = kDecodeNone;
        ++write;
      }
    }
    read = last + 1;
    while (read <= chain_end) move_byte(t, read++, write++);
  }
  truncate(t, write);
}

// Three of the same letter in a row.
bool may_have_stretch(std::string_view text) {
  const std::size_t size = text.size();
  std::size_t i = 0;
#if defined(__SSE2__)
  const auto* s = reinterpret_cast<const Lane*>(text.data());
  for (; i + 18 <= size; i += 16) {
    const Lanes here = load(s + i);
    const Lanes run = _mm_and_si128(_mm_cmpeq_epi8(here, load(s + i + 1)), _mm_cmpeq_epi8(here, load(s + i + 2)));
    if (any_lane(_mm_and_si128(run, in_range(here, 'a', 'z')))) return true;
  }
#endif
  for (; i + 2 < size; ++i) {
    if (text[i] == text[i + 1] && text[i] == text[i + 2] && is_lower(text[i])) return true;
  }
  return false;
}

// Squeezes runs of three or more identical letters to two: "doooood" ->
// "dood". Two, not one, because Dutch and English spell with double letters
// ("dood", "kill"); a stretched word then meets its dictionary form. Dutch
// "zeeën" folds to "zeeen" and squeezes to "zeen", identically in terms and
// texts, so matching is unaffected.
void squeeze_repeats(NormalizedText& t) {
  const std::string& s = t.text;
  const std::size_t size = s.size();
  if (!may_have_stretch(s)) return;
  // Most texts have no such run; find the first one before touching anything.
  std::size_t start = 0;
  while (start + 2 < size && !(s[start] == s[start + 1] && s[start] == s[start + 2] && is_lower(s[start]))) {
    ++start;
  }
  if (start + 2 >= size) return;
  t.squeezed = true;

  std::size_t write = start;
  std::size_t read = start;
  while (read < size) {
    const char c = s[read];
    std::size_t run_end = read + 1;
    if (is_lower(c)) {
      while (run_end < size && s[run_end] == c) ++run_end;
    }
    if (run_end - read < 3) {
      while (read < run_end) move_byte(t, read++, write++);
      continue;
    }
    // The first kept letter covers all but the last original letter, the second
    // covers the last, so the pair spans the whole run.
    std::uint8_t steps = kDecodeRepeat;
    Offset first_end = 0;
    for (std::size_t k = read; k < run_end; ++k) {
      steps = with(steps, t.steps[k]);
      if (k + 1 < run_end) first_end = std::max(first_end, t.source_end[k]);
    }
    const Offset first_begin = t.source_begin[read];
    const Offset last_begin = t.source_begin[run_end - 1];
    const Offset last_end = t.source_end[run_end - 1];
    t.text[write] = c;
    t.source_begin[write] = first_begin;
    t.source_end[write] = first_end;
    t.steps[write] = steps;
    ++write;
    t.text[write] = c;
    t.source_begin[write] = last_begin;
    t.source_end[write] = last_end;
    t.steps[write] = steps;
    ++write;
    read = run_end;
  }
  truncate(t, write);
}

}  // namespace

void Normalizer::normalize(std::string_view original, NormalizedText& out) {
  out.clear();
  // Offsets are 32-bit; posts are capped far below this by the parser.
  if (original.size() > std::numeric_limits<Offset>::max()) {
    original = original.substr(0, std::numeric_limits<Offset>::max());
  }
  if (is_plain_ascii(original)) {
    copy_plain_ascii(original, out);
  } else {
    decode_code_points(original, options_, out);
  }
  // Each pass is a read-only scan unless it finds something to rewrite.
  if (options_.leet) apply_leet(out);
  if (options_.spacing) join_spaced_letters(out, original, options_.leet);
  if (options_.squeeze_repeats) squeeze_repeats(out);
}

namespace {

constexpr bool is_vowel(char c) {
  return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u';
}

bool squeezed_pair_at(const NormalizedText& t, std::size_t i) {
  return i + 1 < t.text.size() && t.text[i] == t.text[i + 1] && (t.steps[i] & kDecodeRepeat) != 0 &&
         (t.steps[i + 1] & kDecodeRepeat) != 0;
}

bool collapses(char c, Normalizer::Stretch which) {
  switch (which) {
    case Normalizer::Stretch::kAll: return true;
    case Normalizer::Stretch::kConsonants: return !is_vowel(c);
    case Normalizer::Stretch::kVowels: return is_vowel(c);
  }
  return true;
}

}  // namespace

std::uint8_t Normalizer::stretched_kinds(const NormalizedText& in) {
  std::uint8_t kinds = 0;
  for (std::size_t i = 0; i < in.text.size(); ++i) {
    if ((in.steps[i] & kDecodeRepeat) == 0 || !squeezed_pair_at(in, i)) continue;
    kinds = static_cast<std::uint8_t>(kinds | (is_vowel(in.text[i]) ? kStretchedVowel : kStretchedConsonant));
    ++i;
  }
  return kinds;
}

bool Normalizer::collapse_stretched(const NormalizedText& in, NormalizedText& out, Stretch which) {
  out.clear();
  if (!in.squeezed) return false;
  const std::size_t size = in.text.size();
  auto collapsible_at = [&](std::size_t i) { return squeezed_pair_at(in, i) && collapses(in.text[i], which); };
  std::size_t first = 0;
  while (first < size && !collapsible_at(first)) ++first;
  if (first == size) return false;
  out.text.reserve(size);
  out.source_begin.reserve(size);
  out.source_end.reserve(size);
  out.steps.reserve(size);
  for (std::size_t i = 0; i < size; ++i) {
    out.text.push_back(in.text[i]);
    out.source_begin.push_back(in.source_begin[i]);
    out.source_end.push_back(in.source_end[i]);
    out.steps.push_back(in.steps[i]);
    if (i >= first && squeezed_pair_at(in, i)) {
      // A pair is squeezed as a whole: either one letter for both, or both kept.
      if (collapses(in.text[i], which)) {
        out.source_end.back() = std::max(in.source_end[i], in.source_end[i + 1]);
      } else {
        out.text.push_back(in.text[i + 1]);
        out.source_begin.push_back(in.source_begin[i + 1]);
        out.source_end.push_back(in.source_end[i + 1]);
        out.steps.push_back(in.steps[i + 1]);
      }
      ++i;
    }
  }
  return true;
}

std::string Normalizer::normalize_term(std::string_view term) {
  normalize(term, scratch_);
  return scratch_.text;
}

}  // namespace wachtpost
