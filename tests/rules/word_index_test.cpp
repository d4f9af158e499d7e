// WordIndex (the evaluator's constant-time word counts) against the
// byte-by-byte definitions it replaces, on random texts long enough to cross
// its 64-byte blocks.

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <string_view>

#include "rules/rule_evaluator.hpp"

namespace wachtpost {
namespace {

bool any_of_in(std::string_view text, std::uint32_t from, std::uint32_t to, std::string_view marks) {
  for (std::uint32_t i = from; i < to && i < text.size(); ++i) {
    if (marks.find(text[i]) != std::string_view::npos) return true;
  }
  return false;
}

std::string random_text(std::mt19937& random, std::size_t size) {
  static constexpr std::string_view kBytes = "ab  .,!?;:x";
  std::uniform_int_distribution<std::size_t> pick(0, kBytes.size() - 1);
  std::string text(size, ' ');
  for (auto& c : text) c = kBytes[pick(random)];
  return text;
}

TEST(WordIndex, CountsAndMarksAgreeWithTheByteByByteDefinitions) {
  std::mt19937 random(20261120);
  WordIndex index;
  for (const std::size_t size : {0U, 1U, 2U, 63U, 64U, 65U, 127U, 128U, 129U, 200U, 300U}) {
    for (int round = 0; round < 3; ++round) {
      const std::string text = random_text(random, size);
      index.build(text);
      const auto end = static_cast<std::uint32_t>(size + 2);  // also past the end
      for (std::uint32_t a = 0; a <= end; a += 3) {
        for (std::uint32_t b = a; b <= end; b += 2) {
          ASSERT_EQ(index.words_between(0, a, b, b + 1), words_between(text, 0, a, b, b + 1))
              << text << " " << a << " " << b;
          ASSERT_EQ(index.words_between(b, b + 1, 0, a), words_between(text, b, b + 1, 0, a));
          ASSERT_EQ(index.sentence_break_in(a, b), any_of_in(text, a, b, ".!?")) << text << " " << a << " " << b;
          ASSERT_EQ(index.clause_break_in(a, b), any_of_in(text, a, b, ".!?,:;")) << text << " " << a << " " << b;
        }
      }
    }
  }
}

// around(from, to, n) holds every space-separated word with at most n words
// between it and [from, to), and starts and ends at word boundaries.
TEST(WordIndex, AroundHoldsEveryWordWithinTheDistance) {
  std::mt19937 random(7);
  WordIndex index;
  for (const std::size_t size : {1U, 5U, 64U, 65U, 130U, 257U}) {
    const std::string text = random_text(random, size);
    index.build(text);
    const auto n = static_cast<std::uint32_t>(size);
    for (std::uint32_t from = 0; from < n; ++from) {
      for (std::uint32_t to = from + 1; to <= std::min(n, from + 9); ++to) {
        for (const std::uint32_t words : {0U, 1U, 2U, 4U, 100U}) {
          const auto [begin, end] = index.around(from, to, words);
          ASSERT_LE(begin, end);
          ASSERT_LE(end, n);
          ASSERT_TRUE(begin == 0 || text[begin - 1] == ' ') << text << " " << begin;
          ASSERT_TRUE(end == n || text[end - 1] == ' ') << text << " " << end;
          for (std::uint32_t s = 0; s < n; ++s) {
            if (text[s] == ' ' || (s > 0 && text[s - 1] != ' ')) continue;
            std::uint32_t e = s;
            while (e < n && text[e] != ' ') ++e;
            if (words_between(text, from, to, s, e) > words) continue;
            ASSERT_TRUE(begin <= s && e <= end)
                << "'" << text << "' [" << from << "," << to << ") " << words << ": word [" << s << "," << e
                << ") outside [" << begin << "," << end << ")";
          }
        }
      }
    }
  }
}

}  // namespace
}  // namespace wachtpost
