#include "normalize/normalizer.hpp"

#include <gtest/gtest.h>
#include <utf8proc.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

using wachtpost::decode_step_names;
using wachtpost::kDecodeHomoglyph;
using wachtpost::kDecodeInvisible;
using wachtpost::kDecodeLeet;
using wachtpost::kDecodeNone;
using wachtpost::kDecodeRepeat;
using wachtpost::kDecodeSpacing;
using wachtpost::kDecodeUnicode;
using wachtpost::NormalizedText;
using wachtpost::Normalizer;
using wachtpost::NormalizerOptions;

namespace {

// Checks the invariants every normalisation must keep, whatever the input.
void expect_consistent(std::string_view original, const NormalizedText& out) {
  ASSERT_EQ(out.source_begin.size(), out.text.size());
  ASSERT_EQ(out.source_end.size(), out.text.size());
  ASSERT_EQ(out.steps.size(), out.text.size());
  for (std::size_t i = 0; i < out.text.size(); ++i) {
    EXPECT_LT(out.source_begin[i], out.source_end[i]) << "byte " << i;
    EXPECT_LE(out.source_end[i], original.size()) << "byte " << i;
    if (i > 0) {
      EXPECT_LE(out.source_begin[i - 1], out.source_begin[i]) << "byte " << i;
    }
  }
  if (!out.text.empty()) {
    EXPECT_NE(out.text.front(), ' ');
    EXPECT_NE(out.text.back(), ' ');
  }
  EXPECT_EQ(out.text.find("  "), std::string::npos);
  // The output is valid UTF-8.
  const auto* bytes = reinterpret_cast<const utf8proc_uint8_t*>(out.text.data());
  std::size_t i = 0;
  while (i < out.text.size()) {
    utf8proc_int32_t cp = 0;
    const utf8proc_ssize_t length =
        utf8proc_iterate(bytes + i, static_cast<utf8proc_ssize_t>(out.text.size() - i), &cp);
    ASSERT_GT(length, 0) << "invalid UTF-8 at output byte " << i;
    i += static_cast<std::size_t>(length);
  }
}

std::string normalized(std::string_view original, NormalizerOptions options = {}) {
  Normalizer normalizer(options);
  NormalizedText out;
  normalizer.normalize(original, out);
  expect_consistent(original, out);
  return out.text;
}

struct Mapped {
  std::string original;  // the original bytes the needle maps back to
  std::uint8_t steps;
};

// Normalises `original`, finds `needle` in the result and maps it back.
Mapped map_back(std::string_view original, std::string_view needle, NormalizerOptions options = {}) {
  Normalizer normalizer(options);
  NormalizedText out;
  normalizer.normalize(original, out);
  expect_consistent(original, out);
  const std::size_t at = out.text.find(needle);
  if (at == std::string::npos) {
    ADD_FAILURE() << "'" << needle << "' not in '" << out.text << "'";
    return {"", kDecodeNone};
  }
  const auto span = out.to_source(static_cast<std::uint32_t>(at), static_cast<std::uint32_t>(at + needle.size()));
  return {std::string(original.substr(span.begin, span.end - span.begin)), span.steps};
}

}  // namespace

// --- decode_step_names -------------------------------------------------------

TEST(DecodeStepNames, NoneIsEmpty) {
  EXPECT_TRUE(decode_step_names(kDecodeNone).empty());
}

TEST(DecodeStepNames, AllInFixedOrder) {
  const std::vector<std::string_view> expected{"unicode", "invisible", "leet", "spacing", "repeat", "homoglyph"};
  EXPECT_EQ(decode_step_names(0x3F), expected);
}

TEST(DecodeStepNames, SubsetKeepsOrder) {
  const std::vector<std::string_view> expected{"leet", "homoglyph"};
  EXPECT_EQ(decode_step_names(kDecodeHomoglyph | kDecodeLeet), expected);
}

// --- basics and the ASCII fast path -------------------------------------------

