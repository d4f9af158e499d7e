#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <set>

#include "match/pattern_loader.hpp"
#include "match/scanner.hpp"

using namespace wachtpost;
namespace fs = std::filesystem;

namespace {

const char* const kRules =
    "lang: nl\n"
    "targets:\n  - role: judge\n    terms: ['rechters?']\n"
    "rules:\n  - id: t.kill\n    rev: 1\n    description: d\n    author: a\n"
    "    category: death_threat\n    severity: critical\n    threat: ['afmaken']\n";

class DatabaseCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("wachtpost-cache-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::shared_ptr<const PatternSet> build(const DatabaseCache& cache, const std::string& rules = kRules) {
    const RuleSource sources[] = {{"r.yaml", rules}};
    return build_pattern_set({sources, std::nullopt, "", &cache});
  }

  // A set of its own per number: one more expression, so another cache entry.
  std::shared_ptr<const PatternSet> build_variant(const DatabaseCache& cache, std::size_t number) {
    std::string rules = kRules;
    rules.replace(rules.find("afmaken"), 7, "afmaken|woord" + std::to_string(number));
    return build(cache, rules);
  }

  std::vector<fs::path> files() const {
    std::vector<fs::path> out;
    if (!fs::exists(dir_)) return out;
    for (const auto& e : fs::directory_iterator(dir_)) out.push_back(e.path());
    return out;
  }

  static std::size_t hits(const std::shared_ptr<const PatternSet>& set, std::string_view text) {
    Scanner scanner;
    std::vector<Hit> found;
    scanner.scan(set, text, found);
    return found.size();
  }

  fs::path dir_;
};

}  // namespace

TEST_F(DatabaseCacheTest, SecondBuildLoadsTheStoredDatabase) {
  const DatabaseCache cache(dir_);
  const auto first = build(cache);
  // Two databases: every expression, and "rechters?" (varying width) for starts.
  ASSERT_EQ(files().size(), 2U);
  const auto stored = fs::last_write_time(files()[0]);
  const auto second = build(cache);
  EXPECT_EQ(files().size(), 2U);
  EXPECT_EQ(first->hash(), second->hash());
  EXPECT_EQ(first->database_bytes(), second->database_bytes());
  EXPECT_EQ(hits(second, "die rechter afmaken"), 2U);
  EXPECT_GE(fs::last_write_time(files()[0]), stored);
}

TEST_F(DatabaseCacheTest, CorruptFileIsAMissAndIsReplaced) {
  const DatabaseCache cache(dir_);
  build(cache);
  ASSERT_EQ(files().size(), 2U);
  for (const auto& file : files()) std::ofstream(file, std::ios::binary | std::ios::trunc) << "not a database";
  const auto set = build(cache);
  EXPECT_EQ(hits(set, "die rechter afmaken"), 2U);
  for (const auto& file : files()) EXPECT_GT(fs::file_size(file), 100U);
}

TEST_F(DatabaseCacheTest, DifferentExpressionsGetDifferentEntriesAndOldOnesAreEvicted) {
  const DatabaseCache cache(dir_, {.databases = 16});
  for (std::size_t i = 0; i < 19; ++i) build_variant(cache, i);
  EXPECT_EQ(files().size(), 16U);
}

TEST_F(DatabaseCacheTest, TheBytesBoundEvictsTheLeastRecentlyUsedAndKeepsTheOneInUse) {
  const auto names = [&] {
    std::set<std::string> out;
    for (const auto& file : files()) out.insert(file.filename().string());
    return out;
  };
  build_variant(DatabaseCache(dir_), 0);
  const auto set0 = names();
  ASSERT_EQ(set0.size(), 2U);
  std::uintmax_t one_set = 0;
  std::uintmax_t smallest = UINTMAX_MAX;
  for (const auto& file : files()) {
    one_set += fs::file_size(file);
    smallest = std::min(smallest, fs::file_size(file));
  }
  // Room for two sets (they differ by a digit): the third build pushes the
  // least recently used one out.
  const DatabaseCache cache(dir_, {.bytes = one_set * 2 + smallest / 2});
  build_variant(cache, 1);
  ASSERT_EQ(names().size(), 4U);
  std::set<std::string> set1;
  std::ranges::set_difference(names(), set0, std::inserter(set1, set1.end()));
  build_variant(cache, 0);  // a hit, which marks set 0 used: set 1 is now the oldest
  build_variant(cache, 2);
  const auto kept = names();
  EXPECT_EQ(kept.size(), 4U);
  for (const auto& name : set0) EXPECT_TRUE(kept.contains(name)) << name;
  for (const auto& name : set1) EXPECT_FALSE(kept.contains(name)) << name;
  EXPECT_EQ(hits(build_variant(cache, 0), "die rechter afmaken"), 2U);
  // A bound below one set keeps the database just stored.
  const DatabaseCache tiny(dir_, {.bytes = 1});
  build_variant(tiny, 3);
  EXPECT_EQ(files().size(), 1U);
}

TEST_F(DatabaseCacheTest, DisabledCacheWritesNothing) {
  const DatabaseCache cache(fs::path{});
  EXPECT_FALSE(cache.enabled());
  const auto set = build(cache);
  EXPECT_EQ(hits(set, "die rechter afmaken"), 2U);
  EXPECT_TRUE(files().empty());
}