TEST(Normalize, EmptyString) {
  Normalizer normalizer;
  NormalizedText out;
  normalizer.normalize("", out);
  EXPECT_TRUE(out.text.empty());
  EXPECT_TRUE(out.source_begin.empty());
  EXPECT_TRUE(out.steps.empty());
}

TEST(Normalize, WhitespaceOnlyIsEmpty) {
  EXPECT_EQ(normalized(" \t\n\u00A0\u3000 "), "");
}

TEST(Normalize, AsciiIdentityMapping) {
  const std::string original = "Hello World, Ik GA naar huis.";
  Normalizer normalizer;
  NormalizedText out;
  normalizer.normalize(original, out);
  EXPECT_EQ(out.text, "hello world, ik ga naar huis.");
  ASSERT_EQ(out.text.size(), original.size());
  for (std::uint32_t i = 0; i < out.text.size(); ++i) {
    EXPECT_EQ(out.source_begin[i], i);
    EXPECT_EQ(out.source_end[i], i + 1);
    EXPECT_EQ(out.steps[i], kDecodeNone);
  }
}

TEST(Normalize, AsciiMappingSurvivesWhitespaceCollapse) {
  const Mapped m = map_back("ik\t\tga  naar\nhuis", "naar huis");
  EXPECT_EQ(m.original, "naar\nhuis");
  EXPECT_EQ(m.steps, kDecodeNone);
}

TEST(Normalize, ReusedOutputKeepsCapacity) {
  Normalizer normalizer;
  NormalizedText out;
  const std::string text = "Ik ga die R3CHT3R afmaken, d o o d!! Rechtér ki\u200Bll кill";
  normalizer.normalize(text, out);
  const std::string first = out.text;
  const auto text_capacity = out.text.capacity();
  const auto begin_capacity = out.source_begin.capacity();
  const auto* data = out.source_begin.data();
  normalizer.normalize(text, out);
  EXPECT_EQ(out.text, first);
  EXPECT_EQ(out.text.capacity(), text_capacity);
  EXPECT_EQ(out.source_begin.capacity(), begin_capacity);
  EXPECT_EQ(out.source_begin.data(), data);
}

TEST(Normalize, ToSourceClampsOutOfRange) {
  Normalizer normalizer;
  NormalizedText out;
  normalizer.normalize("abc", out);
  const auto past = out.to_source(5, 9);
  EXPECT_EQ(past.begin, 3U);
  EXPECT_EQ(past.end, 3U);
  const auto clamped = out.to_source(1, 100);
  EXPECT_EQ(clamped.begin, 1U);
  EXPECT_EQ(clamped.end, 3U);
  NormalizedText empty;
  EXPECT_EQ(empty.to_source(0, 1).end, 0U);
}

// --- Unicode folding ----------------------------------------------------------

TEST(Unicode, DiacriticsStripped) {
  EXPECT_EQ(normalized("Rechtér"), "rechter");
  EXPECT_EQ(normalized("ÉËÏÖÜ çà"), "eeiou ca");
}

TEST(Unicode, MultiByteSpanCoversWholeCharacter) {
  const std::string original = "Rechtér";  // é is bytes 5..6
  Normalizer normalizer;
  NormalizedText out;
  normalizer.normalize(original, out);
  ASSERT_EQ(out.text, "rechter");
  EXPECT_EQ(out.source_begin[5], 5U);
  EXPECT_EQ(out.source_end[5], 7U);
  EXPECT_EQ(out.steps[5], kDecodeUnicode);
  EXPECT_EQ(out.steps[4], kDecodeNone);
  EXPECT_EQ(out.source_begin[6], 7U);  // the 'r' after the é
  const Mapped m = map_back(original, "rechter");
  EXPECT_EQ(m.original, original);
  EXPECT_EQ(m.steps, kDecodeUnicode);
}

TEST(Unicode, Fullwidth) {
  const Mapped m = map_back("ik ｋｉｌｌ je", "kill");
  EXPECT_EQ(m.original, "ｋｉｌｌ");
  EXPECT_EQ(m.steps, kDecodeUnicode);
}

TEST(Unicode, LigatureExpandsToTwoBytesOfOneSource) {
  const std::string original = "\uFB01ets";  // ﬁets
  Normalizer normalizer;
  NormalizedText out;
  normalizer.normalize(original, out);
  ASSERT_EQ(out.text, "fiets");
  EXPECT_EQ(out.source_begin[0], 0U);
  EXPECT_EQ(out.source_end[0], 3U);
  EXPECT_EQ(out.source_begin[1], 0U);
  EXPECT_EQ(out.source_end[1], 3U);
  EXPECT_EQ(map_back(original, "i").original, "\uFB01");
}

TEST(Unicode, SharpS) {
  EXPECT_EQ(normalized("Straße STRAẞE"), "strasse strasse");
}

TEST(Unicode, MathematicalAndCircledLetters) {
  EXPECT_EQ(normalized("\U0001D424\U0001D422\U0001D425\U0001D425"), "kill");  // bold 𝐤𝐢𝐥𝐥
  EXPECT_EQ(normalized("ⓓⓞⓞⓓ"), "dood");
}

TEST(Unicode, CombiningMarkExtendsPreviousByte) {
  const std::string original = "cafe\u0301 open";  // decomposed é
  const Mapped m = map_back(original, "cafe");
  EXPECT_EQ(m.original, "cafe\u0301");
  EXPECT_EQ(m.steps, kDecodeUnicode);
  EXPECT_EQ(normalized(original), "cafe open");
}

TEST(Unicode, TypographicPunctuationLumped) {
  EXPECT_EQ(normalized("don\u2019t Anne\u2013Marie"), "don't anne-marie");
}

TEST(Unicode, OtherScriptsKept) {
  EXPECT_EQ(normalized("日本語 🔥"), "日本語 🔥");
  EXPECT_EQ(normalized("한국어"), "한국어");  // Hangul recomposes after decomposition
}

TEST(Unicode, InvalidUtf8DoesNotCrash) {
  EXPECT_EQ(normalized("ab\xFF"
                       "cd"),
            "ab\uFFFDcd");
}

// --- invisible characters -----------------------------------------------------

TEST(Invisible, ZeroWidthInsideWord) {
  const std::string original = "ki\u200Bll";
  EXPECT_EQ(normalized(original), "kill");
  const Mapped m = map_back(original, "kill");
  EXPECT_EQ(m.original, original);
  EXPECT_EQ(m.steps, kDecodeInvisible);
}

TEST(Invisible, NextByteCarriesTheStep) {
  Normalizer normalizer;
  NormalizedText out;
  normalizer.normalize("ki\u200Bll", out);
  ASSERT_EQ(out.text, "kill");
  EXPECT_EQ(out.steps[1], kDecodeNone);
  EXPECT_EQ(out.steps[2], kDecodeInvisible);
  EXPECT_EQ(out.source_end[1], 5U);  // the 'i' now covers the removed bytes
  // A match ending before the gap still highlights up to it.
  EXPECT_EQ(map_back("ki\u200Bll", "ki").original, "ki\u200B");
}

TEST(Invisible, AllKindsRemoved) {
  for (const std::string_view invisible :
       {"\u200B", "\u200C", "\u200D", "\u2060", "\uFEFF", "\u00AD", "\u200E", "\u200F", "\u202A", "\u202E", "\u2066",
        "\u2069", "\uFE0F", "\U000E0041", "\u3164", "\x01"}) {
    const std::string original = "d" + std::string(invisible) + "ood";
    EXPECT_EQ(normalized(original), "dood") << original;
    const Mapped m = map_back(original, "dood");
    EXPECT_EQ(m.original, original);
    EXPECT_EQ(m.steps, kDecodeInvisible);
  }
}

TEST(Invisible, AtWordStartAndEnd) {
  const Mapped start = map_back("ik \uFEFFkill", "kill");
  EXPECT_EQ(start.original, "\uFEFFkill");
  EXPECT_EQ(start.steps, kDecodeInvisible);
  const Mapped end = map_back("kill\u200B nu", "kill");
  EXPECT_EQ(end.original, "kill\u200B");
  EXPECT_EQ(end.steps, kDecodeInvisible);
}

TEST(Invisible, BetweenWordsLeavesOneSpace) {
  EXPECT_EQ(normalized("ik \u200B ga"), "ik ga");
  EXPECT_EQ(normalized("\u200B\u200B"), "");
}

// --- whitespace ---------------------------------------------------------------

TEST(Whitespace, RunsCollapseAndEndsDrop) {
  EXPECT_EQ(normalized("  ik\t\n ga\u00A0\u3000weg\u2028nu\u0085 "), "ik ga weg nu");
  const Mapped m = map_back("ik\u00A0\u00A0ga", "ik ga");
  EXPECT_EQ(m.original, "ik\u00A0\u00A0ga");
  EXPECT_EQ(m.steps, kDecodeNone);
}

// --- homoglyphs -----------------------------------------------------------------

TEST(Homoglyph, CyrillicK) {
  const std::string original = "\u043Aill";  // Cyrillic к
  EXPECT_EQ(normalized(original), "kill");
  const Mapped k = map_back(original, "k");
  EXPECT_EQ(k.original, "\u043A");
  EXPECT_EQ(k.steps, kDecodeHomoglyph);
  EXPECT_EQ(map_back(original, "kill").original, original);
}

TEST(Homoglyph, CyrillicAndGreekWords) {
  EXPECT_EQ(normalized("\u0440\u0435\u0441\u0445\u0442\u0435\u0440"), "pecxtep");
  EXPECT_EQ(normalized("\u041A\u0406LL"), "kill");            // Cyrillic capitals К І
  EXPECT_EQ(normalized("\u039A\u0399LL"), "kill");            // Greek capitals Κ Ι
  EXPECT_EQ(normalized("d\u03BF\u03BFd"), "dood");            // Greek ο
  EXPECT_EQ(normalized("\u0397\u0391NG"), "hang");            // capital eta reads as H
  EXPECT_EQ(normalized("\u1D0B\u026A\u029F\u029F"), "kill");  // small capitals ᴋɪʟʟ
}

TEST(Homoglyph, AccentedLookAlike) {
  // ё decomposes to е + mark, then е maps to e.
  const Mapped m = map_back("b\u0451d", "bed");
  EXPECT_EQ(m.steps, kDecodeUnicode | kDecodeHomoglyph);
}

TEST(Homoglyph, OptionOff) {
  NormalizerOptions options;
  options.homoglyphs = false;
  EXPECT_EQ(normalized("\u043Aill", options), "\u043Aill");
  EXPECT_EQ(normalized("\u041Aill", options), "\u043Aill");  // still case-folded
}

// --- leetspeak ------------------------------------------------------------------

TEST(Leet, RechterMapsBack) {
  const std::string original = "Ik ga die R3CHT3R afmaken";
  EXPECT_EQ(normalized(original), "ik ga die rechter afmaken");
  const Mapped m = map_back(original, "rechter");
  EXPECT_EQ(m.original, "R3CHT3R");
  EXPECT_EQ(m.steps, kDecodeLeet);
  const Mapped plain = map_back(original, "afmaken");
  EXPECT_EQ(plain.original, "afmaken");
  EXPECT_EQ(plain.steps, kDecodeNone);
}

TEST(Leet, Table) {
  EXPECT_EQ(normalized("0p 1k 3t 4f 5p 7e 8e"), "op ik et af sp te be");
  EXPECT_EQ(normalized("$hit h@ng h@@r"), "shit hang haar");
  EXPECT_EQ(normalized("k!ll sch!et"), "kill schiet");
  EXPECT_EQ(normalized("k|ap ki||"), "klap kill");
}

TEST(Leet, PureNumbersStay) {
  EXPECT_EQ(normalized("2024 100 3 $5 12:30 1.000.000"), "2024 100 3 $5 12:30 1.000.000");
}

TEST(Leet, ExclamationAtEndStays) {
  EXPECT_EQ(normalized("kill!"), "kill!");
  EXPECT_EQ(normalized("k!ll!!"), "kill!!");
  EXPECT_EQ(normalized("!kill"), "!kill");
}

TEST(Leet, LeadingAtIsAMention) {
  Normalizer normalizer;
  EXPECT_EQ(normalized("@annadewit"), "@annadewit");
  EXPECT_EQ(normalizer.normalize_term("@AnnaDeWit"), normalized("hoi @annadewit").substr(4));
}

TEST(Leet, OptionOff) {
  NormalizerOptions options;
  options.leet = false;
  EXPECT_EQ(normalized("R3CHT3R k!ll d 0 0 d", options), "r3cht3r k!ll d 0 0 d");
}

// --- letter spacing -------------------------------------------------------------

TEST(Spacing, JoinsSingleLetters) {
  EXPECT_EQ(normalized("d o o d"), "dood");
  EXPECT_EQ(normalized("K I L L"), "kill");
  EXPECT_EQ(normalized("d.o.o.d"), "dood");
  EXPECT_EQ(normalized("d-o-o-d d_o_o_d d*o*o*d"), "dood dood dood");
  EXPECT_EQ(normalized("i k g a"), "ikga");  // joined by design
}

TEST(Spacing, SpanCoversLettersAndSeparators) {
  const std::string original = "ik maak je d o o d nu";
  EXPECT_EQ(normalized(original), "ik maak je dood nu");
  const Mapped m = map_back(original, "dood");
  EXPECT_EQ(m.original, "d o o d");
  EXPECT_EQ(m.steps, kDecodeSpacing);
  const Mapped part = map_back(original, "doo");
  EXPECT_EQ(part.original, "d o o ");
  const Mapped after = map_back(original, "nu");
  EXPECT_EQ(after.original, "nu");
  EXPECT_EQ(after.steps, kDecodeNone);
}

TEST(Spacing, TrailingPunctuationStays) {
  EXPECT_EQ(normalized("k i l l!"), "kill!");
  EXPECT_EQ(normalized("a.s.a.p. graag"), "asap. graag");
}

TEST(Spacing, LeaveWordsAlone) {
  EXPECT_EQ(normalized("I am a judge"), "i am a judge");
  EXPECT_EQ(normalized("a b"), "a b");
  EXPECT_EQ(normalized("e.g. x"), "e.g. x");
  EXPECT_EQ(normalized("J. R. R. Tolkien"), "j. r. r. tolkien");
  EXPECT_EQ(normalized("1 2 3"), "1 2 3");
  EXPECT_EQ(normalized("Anne-Marie de Wit"), "anne-marie de wit");
}

TEST(Spacing, ALetterBesideAnApostropheBelongsToItsWord) {
  EXPECT_EQ(normalized("we maken d'r k a p o t"), "we maken d'r kapot");
  EXPECT_EQ(normalized("z'n k i n d"), "z'n kind");
  EXPECT_EQ(normalized("'t h u i s"), "'t huis");
}

TEST(Spacing, LeetDigitsInsideARun) {
  const Mapped m = map_back("ik maak je d 0 0 d", "dood");
  EXPECT_EQ(m.original, "d 0 0 d");
  EXPECT_EQ(m.steps, kDecodeSpacing | kDecodeLeet);
  EXPECT_EQ(normalized("stap 3 a b"), "stap 3 a b");
}

TEST(Spacing, OptionOff) {
  NormalizerOptions options;
  options.spacing = false;
  EXPECT_EQ(normalized("d o o d", options), "d o o d");
}

TEST(Spacing, WithUnicodeSeparators) {
  const std::string original = "k\u00A0i\u00A0l\u00A0l";
  const Mapped m = map_back(original, "kill");
  EXPECT_EQ(m.original, original);
  EXPECT_EQ(m.steps, kDecodeSpacing);
}

TEST(Spacing, WiderWhitespaceBetweenWordsKeepsTheWords) {
  EXPECT_EQ(normalized("w e  w e t e n  w a a r  j e  w o o n t"), "we weten waar je woont");
  EXPECT_EQ(normalized("w e  w e t e n  w a a r  j e  w o o n t  Sanne Bakker"), "we weten waar je woont sanne bakker");
  EXPECT_EQ(normalized("i k\ng a\nj e\nd o o d\nm a k e n"), "ik ga je dood maken");
  EXPECT_EQ(normalized("i k \u00A0 g a"), "ik ga");
  // Every gap equally wide: one word, as with single spaces.
  EXPECT_EQ(normalized("d  o  o  d"), "dood");
  EXPECT_EQ(normalized("i k g a"), "ikga");
}

TEST(Spacing, WordBreakMapsBackToItsWhitespace) {
  const std::string original = "w e  w e t e n  w a a r";
  EXPECT_EQ(normalized(original), "we weten waar");
  const Mapped word = map_back(original, "weten");
  EXPECT_EQ(word.original, "w e t e n");
  EXPECT_EQ(word.steps, kDecodeSpacing);
  EXPECT_EQ(map_back(original, "we ").original, "w e  ");
  EXPECT_EQ(map_back(original, "weten waar").original, "w e t e n  w a a r");
}

TEST(Spacing, InsideASentence) {
  const std::string original = "that prosecutor is gonna get b e a t e n to a pulp";
  EXPECT_EQ(normalized(original), "that prosecutor is gonna get beaten to a pulp");
  const Mapped m = map_back(original, "beaten");
  EXPECT_EQ(m.original, "b e a t e n");
  EXPECT_EQ(m.steps, kDecodeSpacing);
  EXPECT_EQ(map_back(original, "to a pulp").steps, kDecodeNone);
  EXPECT_EQ(normalized("je gaat d o o d. echt"), "je gaat dood. echt");
}

// --- repeated letters ------------------------------------------------------------

TEST(Repeat, SqueezedToTwo) {
  EXPECT_EQ(normalized("doooood"), "dood");
  EXPECT_EQ(normalized("killlll"), "kill");
  EXPECT_EQ(normalized("aaaargh"), "aargh");
  EXPECT_EQ(normalized("DOOOOOD"), "dood");
}

TEST(Repeat, RunsOfTwoStay) {
  EXPECT_EQ(normalized("dood kill zee"), "dood kill zee");
  EXPECT_EQ(normalized("!!!!! 1000"), "!!!!! 1000");
}

TEST(Repeat, SpanCoversWholeRun) {
  const std::string original = "je bent doooood";
  const Mapped m = map_back(original, "dood");
  EXPECT_EQ(m.original, "doooood");
  EXPECT_EQ(m.steps, kDecodeRepeat);
  const Mapped oo = map_back(original, "oo");
  EXPECT_EQ(oo.original, "ooooo");
  EXPECT_EQ(map_back(original, "od").original, "od");
}

TEST(Repeat, OptionOff) {
  NormalizerOptions options;
  options.squeeze_repeats = false;
  EXPECT_EQ(normalized("doooood", options), "doooood");
}

// The further readings a caller scans for stretched text (PostProcessor).
std::string reading(std::string_view original, Normalizer::Stretch which) {
  Normalizer normalizer;
  NormalizedText first;
  normalizer.normalize(original, first);
  NormalizedText out;
  if (!Normalizer::collapse_stretched(first, out, which)) return "<none>";
  expect_consistent(original, out);
  return out.text;
}

TEST(Repeat, CollapsedReadings) {
  using S = Normalizer::Stretch;
  EXPECT_EQ(reading("doooood afmaaaken", S::kAll), "dod afmaken");
  EXPECT_EQ(reading("dood afmaken", S::kAll), "<none>");
  // Stretched double vowels next to stretched single consonants.
  const std::string mixed = "We wetennnn waarrrr je woooont";
  EXPECT_EQ(normalized(mixed), "we wetenn waarr je woont");
  EXPECT_EQ(reading(mixed, S::kAll), "we weten waar je wont");
  EXPECT_EQ(reading(mixed, S::kConsonants), "we weten waar je woont");
  EXPECT_EQ(reading(mixed, S::kVowels), "we wetenn waarr je wont");
  EXPECT_EQ(reading("ik ga je zo hard slaaaaaaan", S::kConsonants), "<none>");
  // The mirror: a single vowel and a double consonant, both stretched.
  EXPECT_EQ(reading("i will kiiiilllll you", S::kVowels), "i will kill you");
  EXPECT_EQ(reading("i will kiiiilllll you", S::kConsonants), "i will kiil you");
}

TEST(Repeat, StretchedKinds) {
  Normalizer normalizer;
  NormalizedText out;
  const auto kinds = [&](std::string_view text) {
    normalizer.normalize(text, out);
    return Normalizer::stretched_kinds(out);
  };
  EXPECT_EQ(kinds("dood kill"), 0);
  EXPECT_EQ(kinds(""), 0);
  EXPECT_EQ(kinds("doooood"), Normalizer::kStretchedVowel);
  EXPECT_EQ(kinds("killlll"), Normalizer::kStretchedConsonant);
  EXPECT_EQ(kinds("wetennnn woooont"), Normalizer::kStretchedVowel | Normalizer::kStretchedConsonant);
}

TEST(Repeat, CollapsedReadingMapsBack) {
  const std::string original = "we wetennnn waar je woooont";
  Normalizer normalizer;
  NormalizedText first;
  normalizer.normalize(original, first);
  NormalizedText out;
  ASSERT_TRUE(Normalizer::collapse_stretched(first, out, Normalizer::Stretch::kConsonants));
  const auto at = static_cast<std::uint32_t>(out.text.find("weten waar je woont"));
  ASSERT_NE(at, static_cast<std::uint32_t>(std::string::npos));
  const auto span = out.to_source(at, at + 19);
  EXPECT_EQ(original.substr(span.begin, span.end - span.begin), "wetennnn waar je woooont");
  EXPECT_EQ(span.steps, kDecodeRepeat);
  const auto n = static_cast<std::uint32_t>(out.text.find("n waar"));
  const auto n_span = out.to_source(n, n + 1);
  EXPECT_EQ(original.substr(n_span.begin, n_span.end - n_span.begin), "nnnn");
  const auto oo = static_cast<std::uint32_t>(out.text.find("oont"));
  EXPECT_EQ(original.substr(out.to_source(oo, oo + 2).begin, 4), "oooo");
}

// --- combinations and terms ----------------------------------------------------

TEST(Combined, StepsAccumulate) {
  const std::string original = "ｋ1\u200Blllll";
  EXPECT_EQ(normalized(original), "kill");
  const Mapped m = map_back(original, "kill");
  EXPECT_EQ(m.original, original);
  EXPECT_EQ(m.steps, kDecodeUnicode | kDecodeLeet | kDecodeInvisible | kDecodeRepeat);
}

TEST(Combined, AllOptionsOffStillFolds) {
  NormalizerOptions options{false, false, false, false};
  EXPECT_EQ(normalized("  Rechtér  R3CHT3R d o o d ki\u200Bll  ", options), "rechter r3cht3r d o o d kill");
}

TEST(Term, SamePipelineAsText) {
  Normalizer normalizer;
  EXPECT_EQ(normalizer.normalize_term("Anne-Marie de Wit"), "anne-marie de wit");
  EXPECT_EQ(normalizer.normalize_term("  Fréderique   Müller "), "frederique muller");
  EXPECT_EQ(normalizer.normalize_term(""), "");
}

// --- size -----------------------------------------------------------------------

TEST(Large, TwoMegabyteTexts) {
  const std::string chunk = "Ik ga die R3CHT3R afmaken, d o o d!! Rechtér ki\u200Bll \u043Aill ｋｉｌｌ ";
  std::string mixed;
  while (mixed.size() < 2'000'000) mixed += chunk;
  std::string ascii;
  while (ascii.size() < 2'000'000) ascii += "hello world this is plain text ";
  ascii.pop_back();
  const std::string spaced = [] {
    std::string s;
    while (s.size() < 2'000'000) s += "a ";
    return s;
  }();
  const std::string repeated(2'000'000, 'o');
  const std::string invisible = [] {
    std::string s = "k";
    while (s.size() < 2'000'000) s += "\u200B";
    return s + "ill";
  }();

  Normalizer normalizer;
  NormalizedText out;
  normalizer.normalize(mixed, out);
  expect_consistent(mixed, out);
  EXPECT_GT(out.text.size(), 1'000'000U);
  normalizer.normalize(ascii, out);
  EXPECT_EQ(out.text.size(), ascii.size());
  normalizer.normalize(spaced, out);
  EXPECT_EQ(out.text.size(), 2U);  // one huge letter-spaced run of 'a', squeezed
  expect_consistent(spaced, out);
  normalizer.normalize(repeated, out);
  EXPECT_EQ(out.text, "oo");
  normalizer.normalize(invisible, out);
  EXPECT_EQ(out.text, "kill");
  EXPECT_EQ(out.to_source(0, 4).end, invisible.size());
}

// --- Prechecks at every position ---------------------------------------------
// Each stage-2 pass first checks 16 bytes at a time whether it has anything to
// do (normalizer.cpp). Every evasion must still be read wherever it sits in a
// long text: at either end, and across every offset of the 16-byte blocks.

TEST(Prechecks, EveryEvasionIsReadAtEveryPositionOfALongText) {
  struct Case {
    std::string_view evasion;
    std::string_view reads_as;
  };
  const Case cases[] = {
      {"k1ll", "kill"},    {"h@@t", "haat"},    {"d o o d", "dood"}, {"K.I.L.L", "kill"},
      {"d-0-0-d", "dood"}, {"doooood", "dood"}, {"k!ll", "kill"},    {"ki||", "kill"},
      {"a  b", "a b"},     {"TOTAL", "total"},  {"mé", "me"},        {"s t r a f", "straf"},
  };
  for (const auto& c : cases) {
    // A filler of one letter would rightly join a letter-spaced word.
    for (std::size_t before = 0; before <= 40; before += before == 0 ? 2 : 1) {
      for (const std::size_t after : {std::size_t{0}, std::size_t{2}, std::size_t{17}, std::size_t{33}}) {
        std::string text(before, 'x');
        if (before > 0) text += ' ';
        text += c.evasion;
        if (after > 0) text += ' ' + std::string(after, 'y');
        const std::string out = normalized(text);
        std::string expected(before, 'x');
        if (before > 0) expected += ' ';
        expected += c.reads_as;
        if (after > 0) expected += ' ' + std::string(after, 'y');
        // Runs of x or y themselves squeeze to two.
        std::string squeezed;
        for (const char ch : expected) {
          if (squeezed.size() >= 2 && ch != ' ' && squeezed[squeezed.size() - 1] == ch &&
              squeezed[squeezed.size() - 2] == ch) {
            continue;
          }
          squeezed += ch;
        }
        EXPECT_EQ(out, squeezed) << "'" << text << "'";
      }
    }
  }
}
